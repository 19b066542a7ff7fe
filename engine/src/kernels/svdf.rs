//! SVDF (singular value decomposition filter): a rank-`r` factorised 1-D convolution over time,
//! as TFLM's `micro/kernels/svdf_common.cc` runs it. Each invocation consumes one time step:
//! the activation state (a variable tensor, `[batch, memory * filters]`) shifts left by one,
//! the feature weights project the input onto each filter's newest state slot, the time
//! weights reduce each filter's memory, and each unit sums its `rank` filters plus its bias.
//!
//! Variants: full-integer (int8 input, int8 feature weights, int8 or int16 time weights with
//! a state of the same type, int32 bias, int8 output) and float32.
//!
//! TFLM keeps the per-filter time sums in an int32 (float) scratch buffer before summing them
//! per unit; this kernel computes each filter's sum exactly when its unit needs it, in the same
//! order and with the same types, so it needs no scratch memory and gives the same bits.

use bytemuck::{Pod, Zeroable};

use super::{dot, Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant;
use crate::tensor::DType;

/// Registration. TFLM runs every version; 1 is float, 3 full-integer (2 and 4, hybrid, use
/// float inputs with int8 weights, which prepare rejects).
pub const SVDF: Registration = Registration {
    code: 27,
    max_version: 4,
    prepare,
    eval,
    aliases_input: false,
};

const KIND_F32: u32 = 0;
/// Integer, int8 time weights and state.
const KIND_I8: u32 = 1;
/// Integer, int16 time weights and state.
const KIND_I16: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    weights_feature: TensorId,
    weights_time: TensorId,
    bias: TensorId,
    state: TensorId,
    output: TensorId,
    kind: u32,
    batches: u32,
    input_size: u32,
    filters: u32,
    units: u32,
    rank: u32,
    memory: u32,
    input_zp: i32,
    state_zp: i32,
    output_zp: i32,
    scale_1_multiplier: i32,
    scale_1_shift: i32,
    scale_2_multiplier: i32,
    scale_2_shift: i32,
    /// Schema fused-activation code (float only; TFLM's integer path applies none).
    activation: u32,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let options = ctx
        .options()?
        .ok_or(ctx.unsupported("SVDF without options (TFLM leaves rank unset)"))?;
    let rank = options.i32(0, 0)?;
    let activation = options.u8(1, 0)?;
    if ctx.input_count()? != 5 {
        return Err(ctx.invalid("SVDF needs 5 inputs"));
    }
    if ctx.output_count()? != 1 {
        return Err(ctx.invalid("SVDF has one output"));
    }
    let input = ctx.input(0)?;
    let wf = ctx.input(1)?;
    let wt = ctx.input(2)?;
    // TFLM's SVDF cannot run without a bias (its prepare reads the bias scale, or releases a
    // null tensor for float, and crashes), so no model that runs there omits it.
    let bias = ctx
        .opt_input(3)?
        .ok_or(ctx.unsupported("an SVDF without bias (TFLM crashes on one)"))?;
    let state = ctx.input(4)?;
    let output = ctx.output(0)?;

    if input.shape.rank() != 2
        || wf.shape.rank() != 2
        || wt.shape.rank() != 2
        || state.shape.rank() != 2
        || output.shape.rank() != 2
    {
        return Err(ctx.invalid("SVDF tensors must be 2-D"));
    }
    if rank <= 0 {
        return Err(ctx.invalid("SVDF rank must be positive"));
    }
    let rank = rank as usize;
    let batches = input.shape.dim(0) as usize;
    let input_size = input.shape.dim(1) as usize;
    let filters = wf.shape.dim(0) as usize;
    if !filters.is_multiple_of(rank) {
        return Err(ctx.invalid("SVDF filters are not a multiple of rank"));
    }
    let units = filters / rank;
    let memory = wt.shape.dim(1) as usize;
    if output.shape.dim(0) as usize != batches || output.shape.dim(1) as usize != units {
        return Err(ctx.invalid("SVDF output is not [batch, units]"));
    }
    if wf.shape.dim(1) as usize != input_size {
        return Err(ctx.invalid("SVDF feature weights are not [filters, input]"));
    }
    if wt.shape.dim(0) as usize != filters {
        return Err(ctx.invalid("SVDF time weights are not [filters, memory]"));
    }
    if bias.shape.rank() < 1 || bias.shape.dim(0) as usize != units || bias.elements() < units {
        return Err(ctx.invalid("SVDF bias is not [units]"));
    }
    let state_len = memory
        .checked_mul(filters)
        .ok_or(ctx.invalid("SVDF state too large"))?;
    if state.shape.dim(0) as usize != batches || state.shape.dim(1) as usize != state_len {
        return Err(ctx.invalid("SVDF state is not [batch, memory * filters]"));
    }
    if !state.is_variable {
        return Err(ctx.invalid("SVDF activation state must be a variable tensor"));
    }

    let mut p = Params {
        input: ctx.input_id(0)?,
        weights_feature: ctx.input_id(1)?,
        weights_time: ctx.input_id(2)?,
        bias: ctx.input_id(3)?,
        state: ctx.input_id(4)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        batches: batches as u32,
        input_size: input_size as u32,
        filters: filters as u32,
        units: units as u32,
        rank: rank as u32,
        memory: memory as u32,
        input_zp: 0,
        state_zp: 0,
        output_zp: 0,
        scale_1_multiplier: 0,
        scale_1_shift: 0,
        scale_2_multiplier: 0,
        scale_2_shift: 0,
        activation: activation as u32,
    };
    ctx.set_macs((batches as u64) * (filters as u64) * ((input_size + memory) as u64));

    match input.dtype {
        DType::F32 => {
            if wf.dtype != DType::F32
                || wt.dtype != DType::F32
                || state.dtype != DType::F32
                || output.dtype != DType::F32
                || bias.dtype != DType::F32
            {
                return Err(ctx.unsupported("a float SVDF with non-float tensors"));
            }
            if activation > 5 {
                return Err(ctx.unsupported("this fused activation"));
            }
        }
        DType::I8 => {
            if wf.dtype != DType::I8 || output.dtype != DType::I8 {
                return Err(
                    ctx.unsupported("an integer SVDF whose feature weights or output are not int8")
                );
            }
            // TFLM reads the state with the time weights' type, so the two must agree.
            p.kind =
                match (wt.dtype, state.dtype) {
                    (DType::I8, DType::I8) => KIND_I8,
                    (DType::I16, DType::I16) => KIND_I16,
                    _ => return Err(ctx.unsupported(
                        "an integer SVDF whose time weights and state are not both int8 or int16",
                    )),
                };
            if bias.dtype != DType::I32 {
                return Err(ctx.unsupported("an integer SVDF with a non-int32 bias"));
            }
            let iq = input.require_quant()?;
            let fq = wf.require_quant()?;
            let tq = wt.require_quant()?;
            let sq = state.require_quant()?;
            let oq = output.require_quant()?;
            let bq = bias.require_quant()?;
            // The oracle (PyPI `tflite-micro`, newer than the mirrored reference, which forms
            // these in float) widens every scale to double, multiplies, then divides: its
            // PrepareSvdf is cvtss2sd/mulsd/divsd throughout, and the
            // `recurrent__svdf_*_multiplier_edge` cases (scales whose float and double
            // quotients round some state or output apart) pass only this way. The bias check
            // is in double too.
            let scale_1 = iq.scale as f64 * fq.scale as f64 / sq.scale as f64;
            let scale_2 = sq.scale as f64 * tq.scale as f64 / oq.scale as f64;
            if (bq.scale as f64 - sq.scale as f64 * tq.scale as f64).abs() >= 1e-5 {
                return Err(ctx.invalid("SVDF bias scale is not state scale x time-weight scale"));
            }
            (p.scale_1_multiplier, p.scale_1_shift) = quant::quantize_multiplier(scale_1);
            (p.scale_2_multiplier, p.scale_2_shift) = quant::quantize_multiplier(scale_2);
            p.input_zp = iq.zero_point;
            p.output_zp = oq.zero_point;
            p.state_zp = sq.zero_point;
        }
        _ => return Err(ctx.unsupported("these tensor types")),
    }
    ctx.set_params(&p)
}

#[inline(always)]
fn rd_i32(b: &[u8], i: usize) -> i32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0, |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn rd_f32(b: &[u8], i: usize) -> f32 {
    f32::from_bits(rd_i32(b, i) as u32)
}

#[inline(always)]
fn wr_f32(b: &mut [u8], i: usize, v: f32) {
    if let Some(s) = b.get_mut(4 * i..4 * i + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// Element `i` of an int8 (`size` 1) or int16 (`size` 2) little-endian array.
#[inline(always)]
fn rd_int(b: &[u8], size: usize, i: usize) -> i32 {
    if size == 1 {
        b.get(i).map_or(0, |&v| v as i8 as i32)
    } else {
        b.get(2 * i..2 * i + 2)
            .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]) as i32)
    }
}

/// Stores `v` into element `i`, wrapping to the element type as C++'s implicit conversion does.
#[inline(always)]
fn wr_int(b: &mut [u8], size: usize, i: usize, v: i32) {
    if size == 1 {
        if let Some(o) = b.get_mut(i) {
            *o = v as i8 as u8;
        }
    } else if let Some(s) = b.get_mut(2 * i..2 * i + 2) {
        s.copy_from_slice(&(v as i16).to_le_bytes());
    }
}

/// TFLM's `ActivationValFloat`: `TfLiteMax`/`TfLiteMin` are `fmax`/`fmin` (a NaN operand
/// yields the other one).
fn activation_f32(code: u32, a: f32) -> f32 {
    match code {
        1 => libm::fmaxf(0.0, a),
        2 => libm::fmaxf(-1.0, libm::fminf(a, 1.0)),
        3 => libm::fmaxf(0.0, libm::fminf(a, 6.0)),
        4 => super::lstm::tanh_f32(a),
        5 => {
            if a.is_sign_negative() {
                1.0
            } else {
                0.0
            }
        }
        _ => a,
    }
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, wf, wt, bias, state, output) = (
        ctx.loc(p.input)?,
        ctx.loc(p.weights_feature)?,
        ctx.loc(p.weights_time)?,
        ctx.loc(p.bias)?,
        ctx.loc(p.state)?,
        ctx.loc(p.output)?,
    );
    let (r, [out, state]) = ctx.split([output, state])?;
    let (input, wf, wt, bias) = (r.get(input)?, r.get(wf)?, r.get(wt)?, r.get(bias)?);
    run(&p, input, wf, wt, bias, state, out)
}

/// One SVDF invocation over raw little-endian tensor bytes.
fn run(
    p: &Params,
    input: &[u8],
    wf: &[u8],
    wt: &[u8],
    bias: &[u8],
    state: &mut [u8],
    out: &mut [u8],
) -> Result<()> {
    run_with(p, input, wf, wt, bias, state, out, true)
}

/// [`run`], with the fast int8 loops allowed or not (the tests compare the two).
#[allow(clippy::too_many_arguments)]
fn run_with(
    p: &Params,
    input: &[u8],
    wf: &[u8],
    wt: &[u8],
    bias: &[u8],
    state: &mut [u8],
    out: &mut [u8],
    allow_fast: bool,
) -> Result<()> {
    let (batches, input_size, filters, units, rank, memory) = (
        p.batches as usize,
        p.input_size as usize,
        p.filters as usize,
        p.units as usize,
        p.rank as usize,
        p.memory as usize,
    );
    let (act, weight, state_size) = match p.kind {
        KIND_F32 => (4, 4, 4),
        KIND_I8 => (1, 1, 1),
        _ => (1, 1, 2),
    };
    let state_elems = batches * filters * memory;
    let has_bias = !bias.is_empty();
    // Prepare checked the shapes; these re-checks make every index below in range.
    if input.len() < batches * input_size * act
        || wf.len() < filters * input_size * weight
        || wt.len() < filters * memory * state_size
        || state.len() < state_elems * state_size
        || out.len() < batches * units * act
        || (has_bias && bias.len() < units * 4)
    {
        return Err(Error::malformed("SVDF buffers"));
    }
    if state_elems == 0 {
        return Ok(());
    }
    // TFLM shifts the whole state one element left (each filter's oldest entry drops out; the
    // newest slot is overwritten below).
    state.copy_within(state_size..state_elems * state_size, 0);

    if p.kind == KIND_F32 {
        // Feature projection into each filter's newest slot: float accumulator from 0.0f, in
        // input order (TFLM's `dot_prod`).
        for b in 0..batches {
            for f in 0..filters {
                let mut dot = 0.0f32;
                for c in 0..input_size {
                    dot += rd_f32(wf, f * input_size + c) * rd_f32(input, b * input_size + c);
                }
                wr_f32(state, (b * filters + f) * memory + memory - 1, dot);
            }
        }
        // Per unit: bias (or 0.0f), then each of its `rank` filters' time sums in order, each
        // sum a float accumulator from 0.0f over the memory (TFLM's scratch then output loop).
        for b in 0..batches {
            for u in 0..units {
                let mut acc = if has_bias { rd_f32(bias, u) } else { 0.0 };
                for j in 0..rank {
                    let f = u * rank + j;
                    let mut s = 0.0f32;
                    for m in 0..memory {
                        s += rd_f32(wt, f * memory + m)
                            * rd_f32(state, (b * filters + f) * memory + m);
                    }
                    acc += s;
                }
                wr_f32(out, b * units + u, activation_f32(p.activation, acc));
            }
        }
        return Ok(());
    }

    if allow_fast
        && p.kind == KIND_I8
        && dot::offset_fits(p.input_zp.wrapping_neg())
        && dot::offset_fits(p.state_zp.wrapping_neg())
        && memory <= dot::CHUNK
    {
        run_i8_fast(
            p,
            bytemuck::cast_slice(input),
            bytemuck::cast_slice(wf),
            bytemuck::cast_slice(wt),
            if has_bias { bias } else { &[] },
            bytemuck::cast_slice_mut(state),
            bytemuck::cast_slice_mut(out),
        );
        return Ok(());
    }
    let (t_min, t_max) = if state_size == 1 {
        (i8::MIN as i32, i8::MAX as i32)
    } else {
        (i16::MIN as i32, i16::MAX as i32)
    };
    // Feature projection: int32 accumulator of weight * (input - input_zp), requantized to the
    // state scale, clamped to the state type, then the state zero point added (the sum wraps
    // to the state type as TFLM's store does).
    for b in 0..batches {
        for f in 0..filters {
            let mut dot: i32 = 0;
            for c in 0..input_size {
                let w = rd_int(wf, 1, f * input_size + c);
                let x = rd_int(input, 1, b * input_size + c);
                dot = dot.wrapping_add(w.wrapping_mul(x.wrapping_sub(p.input_zp)));
            }
            let dot =
                quant::multiply_by_quantized_multiplier(dot, p.scale_1_multiplier, p.scale_1_shift)
                    .max(t_min)
                    .min(t_max);
            wr_int(
                state,
                state_size,
                (b * filters + f) * memory + memory - 1,
                p.state_zp.wrapping_add(dot),
            );
        }
    }
    // Per unit: int32 bias, plus each of its filters' int32 time sums of
    // time_weight * (state - state_zp); requantized to the output, offset, clamped to int8.
    for b in 0..batches {
        for u in 0..units {
            let mut acc = if has_bias { rd_i32(bias, u) } else { 0 };
            for j in 0..rank {
                let f = u * rank + j;
                let mut s: i32 = 0;
                for m in 0..memory {
                    let w = rd_int(wt, state_size, f * memory + m);
                    let v = rd_int(state, state_size, (b * filters + f) * memory + m);
                    s = s.wrapping_add(w.wrapping_mul(v.wrapping_sub(p.state_zp)));
                }
                acc = acc.wrapping_add(s);
            }
            let v =
                quant::multiply_by_quantized_multiplier(acc, p.scale_2_multiplier, p.scale_2_shift)
                    .wrapping_add(p.output_zp)
                    .clamp(-128, 127);
            if let Some(o) = out.get_mut(b * units + u) {
                *o = v as i8 as u8;
            }
        }
    }
    Ok(())
}

/// Filters whose feature projections [`run_i8_fast`] computes together.
const FILTERS: usize = 32;

/// The integer SVDF with int8 state, fast, the same bits as the plain loops in [`run`] (which
/// has already shifted the state): the feature projection is [`dot::matvec`] (TFLM's
/// products `w * (x - input_zp)` from int16 operands, four filters at a time, summed modulo
/// 2^32 like its int32 accumulator), each filter's time sum one int16 dot product over its
/// state widened with the zero point subtracted, and the requantizations
/// [`quant::ChannelRequant`]. Needs both zero points to satisfy [`dot::offset_fits`] when
/// negated, and the memory within [`dot::CHUNK`].
fn run_i8_fast(
    p: &Params,
    input: &[i8],
    wf: &[i8],
    wt: &[i8],
    bias: &[u8],
    state: &mut [i8],
    out: &mut [i8],
) {
    let (batches, input_size, filters, units, rank, memory) = (
        p.batches as usize,
        p.input_size as usize,
        p.filters as usize,
        p.units as usize,
        p.rank as usize,
        p.memory as usize,
    );
    let m8 = (memory + 7) & !7;
    // run() checked these lengths against the shapes; this makes the slicing below in range.
    if memory == 0
        || m8 > dot::CHUNK
        || units * rank > filters
        || input.len() < batches * input_size
        || wf.len() < filters * input_size
        || wt.len() < filters * memory
        || state.len() < batches * filters * memory
        || out.len() < batches * units
    {
        return;
    }
    let (xo, so) = (
        p.input_zp.wrapping_neg() as i16,
        p.state_zp.wrapping_neg() as i16,
    );
    let rq1 = quant::ChannelRequant::new(p.scale_1_multiplier, p.scale_1_shift);
    let rq2 = quant::ChannelRequant::new(p.scale_2_multiplier, p.scale_2_shift);
    // Feature projection into each filter's newest slot: requantized to the state scale,
    // clamped to int8, the zero point added (wrapping, as TFLM's int8 store).
    for b in 0..batches {
        let xb = &input[b * input_size..(b + 1) * input_size];
        let fill = |k0: usize, buf: &mut [i16]| {
            for (d, &v) in buf.iter_mut().zip(xb.get(k0..).unwrap_or(&[])) {
                *d = (v as i16).wrapping_add(xo);
            }
        };
        let mut f0 = 0;
        while f0 < filters {
            let n = FILTERS.min(filters - f0);
            let mut acc = [0i32; FILTERS];
            let add = |r: usize, v: i32| {
                if let Some(a) = acc.get_mut(r) {
                    *a = a.wrapping_add(v);
                }
            };
            dot::matvec::<{ dot::CHUNK }>(fill, &wf[f0 * input_size..], 0, n, input_size, add);
            for (i, &a) in acc[..n].iter().enumerate() {
                let v = rq1.apply(a).clamp(-128, 127);
                let at = (b * filters + f0 + i) * memory + memory - 1;
                state[at] = p.state_zp.wrapping_add(v) as i8;
            }
            f0 += n;
        }
    }
    // Per unit: the bias, plus each of its filters' time sums of w * (state - state_zp); a
    // filter's weights run over the padded length when the tensor has the bytes (the zero
    // padding cancels the next filter's values).
    let mut buf = [0i16; dot::CHUNK];
    for b in 0..batches {
        for u in 0..units {
            let mut acc = if bias.is_empty() { 0 } else { rd_i32(bias, u) };
            for j in 0..rank {
                let f = u * rank + j;
                let row = &state[(b * filters + f) * memory..(b * filters + f + 1) * memory];
                for (d, &v) in buf.iter_mut().zip(row) {
                    *d = (v as i16).wrapping_add(so);
                }
                let at = f * memory;
                let (w, n) = match wt.get(at..at + m8) {
                    Some(w) => (w, m8),
                    None => (&wt[at..at + memory], memory),
                };
                acc = acc.wrapping_add(dot::dot_i16_i8(&buf[..n], w, 0));
            }
            let v = rq2.apply(acc).wrapping_add(p.output_zp).clamp(-128, 127);
            out[b * units + u] = v as i8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kind: u32, rank: u32, units: u32, memory: u32, input_size: u32) -> Params {
        Params {
            input: TensorId::NONE,
            weights_feature: TensorId::NONE,
            weights_time: TensorId::NONE,
            bias: TensorId::NONE,
            state: TensorId::NONE,
            output: TensorId::NONE,
            kind,
            batches: 1,
            input_size,
            filters: units * rank,
            units,
            rank,
            memory,
            input_zp: 0,
            state_zp: 0,
            output_zp: 0,
            scale_1_multiplier: 0,
            scale_1_shift: 0,
            scale_2_multiplier: 0,
            scale_2_shift: 0,
            activation: 0,
        }
    }

    #[test]
    fn int8_svdf_shifts_state_and_requantizes() {
        // One filter, memory 2, input 2. Scale 1 = 0.5, scale 2 = 0.25.
        let mut p = params(KIND_I8, 1, 1, 2, 2);
        (p.input_zp, p.state_zp, p.output_zp) = (1, -2, 3);
        (p.scale_1_multiplier, p.scale_1_shift) = (1 << 30, 0);
        (p.scale_2_multiplier, p.scale_2_shift) = (1 << 30, -1);
        let input = [3i8 as u8, -1i8 as u8];
        let wf = [5u8, 2];
        let wt = [4u8, 3];
        let bias = 7i32.to_le_bytes();
        let mut state = [-2i8 as u8; 2]; // reset to the state zero point
        let mut out = [0u8];
        // Feature: 5*(3-1) + 2*(-1-1) = 6 -> 3 at scale 1 -> state [-2, 1] after the shift.
        // Time: 4*(-2+2) + 3*(1+2) = 9, + bias 7 = 16 -> 4 at scale 2, + 3 = 7.
        run(&p, &input, &wf, &wt, &bias, &mut state, &mut out).unwrap();
        assert_eq!((state, out[0] as i8), ([-2i8 as u8, 1], 7));
        // Again: state [1, 1]: 4*3 + 3*3 + 7 = 28 -> 7, + 3 = 10.
        run(&p, &input, &wf, &wt, &bias, &mut state, &mut out).unwrap();
        assert_eq!((state, out[0] as i8), ([1, 1], 10));
    }

    /// The fast int8 loops give the plain loops' bits (state and output) on random sizes,
    /// zero points, multipliers and data, over several invocations.
    #[test]
    fn fast_int8_matches_plain() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..200 {
            let mut range = |lo: i64, hi: i64| lo + (next() % (hi - lo + 1) as u64) as i64;
            let (rank, units) = (range(1, 3) as u32, range(1, 40) as u32);
            let (memory, input_size) = (range(1, 40) as u32, range(1, 100) as u32);
            let mut p = params(KIND_I8, rank, units, memory, input_size);
            p.batches = range(1, 2) as u32;
            (p.input_zp, p.state_zp, p.output_zp) = (
                range(-128, 127) as i32,
                range(-128, 127) as i32,
                range(-128, 127) as i32,
            );
            p.scale_1_multiplier = range(1 << 30, i32::MAX as i64) as i32;
            p.scale_1_shift = range(-12, 0) as i32;
            p.scale_2_multiplier = range(1 << 30, i32::MAX as i64) as i32;
            p.scale_2_shift = range(-14, 0) as i32;
            let (b, f, m) = (p.batches as usize, p.filters as usize, memory as usize);
            let mut bytes = |n: usize| (0..n).map(|_| range(0, 255) as u8).collect::<Vec<u8>>();
            let input = bytes(b * input_size as usize);
            let wf = bytes(f * input_size as usize);
            let wt = bytes(f * m);
            let bias = if case % 4 == 0 {
                Vec::new()
            } else {
                bytes(4 * units as usize)
            };
            let state0 = bytes(b * f * m);
            let mut results = Vec::new();
            for fast in [false, true] {
                let mut state = state0.clone();
                let mut out = vec![0u8; b * units as usize];
                let mut outs = Vec::new();
                for _ in 0..3 {
                    run_with(&p, &input, &wf, &wt, &bias, &mut state, &mut out, fast).unwrap();
                    outs.extend_from_slice(&out);
                }
                results.push((state, outs));
            }
            assert!(results[0] == results[1], "case {case}");
        }
    }

    #[test]
    fn float_svdf_sums_rank_filters_per_unit() {
        // Rank 2, one unit, memory 1, input 1: each invocation's state is the projection.
        let mut p = params(KIND_F32, 2, 1, 1, 1);
        p.activation = 1; // RELU
        let f = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let (input, wf, wt, bias) = (f(&[2.0]), f(&[0.5, -1.5]), f(&[3.0, 1.0]), f(&[0.25]));
        let mut state = [0u8; 8];
        let mut out = [0u8; 4];
        // Filters: 1.0 and -3.0; output 0.25 + 3*1 + 1*(-3) = 0.25.
        run(&p, &input, &wf, &wt, &bias, &mut state, &mut out).unwrap();
        assert_eq!(f32::from_le_bytes(out), 0.25);
        let wt = f(&[1.0, 1.0]); // 0.25 + 1 - 3 < 0: RELU gives 0
        run(&p, &input, &wf, &wt, &bias, &mut state, &mut out).unwrap();
        assert_eq!(f32::from_le_bytes(out), 0.0);
    }

    #[test]
    fn short_buffers_are_an_error_not_a_panic() {
        let p = params(KIND_I16, 1, 2, 3, 4);
        let mut state = [0u8; 4];
        let mut out = [0u8; 2];
        assert!(run(&p, &[0; 4], &[0; 8], &[0; 12], &[0; 8], &mut state, &mut out).is_err());
    }

    #[test]
    fn int_accessors_wrap_like_cpp_stores() {
        let mut b = [0u8; 4];
        wr_int(&mut b, 1, 0, -178); // -50 + -128: wraps to 78 as an int8 store does
        assert_eq!(rd_int(&b, 1, 0), 78);
        wr_int(&mut b, 2, 1, -2);
        assert_eq!(rd_int(&b, 2, 1), -2);
        wr_int(&mut b, 2, 1, 40000);
        assert_eq!(rd_int(&b, 2, 1), 40000 - 65536);
    }

    #[test]
    fn float_activations_follow_fmax_fmin() {
        assert_eq!(activation_f32(1, -2.0), 0.0);
        assert!(
            activation_f32(1, f32::NAN) == 0.0,
            "fmax ignores a NaN operand"
        );
        assert_eq!(activation_f32(2, 3.0), 1.0);
        assert_eq!(activation_f32(3, 7.5), 6.0);
        assert_eq!(activation_f32(5, -0.5), 1.0);
        assert_eq!(activation_f32(5, 0.5), 0.0);
        assert_eq!(activation_f32(0, -3.25), -3.25);
    }
}
