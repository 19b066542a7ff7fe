//! MEAN, SUM, REDUCE_MAX, REDUCE_MIN over any set of axes — TFLM's micro `reduce.cc` /
//! `reduce_common.cc` over `reference_ops::{Mean, QuantizedMeanOrSum, ReduceGeneric}`.
//!
//! Like TFLM, the input is walked once in row-major order and each element is folded into the
//! output slot it reduces to (`ReducedOutputOffset`), so float sums accumulate in exactly TFLM's
//! order. TFLM's special 4-D mean over axes 1 and 2 (keep_dims) sums each output in the same
//! (h, w) order from the same zero and divides by the same count converted to float, so the
//! general walk reproduces it bit for bit.
//!
//! Quantized MEAN and SUM accumulate raw int32 sums in a scratch buffer (TFLM's
//! `temp_sum`, one int32 per output), subtract `zero_point * n` in 64 bits, and requantize with
//! `input_scale / output_scale` (for MEAN with `1/n` folded into the multiplier).

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant;
use crate::tensor::{DType, MAX_RANK};

/// MEAN. Versions: 1 float, 2 int8, 3 int16.
pub const MEAN: Registration = Registration {
    code: 40,
    max_version: 3,
    prepare: prepare_mean,
    eval,
    aliases_input: false,
};

/// SUM. Versions: 1 float (and int16), 2 int8.
pub const SUM: Registration = Registration {
    code: 74,
    max_version: 2,
    prepare: prepare_sum,
    eval,
    aliases_input: false,
};

/// REDUCE_MAX. Versions: 1 float, 2 int8 (3, int16, is not in TFLM micro).
pub const REDUCE_MAX: Registration = Registration {
    code: 82,
    max_version: 2,
    prepare: prepare_max,
    eval,
    aliases_input: false,
};

/// REDUCE_MIN. Versions: 1 float, 2 int8 (3, int16, is not in TFLM micro).
pub const REDUCE_MIN: Registration = Registration {
    code: 89,
    max_version: 2,
    prepare: prepare_min,
    eval,
    aliases_input: false,
};

const OP_MEAN: u32 = 0;
const OP_SUM: u32 = 1;
const OP_MAX: u32 = 2;
const OP_MIN: u32 = 3;

const KIND_F32: u32 = 0;
const KIND_I8: u32 = 1;
const KIND_I16: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    op: u32,
    kind: u32,
    /// Input rank (0 for a scalar).
    rank: u32,
    /// Input and output element counts.
    in_count: u32,
    out_count: u32,
    /// Input dimensions.
    dims: [u32; MAX_RANK],
    /// How far one step along each input dimension moves in the output: 0 on reduced axes,
    /// the row-major stride among the kept dimensions otherwise.
    out_strides: [u32; MAX_RANK],
    /// Input elements folded into each output (`num_elements_in_axis`).
    reduced: u32,
    /// Requantization (for MEAN with `1/reduced` folded in).
    multiplier: i32,
    shift: i32,
    input_zero_point: i32,
    output_zero_point: i32,
    qmin: i32,
    qmax: i32,
}

fn prepare_mean(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MEAN)
}

fn prepare_sum(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_SUM)
}

fn prepare_max(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MAX)
}

fn prepare_min(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MIN)
}

fn prepare(ctx: &mut Prepare<'_, '_>, op: u32) -> Result<()> {
    if ctx.input_count()? != 2 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("reduction needs an input, an axis tensor and one output"));
    }
    let input = ctx.input(0)?;
    let axis = ctx.input(1)?;
    let output = ctx.output(0)?;
    if axis.dtype != DType::I32 {
        return Err(ctx.unsupported("a reduction axis tensor that is not int32"));
    }
    let (axis_off, axis_len) = axis
        .data
        .ok_or(ctx.unsupported("a reduction axis computed at run time"))?;
    let axis_bytes = ctx
        .model
        .bytes()
        .get(axis_off..axis_off + axis_len)
        .ok_or(Error::malformed("axis tensor data"))?;
    if input.dtype != output.dtype {
        return Err(ctx.unsupported("a reduction that changes the element type"));
    }
    let kind = match (op, input.dtype) {
        (_, DType::F32) => KIND_F32,
        (_, DType::I8) => KIND_I8,
        (OP_MEAN | OP_SUM, DType::I16) => KIND_I16,
        _ => return Err(ctx.unsupported("these tensor types")),
    };

    // TFLM `ResolveAxis`: negative axes count from the end, duplicates count once, and a
    // scalar input ignores the axes altogether.
    let rank = input.shape.rank();
    let mut reduced_axis = [false; MAX_RANK];
    if rank > 0 {
        for chunk in axis_bytes.chunks_exact(4) {
            let a = i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let a = if a < 0 { a + rank as i32 } else { a };
            if a < 0 || a >= rank as i32 {
                return Err(ctx.invalid("reduction axis out of range"));
            }
            reduced_axis[a as usize] = true;
        }
    }
    let in_count = input.elements();
    if in_count == 0 {
        return Err(ctx.unsupported("a reduction of an empty tensor"));
    }
    let mut p = Params::zeroed();
    p.input = ctx.input_id(0)?;
    p.output = ctx.output_id(0)?;
    p.op = op;
    p.kind = kind;
    p.rank = rank as u32;
    p.in_count = in_count as u32;
    let (mut kept, mut reduced) = (1usize, 1usize);
    for d in (0..rank).rev() {
        let n = input.shape.dim(d) as usize;
        p.dims[d] = n as u32;
        if reduced_axis[d] {
            reduced *= n;
        } else {
            p.out_strides[d] = kept as u32;
            kept *= n;
        }
    }
    if output.elements() != kept {
        return Err(ctx.invalid("reduction output size differs from the kept dimensions"));
    }
    p.out_count = kept as u32;
    p.reduced = reduced as u32;

    if kind != KIND_F32 {
        let iq = input.require_quant()?;
        let oq = output.require_quant()?;
        if iq.channels > 1 || oq.channels > 1 {
            return Err(ctx.unsupported("per-channel quantization of a reduction"));
        }
        p.input_zero_point = iq.zero_point;
        p.output_zero_point = oq.zero_point;
        (p.qmin, p.qmax) = if kind == KIND_I8 {
            (-128, 127)
        } else {
            (-32768, 32767)
        };
        match op {
            OP_MEAN | OP_SUM => {
                // TFLM: QuantizeMultiplier(double(input_scale) / double(output_scale)).
                let (m, s) = quant::quantize_multiplier(iq.scale as f64 / oq.scale as f64);
                (p.multiplier, p.shift) = if op == OP_MEAN {
                    quant::fold_mean_divisor(m, s, reduced as i64)
                } else {
                    (m, s)
                };
                // One int32 running sum per output (TFLM's scratch `temp_sum`).
                ctx.request_scratch(4 * kept);
            }
            _ => {
                // TFLM's int8 REDUCE_MAX/MIN copies values and requires identical quantization.
                if iq.scale != oq.scale || iq.zero_point != oq.zero_point {
                    return Err(ctx.unsupported(
                        "an int8 REDUCE_MAX/MIN whose input and output quantization differ",
                    ));
                }
            }
        }
    }
    ctx.set_macs(in_count as u64);
    ctx.set_params(&p)
}

/// Calls `f(input_index, output_index)` for every input element in row-major order
/// (TFLM's `NextIndex` / `ReducedOutputOffset` walk).
#[inline(always)]
fn walk(p: &Params, mut f: impl FnMut(usize, usize)) {
    let rank = (p.rank as usize).min(MAX_RANK);
    if p.in_count == 0 {
        return;
    }
    if rank == 0 {
        f(0, 0);
        return;
    }
    let last = rank - 1;
    let (inner, step) = (p.dims[last] as usize, p.out_strides[last] as usize);
    let mut index = [0usize; MAX_RANK];
    let (mut i, mut o) = (0usize, 0usize);
    loop {
        for k in 0..inner {
            f(i + k, o + k * step);
        }
        i += inner;
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            o += p.out_strides[d] as usize;
            if index[d] < p.dims[d] as usize {
                break;
            }
            o -= p.out_strides[d] as usize * p.dims[d] as usize;
            index[d] = 0;
        }
    }
}

#[inline(always)]
fn load_i32(b: &[u8], i: usize) -> i32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0, |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn load_f32(b: &[u8], i: usize) -> f32 {
    f32::from_bits(load_i32(b, i) as u32)
}

#[inline(always)]
fn load_quantized(b: &[u8], kind: u32, i: usize) -> i32 {
    if kind == KIND_I8 {
        b.get(i).map_or(0, |&v| v as i8 as i32)
    } else {
        b.get(2 * i..2 * i + 2)
            .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]) as i32)
    }
}

#[inline(always)]
fn store_quantized(b: &mut [u8], kind: u32, i: usize, v: i32) {
    if kind == KIND_I8 {
        if let Some(o) = b.get_mut(i) {
            *o = v as i8 as u8;
        }
    } else if let Some(o) = b.get_mut(2 * i..2 * i + 2) {
        o.copy_from_slice(&(v as i16).to_le_bytes());
    }
}

#[inline(always)]
fn store_i32(b: &mut [u8], i: usize, v: i32) {
    if let Some(o) = b.get_mut(4 * i..4 * i + 4) {
        o.copy_from_slice(&v.to_le_bytes());
    }
}

/// The requantized mean or sum of one output from its raw int32 sum (the tail of TFLM's
/// `QuantizedMeanOrSum`): `sum - zero_point * n` formed in int64 and truncated to int32, one
/// 32-bit `MultiplyByQuantizedMultiplier`, the output zero point, the type's range.
#[inline(always)]
fn requantize_sum(p: &Params, sum: i32) -> i32 {
    let shifted = (sum as i64).wrapping_sub(p.input_zero_point as i64 * p.reduced as i64) as i32;
    quant::multiply_by_quantized_multiplier(shifted, p.multiplier, p.shift)
        .wrapping_add(p.output_zero_point)
        .max(p.qmin)
        .min(p.qmax)
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let scratch = ctx.scratch();
    let (r, [out, temp]) = ctx.split([output, scratch])?;
    let x = r.get(input)?;
    let (in_count, out_count) = (p.in_count as usize, p.out_count as usize);
    let size = match p.kind {
        KIND_F32 => 4,
        KIND_I16 => 2,
        _ => 1,
    };
    let quantized_sum = p.kind != KIND_F32 && (p.op == OP_MEAN || p.op == OP_SUM);
    // Prepare sized everything; re-checking makes every index below in range.
    if x.len() < in_count * size
        || out.len() < out_count * size
        || (quantized_sum && temp.len() < 4 * out_count)
    {
        return Err(Error::malformed("reduction buffers"));
    }

    if quantized_sum {
        // int32 running sums of the raw values (zero point not yet removed), wrapping as
        // TFLM's AddTensorValuesWithExpectedOverflow does.
        temp[..4 * out_count].fill(0);
        walk(&p, |i, o| {
            let s = load_i32(temp, o).wrapping_add(load_quantized(x, p.kind, i));
            store_i32(temp, o, s);
        });
        for o in 0..out_count {
            let v = requantize_sum(&p, load_i32(temp, o));
            store_quantized(out, p.kind, o, v);
        }
        return Ok(());
    }

    match (p.kind, p.op) {
        (KIND_F32, OP_MEAN | OP_SUM) => {
            // float sums accumulated in the output itself, in input order, from 0.0f.
            out[..4 * out_count].fill(0);
            walk(&p, |i, o| {
                let s = load_f32(out, o) + load_f32(x, i);
                store_i32(out, o, s.to_bits() as i32);
            });
            if p.op == OP_MEAN {
                // sum / float(num_elements_in_axis), in float.
                let n = p.reduced as f32;
                for o in 0..out_count {
                    let v = load_f32(out, o) / n;
                    store_i32(out, o, v.to_bits() as i32);
                }
            }
        }
        (KIND_F32, _) => {
            // TFLM ReduceGeneric: start from lowest()/max(), keep `in` when strictly
            // greater (less).
            let init = if p.op == OP_MAX { f32::MIN } else { f32::MAX };
            for o in 0..out_count {
                store_i32(out, o, init.to_bits() as i32);
            }
            walk(&p, |i, o| {
                let (cur, v) = (load_f32(out, o), load_f32(x, i));
                let keep = if p.op == OP_MAX { v > cur } else { v < cur };
                if keep {
                    store_i32(out, o, v.to_bits() as i32);
                }
            });
        }
        _ => {
            // int8 REDUCE_MAX/MIN: the same walk on raw values.
            let init = if p.op == OP_MAX { -128 } else { 127 };
            for o in 0..out_count {
                store_quantized(out, KIND_I8, o, init);
            }
            walk(&p, |i, o| {
                let (cur, v) = (
                    load_quantized(out, KIND_I8, o),
                    load_quantized(x, KIND_I8, i),
                );
                let keep = if p.op == OP_MAX { v > cur } else { v < cur };
                if keep {
                    store_quantized(out, KIND_I8, o, v);
                }
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(dims: &[u32], axes: &[usize]) -> Params {
        let mut p = Params::zeroed();
        p.rank = dims.len() as u32;
        let mut kept = 1;
        let mut total = 1;
        for d in (0..dims.len()).rev() {
            p.dims[d] = dims[d];
            total *= dims[d];
            if !axes.contains(&d) {
                p.out_strides[d] = kept;
                kept *= dims[d];
            }
        }
        p.in_count = total;
        p.out_count = kept;
        p
    }

    #[test]
    fn walk_maps_inputs_to_reduced_outputs() {
        // [2,3] reduced over axis 0: outputs are columns.
        let p = params(&[2, 3], &[0]);
        let mut seen = [0usize; 6];
        walk(&p, |i, o| seen[i] = o);
        assert_eq!(seen, [0, 1, 2, 0, 1, 2]);
        // Over axis 1: rows.
        let p = params(&[2, 3], &[1]);
        walk(&p, |i, o| seen[i] = o);
        assert_eq!(seen, [0, 0, 0, 1, 1, 1]);
        // [2,2,2] over axes 0 and 2: the middle index.
        let p = params(&[2, 2, 2], &[0, 2]);
        let mut seen = [0usize; 8];
        walk(&p, |i, o| seen[i] = o);
        assert_eq!(seen, [0, 0, 1, 1, 0, 0, 1, 1]);
    }

    #[test]
    fn quantized_mean_requantizes_like_tflm() {
        // Mean of 3 int8 values at equal scales, zero point 1: raw sum 3+4+6 = 13, minus 1*3
        // = 10; multiplier 1.0 = (2^30, shift 1) folds to ((2^30 << 1) / 3, shift 0), so
        // 10 * 0.333.. = 3.33 -> 3, plus output zero point 1 = 4.
        let mut p = params(&[3], &[0]);
        p.reduced = 3;
        p.input_zero_point = 1;
        p.output_zero_point = 1;
        p.qmin = -128;
        p.qmax = 127;
        let (m, s) = quant::quantize_multiplier(1.0);
        (p.multiplier, p.shift) = quant::fold_mean_divisor(m, s, 3);
        assert_eq!(requantize_sum(&p, 13), 4);
        // 2+2+2 - 3 = 3, /3 = 1, +1 = 2.
        assert_eq!(requantize_sum(&p, 6), 2);
        // Saturates at the type's range.
        assert_eq!(requantize_sum(&p, 3000), 127);
    }
}
