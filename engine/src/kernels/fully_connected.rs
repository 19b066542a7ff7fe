//! FULLY_CONNECTED: int8 (per-tensor and per-channel), int16 activations with int8 weights
//! (16x8), and float32 — TFLM's `reference_integer_ops::FullyConnected[PerChannel]` and
//! `reference_ops::FullyConnected`.
//!
//! The integer kernels have a plain loop (TFLM's) and a fast one with the same bits
//! (`dot::matvec`: int16 operands, four rows per pass over a widened input, multiply-add
//! pairs; [`quant::ChannelRequant`]; a vectorised clamp), used whenever the offsets allow it;
//! unit tests compare the two on random shapes. The float kernel keeps each row's order of
//! additions and runs four rows side by side.

use bytemuck::{Pod, Zeroable};

use super::{dot, ArrayRef, Eval, Prepare, Registration, TensorId};
use crate::error::Result;
use crate::quant::{self, Activation};
use crate::tensor::DType;

/// Registration.
pub const FULLY_CONNECTED: Registration = Registration {
    code: 9,
    max_version: 13,
    prepare,
    eval,
    aliases_input: false,
};

const KIND_F32: u32 = 0;
const KIND_I8: u32 = 1;
const KIND_I16_ACC64: u32 = 2;
const KIND_I16_ACC32: u32 = 3;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    filter: TensorId,
    bias: TensorId,
    output: TensorId,
    kind: u32,
    batches: u32,
    accum_depth: u32,
    output_depth: u32,
    input_offset: i32,
    filter_offset: i32,
    output_offset: i32,
    multiplier: i32,
    shift: i32,
    act_min: i32,
    act_max: i32,
    f_min: f32,
    f_max: f32,
    /// Per-channel multipliers then shifts (empty for per-tensor).
    per_channel: ArrayRef,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let input = ctx.input(0)?;
    let filter = ctx.input(1)?;
    let bias = ctx.opt_input(2)?;
    let output = ctx.output(0)?;
    let options = ctx.options()?;
    let activation = match options {
        Some(o) => o.u8(0, 0)?,
        None => 0,
    };
    let activation =
        Activation::from_code(activation).ok_or(ctx.unsupported("this fused activation"))?;
    if let Some(o) = options {
        if o.u8(1, 0)? != 0 {
            return Err(ctx.unsupported("shuffled weights"));
        }
    }
    let quantized_bias_type = match options {
        Some(o) => o.u8(4, 0)?,
        None => 0,
    };

    if filter.shape.rank() < 2 || output.shape.rank() < 1 {
        return Err(ctx.invalid("FULLY_CONNECTED filter must be at least 2-D"));
    }
    let fdims = filter.shape.dims();
    let accum_depth = fdims[fdims.len() - 1] as usize;
    let filter_rows = fdims[fdims.len() - 2] as usize;
    let odims = output.shape.dims();
    let output_depth = odims[odims.len() - 1] as usize;
    if output_depth > filter_rows || output_depth == 0 && output.elements() != 0 {
        return Err(ctx.invalid("FULLY_CONNECTED output depth exceeds filter rows"));
    }
    let batches = output.elements().checked_div(output_depth).unwrap_or(0);
    if input.elements() < batches * accum_depth || filter.elements() < output_depth * accum_depth {
        return Err(ctx.invalid("FULLY_CONNECTED input smaller than batches x depth"));
    }
    if let Some(b) = &bias {
        if b.elements() < output_depth {
            return Err(ctx.invalid("FULLY_CONNECTED bias shorter than output depth"));
        }
    }

    let mut p = Params {
        input: ctx.input_id(0)?,
        filter: ctx.input_id(1)?,
        bias: ctx.input_id(2)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        batches: batches as u32,
        accum_depth: accum_depth as u32,
        output_depth: output_depth as u32,
        input_offset: 0,
        filter_offset: 0,
        output_offset: 0,
        multiplier: 0,
        shift: 0,
        act_min: 0,
        act_max: 0,
        f_min: 0.0,
        f_max: 0.0,
        per_channel: ArrayRef::default(),
    };
    ctx.set_macs((batches * output_depth * accum_depth) as u64);

    match (input.dtype, filter.dtype, output.dtype) {
        (DType::F32, DType::F32, DType::F32) => {
            if bias.as_ref().is_some_and(|b| b.dtype != DType::F32) {
                return Err(ctx.unsupported("a non-float bias"));
            }
            let (lo, hi) = quant::activation_range_f32(activation);
            p.f_min = lo;
            p.f_max = hi;
        }
        (DType::I8, DType::I8, DType::I8) | (DType::I16, DType::I8, DType::I16) => {
            let iq = input.require_quant()?;
            let fq = filter.require_quant()?;
            let oq = output.require_quant()?;
            let (qmin, qmax) = if input.dtype == DType::I8 {
                (-128, 127)
            } else {
                (-32768, 32767)
            };
            p.kind = if input.dtype == DType::I8 {
                if bias.as_ref().is_some_and(|b| b.dtype != DType::I32) {
                    return Err(ctx.unsupported("an int8 FULLY_CONNECTED with a non-int32 bias"));
                }
                KIND_I8
            } else {
                let acc32 = match &bias {
                    Some(b) => match b.dtype {
                        DType::I32 => true,
                        DType::I64 => false,
                        _ => return Err(ctx.unsupported("a 16x8 bias that is not int32 or int64")),
                    },
                    None => quantized_bias_type == 2,
                };
                if acc32 {
                    KIND_I16_ACC32
                } else {
                    KIND_I16_ACC64
                }
            };
            p.input_offset = -iq.zero_point;
            p.filter_offset = -fq.zero_point;
            p.output_offset = oq.zero_point;
            if fq.channels > 1 {
                if fq.channels as usize != filter_rows {
                    return Err(ctx.invalid("per-channel scales do not match filter rows"));
                }
                let (sg, ft) = (ctx.subgraph, ctx.input_index(1)? as usize);
                let model = ctx.model;
                let n = output_depth;
                // Multipliers then shifts, one i32 each per output channel, as TFLM computes
                // them: double(input_scale) * double(filter_scale[c]) / double(output_scale).
                let mult = ctx.push_i32s(2 * n, |i| {
                    let c = i % n;
                    let fs = model.channel_scale(sg, ft, c)? as f64;
                    let m = iq.scale as f64 * fs / oq.scale as f64;
                    let (q, s) = quant::quantize_multiplier(m);
                    Ok(if i < n { q } else { s })
                })?;
                p.per_channel = mult;
            } else {
                // Per-tensor: the oracle (TFLM as built for PyPI) multiplies the two scales in
                // double; older TFLM sources multiplied in float. Discriminating cases in
                // conformance/ops/fully_connected.py pin this down.
                let m = iq.scale as f64 * fq.scale as f64 / oq.scale as f64;
                let (q, s) = quant::quantize_multiplier(m);
                p.multiplier = q;
                p.shift = s;
            }
            let (lo, hi) =
                quant::activation_range_quantized(activation, oq.scale, oq.zero_point, qmin, qmax);
            p.act_min = lo;
            p.act_max = hi;
        }
        _ => return Err(ctx.unsupported("these tensor types")),
    }
    ctx.set_params(&p)
}

#[inline(always)]
fn read_i32(b: &[u8], i: usize) -> i32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0, |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn read_i64(b: &[u8], i: usize) -> i64 {
    b.get(8 * i..8 * i + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        i64::from_le_bytes(a)
    })
}

#[inline(always)]
fn read_f32(b: &[u8], i: usize) -> f32 {
    f32::from_bits(read_i32(b, i) as u32)
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, filter, bias, output) = (
        ctx.loc(p.input)?,
        ctx.loc(p.filter)?,
        ctx.loc(p.bias)?,
        ctx.loc(p.output)?,
    );
    let (r, [out]) = ctx.split([output])?;
    let (input, filter, bias) = (r.get(input)?, r.get(filter)?, r.get(bias)?);
    let per_channel = r.get(p.per_channel.loc())?;
    let (batches, depth, od) = (
        p.batches as usize,
        p.accum_depth as usize,
        p.output_depth as usize,
    );
    let has_bias = !bias.is_empty();
    let (in_size, out_size) = match p.kind {
        KIND_F32 => (4, 4),
        KIND_I8 => (1, 1),
        _ => (2, 2),
    };
    let bias_size = if p.kind == KIND_I16_ACC64 { 8 } else { 4 };
    // Prepare checked these sizes against the shapes; re-checking here makes every index below
    // provably in range.
    if input.len() < batches * depth * in_size
        || filter.len() < od * depth * (if p.kind == KIND_F32 { 4 } else { 1 })
        || out.len() < batches * od * out_size
        || (has_bias && bias.len() < od * bias_size)
        || (per_channel.len() < 8 * od && !per_channel.is_empty())
    {
        return Err(crate::error::Error::malformed("FULLY_CONNECTED buffers"));
    }
    let per_ch = !per_channel.is_empty();
    let requant = |c: usize| -> (i32, i32) {
        if per_ch {
            (read_i32(per_channel, c), read_i32(per_channel, od + c))
        } else {
            (p.multiplier, p.shift)
        }
    };
    match p.kind {
        KIND_I8 => {
            let x: &[i8] = bytemuck::cast_slice(input);
            let w: &[i8] = bytemuck::cast_slice(filter);
            let y: &mut [i8] = bytemuck::cast_slice_mut(out);
            let f = FcQuant {
                batches,
                depth,
                od,
                input_offset: p.input_offset,
                filter_offset: p.filter_offset,
                output_offset: p.output_offset,
                act_min: p.act_min,
                act_max: p.act_max,
                bias: if has_bias { bias } else { &[] },
            };
            // Below 64 multiply-adds per batch the fast loop's setup costs more than it saves.
            let tiny = depth * od < 64;
            if !tiny && dot::offset_fits(p.input_offset) && dot::offset_fits(p.filter_offset) {
                fc_i8_fast(&f, &requant, x, w, y);
            } else {
                fc_i8_plain(&f, &requant, x, w, y);
            }
        }
        KIND_I16_ACC64 | KIND_I16_ACC32 => {
            let w: &[i8] = bytemuck::cast_slice(filter);
            let f = FcQuant {
                batches,
                depth,
                od,
                input_offset: p.input_offset,
                filter_offset: p.filter_offset,
                output_offset: p.output_offset,
                act_min: p.act_min,
                act_max: p.act_max,
                bias: if has_bias { bias } else { &[] },
            };
            let acc64 = p.kind == KIND_I16_ACC64;
            if fc_i16_fast_applies(&f, acc64) {
                fc_i16_fast(&f, acc64, &requant, input, w, out);
            } else {
                fc_i16_plain(&f, acc64, &requant, input, w, out);
            }
        }
        _ => {
            let x = if has_bias { bias } else { &[][..] };
            fc_f32(
                batches,
                depth,
                od,
                input,
                filter,
                x,
                (p.f_min, p.f_max),
                out,
            );
        }
    }
    Ok(())
}

/// float32 FULLY_CONNECTED: TFLM's `reference_ops::FullyConnected` — each output a float sum
/// from 0.0f over the depth in order (float addition is not associative, so each row's order
/// is kept), then the bias, then `min(max(v, lo), hi)` with C++'s comparisons (NaN passes).
/// Four rows run side by side, so their additions overlap instead of waiting on one another.
#[allow(clippy::too_many_arguments)]
fn fc_f32(
    batches: usize,
    depth: usize,
    od: usize,
    input: &[u8],
    filter: &[u8],
    bias: &[u8],
    (lo, hi): (f32, f32),
    out: &mut [u8],
) {
    let f = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let row = |c: usize| {
        filter
            .get(4 * c * depth..4 * (c + 1) * depth)
            .unwrap_or(&[])
    };
    for b in 0..batches {
        let xb = input.get(4 * b * depth..4 * (b + 1) * depth).unwrap_or(&[]);
        let mut c = 0;
        while c < od {
            let k = 4.min(od - c);
            let mut t = [0.0f32; 4];
            if k == 4 {
                let (w0, w1, w2, w3) = (row(c), row(c + 1), row(c + 2), row(c + 3));
                let rows = w0
                    .chunks_exact(4)
                    .zip(w1.chunks_exact(4))
                    .zip(w2.chunks_exact(4))
                    .zip(w3.chunks_exact(4));
                for (x, (((a, b), e), g)) in xb.chunks_exact(4).zip(rows) {
                    let x = f(x);
                    t[0] += x * f(a);
                    t[1] += x * f(b);
                    t[2] += x * f(e);
                    t[3] += x * f(g);
                }
            } else {
                for (j, tj) in t.iter_mut().enumerate().take(k) {
                    for (x, w) in xb.chunks_exact(4).zip(row(c + j).chunks_exact(4)) {
                        *tj += f(x) * f(w);
                    }
                }
            }
            for (j, &total) in t.iter().enumerate().take(k) {
                let bias_value = if bias.is_empty() {
                    0.0
                } else {
                    read_f32(bias, c + j)
                };
                let v = total + bias_value;
                let v = if v < lo { lo } else { v };
                let v = if hi < v { hi } else { v };
                let i = 4 * (b * od + c + j);
                if let Some(o) = out.get_mut(i..i + 4) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
            }
            c += k;
        }
    }
}

/// The integer kernels' sizes and quantization, for the plain and fast loops.
struct FcQuant<'a> {
    batches: usize,
    depth: usize,
    od: usize,
    input_offset: i32,
    filter_offset: i32,
    output_offset: i32,
    act_min: i32,
    act_max: i32,
    /// Bias bytes, int32 (int64 for 16x8 with a 64-bit accumulator); empty without a bias.
    bias: &'a [u8],
}

/// int8 FULLY_CONNECTED, plain: TFLM's `reference_integer_ops::FullyConnected` loop — for each
/// batch and output row, `acc += (w + filter_offset) * (x + input_offset)` in wrapping int32
/// over the depth, then the bias, requantization, output offset and clamp (`max` then `min`).
/// Used when the offsets are too large for the fast loop's int16 operands.
fn fc_i8_plain(
    f: &FcQuant<'_>,
    requant: &dyn Fn(usize) -> (i32, i32),
    x: &[i8],
    w: &[i8],
    out: &mut [i8],
) {
    let (depth, od) = (f.depth, f.od);
    for b in 0..f.batches {
        let Some(xb) = x.get(b * depth..(b + 1) * depth) else {
            return;
        };
        for c in 0..od {
            let Some(wc) = w.get(c * depth..(c + 1) * depth) else {
                return;
            };
            let mut acc: i32 = 0;
            for (&xv, &wv) in xb.iter().zip(wc) {
                acc = acc.wrapping_add(
                    (wv as i32)
                        .wrapping_add(f.filter_offset)
                        .wrapping_mul((xv as i32).wrapping_add(f.input_offset)),
                );
            }
            if !f.bias.is_empty() {
                acc = acc.wrapping_add(read_i32(f.bias, c));
            }
            let (m, s) = requant(c);
            let v = quant::multiply_by_quantized_multiplier(acc, m, s)
                .wrapping_add(f.output_offset)
                .max(f.act_min)
                .min(f.act_max);
            if let Some(o) = out.get_mut(b * od + c) {
                *o = v as i8;
            }
        }
    }
}

/// Output rows handled together by the fast loops: their results are clamped in one
/// vectorised pass.
const ROWS: usize = 32;

/// int8 FULLY_CONNECTED, fast, the same bits as [`fc_i8_plain`]: each product is formed from
/// int16 operands (`w + filter_offset`, `x + input_offset`, exact because both offsets satisfy
/// [`dot::offset_fits`]) by [`dot::matvec`], four rows at a time over a widened input; the
/// requantization is [`quant::ChannelRequant`] (the same bits as TFLM's double rounding), and
/// the clamp runs vectorised over a block of rows.
fn fc_i8_fast(
    f: &FcQuant<'_>,
    requant: &dyn Fn(usize) -> (i32, i32),
    x: &[i8],
    w: &[i8],
    out: &mut [i8],
) {
    let (depth, od) = (f.depth, f.od);
    let (xo, wo) = (f.input_offset as i16, f.filter_offset as i16);
    if x.len() < f.batches * depth || w.len() < od * depth || out.len() < f.batches * od {
        return;
    }
    let mut c0 = 0;
    while c0 < od {
        let n = ROWS.min(od - c0);
        let wb = &w[c0 * depth..];
        for b in 0..f.batches {
            let xb = &x[b * depth..(b + 1) * depth];
            let mut acc = [0i32; ROWS];
            let fill = |k0: usize, buf: &mut [i16]| {
                for (d, &v) in buf.iter_mut().zip(xb.get(k0..).unwrap_or(&[])) {
                    *d = (v as i16).wrapping_add(xo);
                }
            };
            let add = |r: usize, v: i32| {
                if let Some(a) = acc.get_mut(r) {
                    *a = a.wrapping_add(v);
                }
            };
            // A small input needs only a small (quickly zeroed) widening buffer.
            if depth <= dot::SMALL_CHUNK {
                dot::matvec::<{ dot::SMALL_CHUNK }>(fill, wb, wo, n, depth, add);
            } else {
                dot::matvec::<{ dot::CHUNK }>(fill, wb, wo, n, depth, add);
            }
            for (i, a) in acc[..n].iter_mut().enumerate() {
                let c = c0 + i;
                let bias = if f.bias.is_empty() {
                    0
                } else {
                    read_i32(f.bias, c)
                };
                let (m, s) = requant(c);
                *a = quant::ChannelRequant::new(m, s)
                    .apply(a.wrapping_add(bias))
                    .wrapping_add(f.output_offset);
            }
            let ob = b * od + c0;
            dot::clamp_to_i8(&mut out[ob..ob + n], &acc[..n], f.act_min, f.act_max);
        }
        c0 += n;
    }
}

/// 16x8 FULLY_CONNECTED, plain: TFLM's `reference_integer_ops::FullyConnected` for int16
/// inputs — `(w + filter_offset) * (x + input_offset)` as a 32-bit product, summed in int64
/// (int64 bias) or wrapping int32 (int32 bias), bias, requantization, output offset, clamp.
fn fc_i16_plain(
    f: &FcQuant<'_>,
    acc64: bool,
    requant: &dyn Fn(usize) -> (i32, i32),
    input: &[u8],
    w: &[i8],
    out: &mut [u8],
) {
    let (depth, od) = (f.depth, f.od);
    for b in 0..f.batches {
        for c in 0..od {
            let mut sum64: i64 = 0;
            let mut sum32: i32 = 0;
            for d in 0..depth {
                let i = 2 * (b * depth + d);
                let xv = input
                    .get(i..i + 2)
                    .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]) as i32);
                let wv = w.get(c * depth + d).map_or(0, |&v| v as i32);
                let prod = wv
                    .wrapping_add(f.filter_offset)
                    .wrapping_mul(xv.wrapping_add(f.input_offset));
                sum64 += prod as i64;
                sum32 = sum32.wrapping_add(prod);
            }
            let (m, s) = requant(c);
            let has_bias = !f.bias.is_empty();
            let v = if acc64 {
                if has_bias {
                    sum64 = sum64.wrapping_add(read_i64(f.bias, c));
                }
                quant::multiply_by_quantized_multiplier_64(sum64, m, s)
            } else {
                if has_bias {
                    sum32 = sum32.wrapping_add(read_i32(f.bias, c));
                }
                quant::multiply_by_quantized_multiplier(sum32, m, s)
            };
            let v = v
                .wrapping_add(f.output_offset)
                .max(f.act_min)
                .min(f.act_max) as i16;
            let i = 2 * (b * od + c);
            if let Some(o) = out.get_mut(i..i + 2) {
                o.copy_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// Input positions per int32 partial sum of the 64-bit-accumulator fast loop: with
/// `|w + filter_offset| <= 256` each product is below 2^23 in magnitude, so 128 of them stay
/// below 2^30 and the partial sum is the exact integer, which is then added in int64.
const ACC64_CHUNK: usize = 128;

/// Whether [`fc_i16_fast`] gives [`fc_i16_plain`]'s bits: no input offset (TFLM's int16
/// quantization is symmetric), and a filter offset small enough for int16 operands (for the
/// 64-bit accumulator, small enough for exact [`ACC64_CHUNK`] partial sums).
fn fc_i16_fast_applies(f: &FcQuant<'_>, acc64: bool) -> bool {
    f.input_offset == 0
        && if acc64 {
            (-128..=128).contains(&f.filter_offset)
        } else {
            dot::offset_fits(f.filter_offset)
        }
}

/// 16x8 FULLY_CONNECTED, fast: [`dot::matvec`] over the int16 input (four rows at a time,
/// multiply-add pairs), partial sums added in int64 or wrapping int32 as TFLM's accumulator
/// type; see [`fc_i16_fast_applies`] for when its bits are [`fc_i16_plain`]'s.
fn fc_i16_fast(
    f: &FcQuant<'_>,
    acc64: bool,
    requant: &dyn Fn(usize) -> (i32, i32),
    input: &[u8],
    w: &[i8],
    out: &mut [u8],
) {
    let (depth, od) = (f.depth, f.od);
    let wo = f.filter_offset as i16;
    if input.len() < 2 * f.batches * depth || w.len() < od * depth || out.len() < 2 * f.batches * od
    {
        return;
    }
    let mut c0 = 0;
    while c0 < od {
        let n = ROWS.min(od - c0);
        let wb = &w[c0 * depth..];
        for b in 0..f.batches {
            let xb = &input[2 * b * depth..2 * (b + 1) * depth];
            let fill = |k0: usize, buf: &mut [i16]| {
                let src = xb.get(2 * k0..).unwrap_or(&[]).chunks_exact(2);
                for (d, s) in buf.iter_mut().zip(src) {
                    *d = i16::from_le_bytes([s[0], s[1]]);
                }
            };
            let (mut s64, mut s32) = ([0i64; ROWS], [0i32; ROWS]);
            let add = |r: usize, v: i32| {
                if let (Some(a), Some(e)) = (s64.get_mut(r), s32.get_mut(r)) {
                    *a += v as i64;
                    *e = e.wrapping_add(v);
                }
            };
            if acc64 {
                dot::matvec::<ACC64_CHUNK>(fill, wb, wo, n, depth, add);
            } else {
                dot::matvec::<{ dot::CHUNK }>(fill, wb, wo, n, depth, add);
            }
            for i in 0..n {
                let c = c0 + i;
                let (m, s) = requant(c);
                let has_bias = !f.bias.is_empty();
                let v = if acc64 {
                    let bias = if has_bias { read_i64(f.bias, c) } else { 0 };
                    quant::multiply_by_quantized_multiplier_64(s64[i].wrapping_add(bias), m, s)
                } else {
                    let bias = if has_bias { read_i32(f.bias, c) } else { 0 };
                    quant::multiply_by_quantized_multiplier(s32[i].wrapping_add(bias), m, s)
                };
                let v = v
                    .wrapping_add(f.output_offset)
                    .max(f.act_min)
                    .min(f.act_max) as i16;
                let o = 2 * (b * od + c);
                out[o..o + 2].copy_from_slice(&v.to_le_bytes());
            }
        }
        c0 += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) for random shapes and data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % (hi - lo + 1) as u64) as i64
        }
    }

    /// A hand-computed case: two rows of depth 3, input offset 1, filter offset -1.
    #[test]
    fn int8_hand_computed() {
        let x = [1i8, 2, 3];
        let w = [2i8, 2, 2, 0, 1, 2];
        let bias: Vec<u8> = [10i32, -10].iter().flat_map(|v| v.to_le_bytes()).collect();
        let f = FcQuant {
            batches: 1,
            depth: 3,
            od: 2,
            input_offset: 1,
            filter_offset: -1,
            output_offset: 0,
            act_min: -128,
            act_max: 127,
            bias: &bias,
        };
        // Multiplier 0.5 * 2 = 1.0.
        let rq = |_c: usize| (1 << 30, 1);
        // Row 0: (1)(2) + (1)(3) + (1)(4) + 10 = 19; row 1: (-1)(2) + 0 + (1)(4) - 10 = -8.
        let (mut fast, mut plain) = ([0i8; 2], [0i8; 2]);
        fc_i8_fast(&f, &rq, &x, &w, &mut fast);
        fc_i8_plain(&f, &rq, &x, &w, &mut plain);
        assert_eq!(fast, [19, -8]);
        assert_eq!(plain, [19, -8]);
    }

    /// The fast 16x8 loops give the plain loops' bits (both accumulator widths) on random
    /// shapes, filter offsets and data, int16 extremes included.
    #[test]
    fn fast_int16_matches_plain() {
        let mut r = Rng(0x5851_F42D_4C95_7F2D);
        for case in 0..300 {
            let acc64 = case % 2 == 0;
            let batches = r.range(1, 3) as usize;
            let depth = r.range(0, 300) as usize;
            let od = r.range(1, 40) as usize;
            let input: Vec<u8> = (0..batches * depth)
                .flat_map(|_| {
                    let v = match r.range(0, 4) {
                        0 => i16::MIN,
                        1 => i16::MAX,
                        _ => r.next() as i16,
                    };
                    v.to_le_bytes()
                })
                .collect();
            let w: Vec<i8> = (0..od * depth).map(|_| r.next() as i8).collect();
            let bias: Vec<u8> = (0..od)
                .flat_map(|_| {
                    let v = r.range(-(1 << 40), 1 << 40);
                    if acc64 {
                        v.to_le_bytes().to_vec()
                    } else {
                        (v as i32).to_le_bytes().to_vec()
                    }
                })
                .collect();
            let mults: Vec<(i32, i32)> = (0..od)
                .map(|_| {
                    (
                        r.range(1 << 30, i32::MAX as i64) as i32,
                        r.range(-30, 2) as i32,
                    )
                })
                .collect();
            let rq = |c: usize| mults[c];
            let f = FcQuant {
                batches,
                depth,
                od,
                input_offset: 0,
                filter_offset: if acc64 {
                    r.range(-128, 128)
                } else {
                    r.range(-32640, 32640)
                } as i32,
                output_offset: r.range(-100, 100) as i32,
                act_min: r.range(-32768, 0) as i32,
                act_max: r.range(0, 32767) as i32,
                bias: if r.range(0, 3) == 0 { &[] } else { &bias },
            };
            assert!(fc_i16_fast_applies(&f, acc64));
            let mut fast = vec![0u8; 2 * batches * od];
            let mut plain = vec![0u8; 2 * batches * od];
            fc_i16_fast(&f, acc64, &rq, &input, &w, &mut fast);
            fc_i16_plain(&f, acc64, &rq, &input, &w, &mut plain);
            assert_eq!(fast, plain, "case {case}");
        }
    }

    /// The float kernel keeps TFLM's per-row order of additions: the same bits as a plain
    /// sequential sum, on random shapes and values of mixed magnitudes.
    #[test]
    fn float_matches_sequential_sums() {
        let mut r = Rng(0x1405_7B7E_F767_814F);
        let val = |r: &mut Rng| {
            let m = (r.range(-1_000_000, 1_000_000) as f32) * 1e-3;
            if r.range(0, 9) == 0 {
                m * 1e30
            } else {
                m
            }
        };
        for case in 0..200 {
            let (batches, depth, od) = (
                r.range(1, 3) as usize,
                r.range(0, 40) as usize,
                r.range(1, 11) as usize,
            );
            let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
            let x: Vec<f32> = (0..batches * depth).map(|_| val(&mut r)).collect();
            let w: Vec<f32> = (0..od * depth).map(|_| val(&mut r)).collect();
            let bias: Vec<f32> = (0..od).map(|_| val(&mut r)).collect();
            let with_bias = case % 3 != 0;
            let (lo, hi) = if case % 2 == 0 {
                (f32::MIN, f32::MAX)
            } else {
                (0.0, 6.0)
            };
            let mut out = vec![0u8; 4 * batches * od];
            let bb = if with_bias { bytes(&bias) } else { Vec::new() };
            fc_f32(
                batches,
                depth,
                od,
                &bytes(&x),
                &bytes(&w),
                &bb,
                (lo, hi),
                &mut out,
            );
            for b in 0..batches {
                for c in 0..od {
                    let mut t = 0.0f32;
                    for d in 0..depth {
                        t += x[b * depth + d] * w[c * depth + d];
                    }
                    let v = t + if with_bias { bias[c] } else { 0.0 };
                    let v = if v < lo { lo } else { v };
                    let v = if hi < v { hi } else { v };
                    let i = 4 * (b * od + c);
                    let got = f32::from_le_bytes([out[i], out[i + 1], out[i + 2], out[i + 3]]);
                    assert_eq!(got.to_bits(), v.to_bits(), "case {case} b{b} c{c}");
                }
            }
        }
    }

    /// The fast int8 loop gives the plain loop's bits on random shapes, offsets and data.
    #[test]
    fn fast_int8_matches_plain() {
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        for case in 0..300 {
            let batches = r.range(1, 3) as usize;
            let depth = r.range(0, 70) as usize;
            let od = r.range(1, 75) as usize;
            let x: Vec<i8> = (0..batches * depth).map(|_| r.next() as i8).collect();
            let w: Vec<i8> = (0..od * depth).map(|_| r.next() as i8).collect();
            let bias: Vec<u8> = (0..od)
                .flat_map(|_| (r.range(-100_000, 100_000) as i32).to_le_bytes())
                .collect();
            let mults: Vec<(i32, i32)> = (0..od)
                .map(|_| {
                    (
                        r.range(1 << 30, i32::MAX as i64) as i32,
                        r.range(-20, 3) as i32,
                    )
                })
                .collect();
            let per_channel = r.range(0, 1) == 1;
            let rq = |c: usize| mults[if per_channel { c } else { 0 }];
            let big = case % 10 == 0;
            let f = FcQuant {
                batches,
                depth,
                od,
                input_offset: if big {
                    32640
                } else {
                    r.range(-127, 128) as i32
                },
                filter_offset: if big {
                    -32640
                } else {
                    r.range(-127, 128) as i32
                },
                output_offset: r.range(-128, 127) as i32,
                act_min: r.range(-128, 0) as i32,
                act_max: r.range(0, 127) as i32,
                bias: if r.range(0, 3) == 0 { &[] } else { &bias },
            };
            let mut fast = vec![0i8; batches * od];
            let mut plain = vec![0i8; batches * od];
            fc_i8_fast(&f, &rq, &x, &w, &mut fast);
            fc_i8_plain(&f, &rq, &x, &w, &mut plain);
            assert_eq!(fast, plain, "case {case}");
        }
    }
}
