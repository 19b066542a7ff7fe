//! ADD, SUB, MUL: int8, int16, float32 and int32; DIV: float32, int32 and int8 — with
//! NumPy-style broadcasting of any two shapes up to rank 6. TFLM's micro `add.cc`, `sub.cc`,
//! `mul.cc`, `div.cc` over `reference_ops::{Add, Sub, Mul, Div}`,
//! `reference_integer_ops::{Add, Mul}` and `BroadcastBinaryOpSimple`.
//!
//! Every output element depends on exactly one element of each input, so the order TFLM walks a
//! broadcast in (its fused loop nest) cannot change a result: one row-major walk with per-input
//! strides (zero along broadcast dimensions) reproduces all of TFLM's paths (flat, broadcast,
//! `ProcessBroadcastShapes`' fivefold categories).
//!
//! TFLM micro runs int16 ADD and SUB through the general rescaling path (left shift 15) whatever
//! the `pot_scale_int16` option says: its micro kernels never take the power-of-two path, so
//! neither does this one.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant::{self, Activation};
use crate::tensor::{DType, Quant, Shape, TensorInfo, MAX_RANK};

/// ADD. Versions: 1 float/int32 (and int16 with `pot_scale_int16`), 2 int8, 3 int16.
pub const ADD: Registration = Registration {
    code: 0,
    max_version: 3,
    prepare: prepare_add,
    eval,
    aliases_input: false,
};

/// SUB. Versions: 1 float/int32, 2 int8, 3 broadcasts above rank 4, 5 int16 (4 is int64).
pub const SUB: Registration = Registration {
    code: 41,
    max_version: 5,
    prepare: prepare_sub,
    eval,
    aliases_input: false,
};

/// MUL. Versions: 1 float/int32, 2 int8, 3 int8 with a rescale >= 1, 4 int16.
pub const MUL: Registration = Registration {
    code: 18,
    max_version: 4,
    prepare: prepare_mul,
    eval,
    aliases_input: false,
};

/// DIV. Versions: 1, and 2 for broadcasts above rank 4 (every type in both).
pub const DIV: Registration = Registration {
    code: 42,
    max_version: 2,
    prepare: prepare_div,
    eval,
    aliases_input: false,
};

const OP_ADD: u32 = 0;
const OP_SUB: u32 = 1;
const OP_MUL: u32 = 2;
const OP_DIV: u32 = 3;

const KIND_F32: u32 = 0;
const KIND_I32: u32 = 1;
const KIND_I8: u32 = 2;
const KIND_I16: u32 = 3;

/// How a binary element-wise op walks its output and two inputs (shared with MAXIMUM and
/// MINIMUM).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct Broadcast {
    /// Output elements.
    pub count: u32,
    /// Elements of each input (eval re-checks the buffers against them).
    pub count1: u32,
    pub count2: u32,
    /// Rank of the broadcast walk; 0 for a flat element-wise walk (both inputs have the
    /// output's element count, as TFLM's non-broadcast path requires).
    pub rank: u32,
    /// Output dimensions of the broadcast walk.
    pub dims: [u32; MAX_RANK],
    /// Element strides of each input per output dimension; 0 where that input broadcasts.
    pub strides1: [u32; MAX_RANK],
    pub strides2: [u32; MAX_RANK],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input1: TensorId,
    input2: TensorId,
    output: TensorId,
    op: u32,
    kind: u32,
    bc: Broadcast,
    left_shift: i32,
    input1_offset: i32,
    input1_multiplier: i32,
    input1_shift: i32,
    input2_offset: i32,
    input2_multiplier: i32,
    input2_shift: i32,
    output_offset: i32,
    output_multiplier: i32,
    output_shift: i32,
    act_min: i32,
    act_max: i32,
    f_min: f32,
    f_max: f32,
}

fn prepare_add(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_ADD)
}

fn prepare_sub(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_SUB)
}

fn prepare_mul(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MUL)
}

fn prepare_div(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_DIV)
}

/// The per-tensor quantization of an int8/int16 operand; per-channel scales have no meaning
/// for these ops (TFLM would silently use channel 0), so they are refused.
fn per_tensor_quant(ctx: &Prepare<'_, '_>, t: &TensorInfo<'_>) -> Result<Quant> {
    let q = t.require_quant()?;
    if q.channels > 1 {
        return Err(ctx.unsupported("per-channel quantization of an element-wise operand"));
    }
    Ok(q)
}

/// Sets up the walk over the output: flat when both inputs have the same shape (TFLM's
/// `HaveSameShapes`), else a broadcast over the shapes right-aligned to a common rank.
pub(super) fn set_broadcast(
    ctx: &Prepare<'_, '_>,
    a: &Shape,
    b: &Shape,
    out: &Shape,
    p: &mut Broadcast,
) -> Result<()> {
    let (na, nb, no) = (
        a.elements().ok_or(crate::error::Error::TooLarge)?,
        b.elements().ok_or(crate::error::Error::TooLarge)?,
        out.elements().ok_or(crate::error::Error::TooLarge)?,
    );
    p.count = no as u32;
    p.count1 = na as u32;
    p.count2 = nb as u32;
    if a.dims() == b.dims() {
        if na != no {
            return Err(ctx.invalid("element-wise output size differs from its inputs"));
        }
        p.rank = 0;
        return Ok(());
    }
    let rank = a.rank().max(b.rank()).max(out.rank());
    // Dimension `i` of `s` right-aligned to `rank` (leading dimensions are 1).
    let ext = |s: &Shape, i: usize| -> i32 {
        let lead = rank - s.rank();
        if i < lead {
            1
        } else {
            s.dim(i - lead)
        }
    };
    let (mut acc_a, mut acc_b) = (1usize, 1usize);
    for i in (0..rank).rev() {
        let (da, db, d) = (ext(a, i), ext(b, i), ext(out, i));
        let expected = if da == 1 {
            db
        } else if db == 1 || db == da {
            da
        } else {
            return Err(ctx.invalid("element-wise input shapes do not broadcast"));
        };
        if d != expected {
            return Err(ctx.invalid("element-wise output shape is not the broadcast shape"));
        }
        p.dims[i] = d as u32;
        // A dimension of 1 that the output repeats is read again and again: stride 0.
        p.strides1[i] = if da == 1 { 0 } else { acc_a as u32 };
        p.strides2[i] = if db == 1 { 0 } else { acc_b as u32 };
        acc_a *= da as usize;
        acc_b *= db as usize;
    }
    p.rank = rank as u32;
    Ok(())
}

fn prepare(ctx: &mut Prepare<'_, '_>, op: u32) -> Result<()> {
    if ctx.input_count()? != 2 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("element-wise op needs two inputs and one output"));
    }
    let in1 = ctx.input(0)?;
    let in2 = ctx.input(1)?;
    let out = ctx.output(0)?;
    let activation = match ctx.options()? {
        Some(o) => o.u8(0, 0)?,
        None => 0,
    };
    let activation =
        Activation::from_code(activation).ok_or(ctx.unsupported("this fused activation"))?;
    if in1.dtype != out.dtype || in2.dtype != out.dtype {
        return Err(ctx.unsupported("inputs and output of different types"));
    }
    let kind = match out.dtype {
        DType::F32 => KIND_F32,
        DType::I32 => KIND_I32,
        DType::I8 => KIND_I8,
        DType::I16 if op != OP_DIV => KIND_I16,
        _ => return Err(ctx.unsupported("these tensor types")),
    };
    let mut p = Params::zeroed();
    p.input1 = ctx.input_id(0)?;
    p.input2 = ctx.input_id(1)?;
    p.output = ctx.output_id(0)?;
    p.op = op;
    p.kind = kind;
    set_broadcast(ctx, &in1.shape, &in2.shape, &out.shape, &mut p.bc)?;

    match kind {
        KIND_F32 => {
            let (lo, hi) = quant::activation_range_f32(activation);
            p.f_min = lo;
            p.f_max = hi;
        }
        KIND_I32 => {
            // TFLM only runs unquantized int32 ADD, SUB and DIV (MUL does not check).
            let quantized = |t: &TensorInfo<'_>| t.quant.is_some();
            if op != OP_MUL && (quantized(&in1) || quantized(&in2)) {
                return Err(ctx.unsupported("quantized int32 inputs"));
            }
            if op == OP_SUB && quantized(&out) {
                return Err(ctx.unsupported("a quantized int32 output"));
            }
            // TFLM's int32 ADD ignores the fused activation; SUB, MUL and DIV apply it.
            let (lo, hi) = if op == OP_ADD {
                (i32::MIN, i32::MAX)
            } else {
                quant::activation_range_i32(activation)
            };
            p.act_min = lo;
            p.act_max = hi;
        }
        _ => {
            let q1 = per_tensor_quant(ctx, &in1)?;
            let q2 = per_tensor_quant(ctx, &in2)?;
            let qo = per_tensor_quant(ctx, &out)?;
            let (qmin, qmax) = if kind == KIND_I8 {
                (-128, 127)
            } else {
                (-32768, 32767)
            };
            p.input1_offset = q1.zero_point.wrapping_neg();
            p.input2_offset = q2.zero_point.wrapping_neg();
            p.output_offset = qo.zero_point;
            if op == OP_DIV {
                // s1 / (s2 * so) in double: the reference tree divides the float scales in
                // float before widening, but the oracle (PyPI `tflite-micro`) matches only the
                // double form (`div__int8_const_divisor_*` has exact ties that tell them apart).
                let real = q1.scale as f64 / (q2.scale as f64 * qo.scale as f64);
                let (m, s) = quant::quantize_multiplier(real);
                p.output_multiplier = m;
                p.output_shift = s;
            } else if op == OP_MUL {
                if kind == KIND_I16
                    && (q1.zero_point != 0 || q2.zero_point != 0 || qo.zero_point != 0)
                {
                    return Err(ctx.unsupported("int16 MUL with a non-zero zero point"));
                }
                // TFLM: double(s1) * double(s2) / double(so), any shift.
                let real = q1.scale as f64 * q2.scale as f64 / qo.scale as f64;
                let (m, s) = quant::quantize_multiplier(real);
                p.output_multiplier = m;
                p.output_shift = s;
            } else {
                set_add_sub_multipliers(ctx, kind, q1.scale, q2.scale, qo.scale, &mut p)?;
            }
            let (lo, hi) =
                quant::activation_range_quantized(activation, qo.scale, qo.zero_point, qmin, qmax);
            p.act_min = lo;
            p.act_max = hi;
        }
    }
    ctx.set_macs(p.bc.count as u64);
    ctx.set_params(&p)
}

/// TFLM's `CalculateOpDataAdd` / `CalculateOpDataSub`: both inputs are brought to a common scale
/// of twice the larger input scale, with `left_shift` bits of headroom (20 for int8, 15 for
/// int16), then rescaled to the output; the three real multipliers are formed in double and
/// quantized with `QuantizeMultiplierSmallerThanOneExp`.
///
/// SUB too: the `sub_common.cc` in the reference tree divides the float scales in float before
/// widening, but the TFLM build this engine is checked against (PyPI `tflite-micro`) computes
/// SUB's multipliers exactly as ADD's — the `*_int8_grid*` conformance cases contain scales
/// where the float and double forms give different outputs, and only the double form matches
/// (for the input multipliers and for the output multiplier alike).
fn set_add_sub_multipliers(
    ctx: &Prepare<'_, '_>,
    kind: u32,
    s1: f32,
    s2: f32,
    so: f32,
    p: &mut Params,
) -> Result<()> {
    p.left_shift = if kind == KIND_I16 { 15 } else { 20 };
    let twice_max = 2.0 * (s1.max(s2) as f64);
    let real1 = s1 as f64 / twice_max;
    let real2 = s2 as f64 / twice_max;
    let real_out = twice_max / ((1i32 << p.left_shift) as f64 * so as f64);
    let refuse =
        || ctx.unsupported("input/output scales whose ADD/SUB multipliers are not below 1");
    let (m1, sh1) = quant::quantize_multiplier_smaller_than_one_exp(real1).ok_or_else(refuse)?;
    let (m2, sh2) = quant::quantize_multiplier_smaller_than_one_exp(real2).ok_or_else(refuse)?;
    let (mo, sho) = quant::quantize_multiplier_smaller_than_one_exp(real_out).ok_or_else(refuse)?;
    p.input1_multiplier = m1;
    p.input1_shift = sh1;
    p.input2_multiplier = m2;
    p.input2_shift = sh2;
    p.output_multiplier = mo;
    p.output_shift = sho;
    Ok(())
}

/// Calls `f(output_index, input1_index, input2_index)` for every output element in row-major
/// order.
#[inline(always)]
pub(super) fn walk(p: &Broadcast, mut f: impl FnMut(usize, usize, usize)) {
    let count = p.count as usize;
    let rank = (p.rank as usize).min(MAX_RANK);
    if rank == 0 {
        for i in 0..count {
            f(i, i, i);
        }
        return;
    }
    if count == 0 {
        return;
    }
    let last = rank - 1;
    let (inner, s1, s2) = (
        p.dims[last] as usize,
        p.strides1[last] as usize,
        p.strides2[last] as usize,
    );
    let mut index = [0usize; MAX_RANK];
    let (mut o, mut a, mut b) = (0usize, 0usize, 0usize);
    loop {
        for k in 0..inner {
            f(o + k, a + k * s1, b + k * s2);
        }
        o += inner;
        // Odometer over the outer dimensions, moving each input by its stride.
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            a += p.strides1[d] as usize;
            b += p.strides2[d] as usize;
            if index[d] < p.dims[d] as usize {
                break;
            }
            a -= p.strides1[d] as usize * p.dims[d] as usize;
            b -= p.strides2[d] as usize * p.dims[d] as usize;
            index[d] = 0;
        }
    }
}

#[inline(always)]
fn load_i8(b: &[u8], i: usize) -> i32 {
    b.get(i).map_or(0, |&v| v as i8 as i32)
}

#[inline(always)]
fn load_i16(b: &[u8], i: usize) -> i32 {
    b.get(2 * i..2 * i + 2)
        .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]) as i32)
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
fn store(out: &mut [u8], i: usize, bytes: &[u8]) {
    let n = bytes.len();
    if let Some(o) = out.get_mut(n * i..n * i + n) {
        o.copy_from_slice(bytes);
    }
}

/// One int8/int16 ADD or SUB element (TFLM `AddFunc` / `SubElementwise` /
/// `BroadcastQuantSubSlow`, all alike): offset, shift left into 32-bit headroom, scale each
/// input to the common scale, add (subtract), rescale to the output, offset, clamp. All in
/// int32; the C++ arithmetic cannot overflow for real scales, wrapping keeps hostile ones total.
#[inline(always)]
fn add_sub_quantized(p: &Params, x: i32, y: i32) -> i32 {
    let shifted1 = p
        .input1_offset
        .wrapping_add(x)
        .wrapping_mul(1i32.wrapping_shl(p.left_shift as u32));
    let shifted2 = p
        .input2_offset
        .wrapping_add(y)
        .wrapping_mul(1i32.wrapping_shl(p.left_shift as u32));
    let scaled1 =
        quant::multiply_by_quantized_multiplier(shifted1, p.input1_multiplier, p.input1_shift);
    let scaled2 =
        quant::multiply_by_quantized_multiplier(shifted2, p.input2_multiplier, p.input2_shift);
    let raw = if p.op == OP_SUB {
        scaled1.wrapping_sub(scaled2)
    } else {
        scaled1.wrapping_add(scaled2)
    };
    quant::multiply_by_quantized_multiplier(raw, p.output_multiplier, p.output_shift)
        .wrapping_add(p.output_offset)
        .max(p.act_min)
        .min(p.act_max)
}

/// One int8/int16 MUL element (TFLM `MulElementwise` / `BroadcastMul6DSlow`): the product of
/// the offset inputs in int32, one requantization, output offset, clamp.
#[inline(always)]
fn mul_quantized(p: &Params, x: i32, y: i32) -> i32 {
    let prod = p
        .input1_offset
        .wrapping_add(x)
        .wrapping_mul(p.input2_offset.wrapping_add(y));
    p.output_offset
        .wrapping_add(quant::multiply_by_quantized_multiplier(
            prod,
            p.output_multiplier,
            p.output_shift,
        ))
        .max(p.act_min)
        .min(p.act_max)
}

/// One int8 DIV element (TFLM `DivElementwise` / `BroadcastDivSlowQuantized`): the offset
/// inputs with the divisor's sign moved to the dividend, the dividend normalized to use all 31
/// bits (`headroom`), multiplied by the divisor's Q0.31 reciprocal, then rescaled by the output
/// multiplier with a total shift that folds in the reciprocal's exponent and the headroom.
/// That shift is not bounded to `0..=31`: see [`quant::rounding_divide_by_pot_x86`]. A zero
/// divisor is undefined in TFLM (its reciprocal reads 0 bits over unit of a zero); the kernel
/// computes whatever the same arithmetic gives, without panicking.
#[inline(always)]
fn div_quantized(p: &Params, x: i32, y: i32) -> i32 {
    let mut a = p.input1_offset.wrapping_add(x);
    let mut b = p.input2_offset.wrapping_add(y);
    if b < 0 {
        a = a.wrapping_neg();
        b = b.wrapping_neg();
    }
    let (inv, recip_shift) = quant::get_reciprocal(b, 31);
    let headroom = quant::count_leading_sign_bits(a);
    let unscaled = quant::multiply_by_quantized_multiplier_greater_than_one(a, inv, headroom);
    let total_shift = p
        .output_shift
        .wrapping_sub(recip_shift)
        .wrapping_sub(headroom);
    let scaled = quant::rounding_divide_by_pot_x86(
        quant::saturating_rounding_doubling_high_mul(unscaled, p.output_multiplier),
        total_shift.wrapping_neg(),
    );
    p.output_offset
        .wrapping_add(scaled)
        .max(p.act_min)
        .min(p.act_max)
}

/// One float element: the IEEE single-precision operation, then
/// `std::min(std::max(v, lo), hi)` (which lets NaN through, as in C++).
#[inline(always)]
fn float_op(p: &Params, x: f32, y: f32) -> f32 {
    let v = match p.op {
        OP_ADD => x + y,
        OP_SUB => x - y,
        OP_DIV => x / y,
        _ => x * y,
    };
    let v = if v < p.f_min { p.f_min } else { v };
    if p.f_max < v {
        p.f_max
    } else {
        v
    }
}

/// One int32 element: wrapping arithmetic (TFLM's `WrappingMul` for MUL; its plain `+`/`-`
/// never overflow on real data), C's truncating division for DIV, and the activation clamp.
/// `None` for a division TFLM cannot do either (by zero, or `i32::MIN / -1`: both trap).
#[inline(always)]
fn int32_op(p: &Params, x: i32, y: i32) -> Option<i32> {
    let v = match p.op {
        OP_ADD => x.wrapping_add(y),
        OP_SUB => x.wrapping_sub(y),
        OP_DIV => x.checked_div(y)?,
        _ => x.wrapping_mul(y),
    };
    Some(v.max(p.act_min).min(p.act_max))
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (in1, in2, output) = (ctx.loc(p.input1)?, ctx.loc(p.input2)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let (a, b) = (r.get(in1)?, r.get(in2)?);
    let size = match p.kind {
        KIND_F32 | KIND_I32 => 4,
        KIND_I16 => 2,
        _ => 1,
    };
    // Prepare derived the walk from these sizes; re-checking them keeps every index in range.
    if a.len() < p.bc.count1 as usize * size
        || b.len() < p.bc.count2 as usize * size
        || out.len() < p.bc.count as usize * size
    {
        return Err(Error::malformed("element-wise buffers"));
    }
    match p.kind {
        KIND_I8 => {
            // int32 arithmetic per element, as TFLM's integer kernels.
            if p.op == OP_DIV {
                walk(&p.bc, |o, i, j| {
                    let v = div_quantized(&p, load_i8(a, i), load_i8(b, j));
                    store(out, o, &[v as i8 as u8]);
                });
            } else if p.op == OP_MUL {
                walk(&p.bc, |o, i, j| {
                    let v = mul_quantized(&p, load_i8(a, i), load_i8(b, j));
                    store(out, o, &[v as i8 as u8]);
                });
            } else {
                walk(&p.bc, |o, i, j| {
                    let v = add_sub_quantized(&p, load_i8(a, i), load_i8(b, j));
                    store(out, o, &[v as i8 as u8]);
                });
            }
        }
        KIND_I16 => {
            // int32 arithmetic per element: TFLM's int16 ADD/SUB use the same general path as
            // int8 with a 15-bit left shift; int16 MUL the same product-and-requantize.
            if p.op == OP_MUL {
                walk(&p.bc, |o, i, j| {
                    let v = mul_quantized(&p, load_i16(a, i), load_i16(b, j));
                    store(out, o, &(v as i16).to_le_bytes());
                });
            } else {
                walk(&p.bc, |o, i, j| {
                    let v = add_sub_quantized(&p, load_i16(a, i), load_i16(b, j));
                    store(out, o, &(v as i16).to_le_bytes());
                });
            }
        }
        KIND_I32 => {
            // Plain int32 arithmetic per element (reference_ops Add/Sub/Mul/Div on int32_t).
            let mut trapped = false;
            walk(&p.bc, |o, i, j| {
                let v = int32_op(&p, load_i32(a, i), load_i32(b, j)).unwrap_or_else(|| {
                    trapped = true;
                    0
                });
                store(out, o, &v.to_le_bytes());
            });
            if trapped {
                return Err(Error::invalid("int32 DIV by zero (or i32::MIN by -1)", 0));
            }
        }
        _ => {
            // Single-precision float, one operation per element.
            walk(&p.bc, |o, i, j| {
                let v = float_op(&p, load_f32(a, i), load_f32(b, j));
                store(out, o, &v.to_le_bytes());
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broadcast_params(a: &[u32], b: &[u32]) -> Broadcast {
        // Strides and dims for a right-aligned broadcast, built as prepare does.
        let rank = a.len().max(b.len());
        let mut p = Broadcast::zeroed();
        let ext = |s: &[u32], i: usize| -> u32 {
            let lead = rank - s.len();
            if i < lead {
                1
            } else {
                s[i - lead]
            }
        };
        let (mut aa, mut ab) = (1u32, 1u32);
        let mut count = 1;
        for i in (0..rank).rev() {
            let (da, db) = (ext(a, i), ext(b, i));
            p.dims[i] = da.max(db);
            p.strides1[i] = if da == 1 { 0 } else { aa };
            p.strides2[i] = if db == 1 { 0 } else { ab };
            aa *= da;
            ab *= db;
            count *= da.max(db);
        }
        p.rank = rank as u32;
        p.count = count;
        p
    }

    #[test]
    fn walk_broadcasts_like_numpy() {
        // [2,1,3] against [1,2,1]: output [2,2,3].
        let p = broadcast_params(&[2, 1, 3], &[1, 2, 1]);
        let mut seen = [(0usize, 0usize); 12];
        walk(&p, |o, i, j| seen[o] = (i, j));
        let want = [
            (0, 0),
            (1, 0),
            (2, 0),
            (0, 1),
            (1, 1),
            (2, 1),
            (3, 0),
            (4, 0),
            (5, 0),
            (3, 1),
            (4, 1),
            (5, 1),
        ];
        assert_eq!(seen, want);
    }

    #[test]
    fn walk_handles_scalars_and_flat() {
        let p = broadcast_params(&[], &[4]);
        let mut seen = [(9usize, 9usize); 4];
        walk(&p, |o, i, j| seen[o] = (i, j));
        assert_eq!(seen, [(0, 0), (0, 1), (0, 2), (0, 3)]);
        let mut flat = Broadcast::zeroed();
        flat.count = 3;
        let mut n = 0;
        walk(&flat, |o, i, j| {
            assert!(o == i && i == j);
            n += 1;
        });
        assert_eq!(n, 3);
    }

    #[test]
    fn int8_add_matches_hand_computation() {
        // Both inputs and the output at scale 0.5, zero points 0: twice_max = 1, each input
        // multiplier 0.5 (2^30, shift 0), output multiplier 1/(2^20 * 0.5) = 2^-19.
        let mut p = Params::zeroed();
        p.op = OP_ADD;
        p.left_shift = 20;
        p.input1_multiplier = 1 << 30;
        p.input2_multiplier = 1 << 30;
        p.output_multiplier = 1 << 30;
        p.output_shift = -18;
        p.act_min = -128;
        p.act_max = 127;
        // 3 + 4 -> (3<<20)/2 + (4<<20)/2 = 7<<19; * 2^-19 = 7.
        assert_eq!(add_sub_quantized(&p, 3, 4), 7);
        assert_eq!(
            add_sub_quantized(&p, 100, 100),
            127,
            "saturates at the activation max"
        );
        p.op = OP_SUB;
        assert_eq!(add_sub_quantized(&p, 3, 4), -1);
    }

    #[test]
    fn int8_mul_matches_hand_computation() {
        let mut p = Params::zeroed();
        p.input1_offset = 1; // zero point -1
        p.output_multiplier = 1 << 30; // 0.5
        p.output_offset = 2;
        p.act_min = -128;
        p.act_max = 127;
        // (5 + 1) * 3 = 18; * 0.5 = 9; + 2 = 11.
        assert_eq!(mul_quantized(&p, 5, 3), 11);
        // (-4 + 1) * 3 = -9 * 0.5 = -4.5 -> -4 (ties toward +inf in SRDHM); + 2 = -2.
        assert_eq!(mul_quantized(&p, -4, 3), -2);
    }

    #[test]
    fn float_and_int32_ops_clamp() {
        let mut p = Params::zeroed();
        p.op = OP_SUB;
        p.f_min = 0.0;
        p.f_max = 6.0;
        assert_eq!(float_op(&p, 1.0, 3.0), 0.0);
        assert_eq!(float_op(&p, 10.0, 3.0), 6.0);
        assert!(float_op(&p, f32::NAN, 1.0).is_nan());
        p.op = OP_MUL;
        p.act_min = -1;
        p.act_max = 1;
        assert_eq!(int32_op(&p, 7, -3), Some(-1));
        p.op = OP_ADD;
        p.act_min = i32::MIN;
        p.act_max = i32::MAX;
        assert_eq!(int32_op(&p, i32::MAX, 1), Some(i32::MIN), "wraps");
        p.op = OP_DIV;
        assert_eq!(int32_op(&p, -7, 2), Some(-3), "truncates toward zero");
        assert_eq!(int32_op(&p, 7, 0), None);
        assert_eq!(int32_op(&p, i32::MIN, -1), None);
        assert_eq!(float_op(&p, 1.0, 4.0), 0.25);
    }

    #[test]
    fn int8_div_matches_hand_computation() {
        // All scales 0.05: real multiplier 0.05 / 0.0025 = 20 = 0.625 * 2^5.
        let mut p = Params::zeroed();
        p.op = OP_DIV;
        let (m, s) = quant::quantize_multiplier(0.05f32 as f64 / (0.05f32 as f64 * 0.05f32 as f64));
        p.output_multiplier = m;
        p.output_shift = s;
        p.act_min = -128;
        p.act_max = 127;
        // 4 / -1 = -4, in output units -4 / 0.05 = -80.
        assert_eq!(div_quantized(&p, 4, -1), -80);
        // -12 / 37 = -0.3243 -> -6.49 -> -6.
        assert_eq!(div_quantized(&p, -12, 37), -6);
        assert_eq!(div_quantized(&p, 10, 1), 127, "clamps");
    }
}
