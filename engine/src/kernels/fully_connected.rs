//! FULLY_CONNECTED: int8 (per-tensor and per-channel), int16 activations with int8 weights
//! (16x8), and float32 — TFLM's `reference_integer_ops::FullyConnected[PerChannel]` and
//! `reference_ops::FullyConnected`.

use bytemuck::{Pod, Zeroable};

use super::{ArrayRef, Eval, Prepare, Registration, TensorId};
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
                // Per-tensor: TFLM multiplies the two scales in float, then widens.
                let m = (iq.scale * fq.scale) as f64 / oq.scale as f64;
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
            let input: &[i8] = bytemuck::cast_slice(input);
            let filter: &[i8] = bytemuck::cast_slice(filter);
            for b in 0..batches {
                let x = &input[b * depth..(b + 1) * depth];
                for c in 0..od {
                    let w = &filter[c * depth..(c + 1) * depth];
                    // TFLM: acc += (filter + filter_offset) * (input + input_offset), then bias,
                    // requantize, output offset, clamp.
                    let mut acc: i32 = 0;
                    for (&xv, &wv) in x.iter().zip(w) {
                        acc = acc.wrapping_add(
                            (wv as i32 + p.filter_offset).wrapping_mul(xv as i32 + p.input_offset),
                        );
                    }
                    if has_bias {
                        acc = acc.wrapping_add(read_i32(bias, c));
                    }
                    let (m, s) = requant(c);
                    let v = quant::multiply_by_quantized_multiplier(acc, m, s)
                        .wrapping_add(p.output_offset)
                        .max(p.act_min)
                        .min(p.act_max);
                    if let Some(o) = out.get_mut(b * od + c) {
                        *o = v as i8 as u8;
                    }
                }
            }
        }
        KIND_I16_ACC64 | KIND_I16_ACC32 => {
            for b in 0..batches {
                for c in 0..od {
                    let mut acc64: i64 = 0;
                    let mut acc32: i32 = 0;
                    for d in 0..depth {
                        let xv = i16::from_le_bytes([
                            input[2 * (b * depth + d)],
                            input[2 * (b * depth + d) + 1],
                        ]) as i32;
                        let wv = filter[c * depth + d] as i8 as i32;
                        let prod = (wv + p.filter_offset).wrapping_mul(xv + p.input_offset);
                        acc64 += prod as i64;
                        acc32 = acc32.wrapping_add(prod);
                    }
                    let (m, s) = requant(c);
                    let v = if p.kind == KIND_I16_ACC64 {
                        if has_bias {
                            acc64 += read_i64(bias, c);
                        }
                        quant::multiply_by_quantized_multiplier_64(acc64, m, s)
                    } else {
                        if has_bias {
                            acc32 = acc32.wrapping_add(read_i32(bias, c));
                        }
                        quant::multiply_by_quantized_multiplier(acc32, m, s)
                    };
                    let v = v
                        .wrapping_add(p.output_offset)
                        .max(p.act_min)
                        .min(p.act_max) as i16;
                    let i = 2 * (b * od + c);
                    if let Some(o) = out.get_mut(i..i + 2) {
                        o.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        _ => {
            for b in 0..batches {
                for c in 0..od {
                    let mut total = 0.0f32;
                    for d in 0..depth {
                        total += read_f32(input, b * depth + d) * read_f32(filter, c * depth + d);
                    }
                    let bias_value = if has_bias { read_f32(bias, c) } else { 0.0 };
                    // std::min(std::max(x, lo), hi), NaN passing through as in C++.
                    let v = total + bias_value;
                    let v = if v < p.f_min { p.f_min } else { v };
                    let v = if p.f_max < v { p.f_max } else { v };
                    let i = 4 * (b * od + c);
                    if let Some(o) = out.get_mut(i..i + 4) {
                        o.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
    }
    Ok(())
}
