//! MAXIMUM and MINIMUM: float32, int8, int16, int32 and int64, with broadcasting up to rank 6 —
//! TFLM's micro `maximum_minimum.cc` over `reference_ops::MaximumMinimumBroadcastSlow`.
//!
//! TFLM compares raw values: quantized operands are not rescaled (the converter gives inputs and
//! output one scale), so neither are they here. The comparison is C++'s `a > b ? a : b` (and
//! `a < b ? a : b`), which for floats returns the second operand whenever either is NaN.

use bytemuck::{Pod, Zeroable};

use super::elementwise::{set_broadcast, walk, Broadcast};
use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::tensor::DType;

/// MAXIMUM. Versions: 1 float/int32/int64, 2 int8, 3 broadcasts above rank 4, 4 int16.
pub const MAXIMUM: Registration = Registration {
    code: 55,
    max_version: 4,
    prepare: prepare_max,
    eval,
    aliases_input: false,
};

/// MINIMUM. Versions as MAXIMUM.
pub const MINIMUM: Registration = Registration {
    code: 57,
    max_version: 4,
    prepare: prepare_min,
    eval,
    aliases_input: false,
};

const OP_MAX: u32 = 0;
const OP_MIN: u32 = 1;

const KIND_F32: u32 = 0;
const KIND_I8: u32 = 1;
const KIND_I16: u32 = 2;
const KIND_I32: u32 = 3;
const KIND_I64: u32 = 4;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input1: TensorId,
    input2: TensorId,
    output: TensorId,
    op: u32,
    kind: u32,
    bc: Broadcast,
}

fn prepare_max(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MAX)
}

fn prepare_min(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MIN)
}

fn prepare(ctx: &mut Prepare<'_, '_>, op: u32) -> Result<()> {
    if ctx.input_count()? != 2 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("MAXIMUM/MINIMUM needs two inputs and one output"));
    }
    let in1 = ctx.input(0)?;
    let in2 = ctx.input(1)?;
    let out = ctx.output(0)?;
    // TFLM reads both inputs as the output's type.
    if in1.dtype != out.dtype || in2.dtype != out.dtype {
        return Err(ctx.unsupported("inputs and output of different types"));
    }
    let kind = match out.dtype {
        DType::F32 => KIND_F32,
        DType::I8 => KIND_I8,
        DType::I16 => KIND_I16,
        DType::I32 => KIND_I32,
        DType::I64 => KIND_I64,
        _ => return Err(ctx.unsupported("these tensor types")),
    };
    let mut p = Params::zeroed();
    p.input1 = ctx.input_id(0)?;
    p.input2 = ctx.input_id(1)?;
    p.output = ctx.output_id(0)?;
    p.op = op;
    p.kind = kind;
    set_broadcast(ctx, &in1.shape, &in2.shape, &out.shape, &mut p.bc)?;
    ctx.set_params(&p)
}

/// Element `i` of a little-endian buffer of `N`-byte values, widened by `f`.
#[inline(always)]
fn load<const N: usize, T>(b: &[u8], i: usize, f: impl Fn([u8; N]) -> T) -> Option<T> {
    let s = b.get(N * i..N * i + N)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Some(f(a))
}

/// `a > b ? a : b` or `a < b ? a : b`, C++'s comparison (so NaN picks `b`).
#[inline(always)]
fn pick<T: PartialOrd + Copy>(op: u32, a: T, b: T) -> T {
    let take_a = if op == OP_MAX { a > b } else { a < b };
    if take_a {
        a
    } else {
        b
    }
}

/// Walks the output, comparing elements of `N` bytes decoded by `dec` and encoded by `enc`.
#[inline(always)]
fn run<const N: usize, T: PartialOrd + Copy>(
    p: &Params,
    a: &[u8],
    b: &[u8],
    out: &mut [u8],
    dec: impl Fn([u8; N]) -> T + Copy,
    enc: impl Fn(T) -> [u8; N],
) {
    walk(&p.bc, |o, i, j| {
        if let (Some(x), Some(y)) = (load(a, i, dec), load(b, j, dec)) {
            if let Some(dst) = out.get_mut(N * o..N * o + N) {
                dst.copy_from_slice(&enc(pick(p.op, x, y)));
            }
        }
    });
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (in1, in2, output) = (ctx.loc(p.input1)?, ctx.loc(p.input2)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let (a, b) = (r.get(in1)?, r.get(in2)?);
    let size = match p.kind {
        KIND_I8 => 1,
        KIND_I16 => 2,
        KIND_I64 => 8,
        _ => 4,
    };
    if a.len() < p.bc.count1 as usize * size
        || b.len() < p.bc.count2 as usize * size
        || out.len() < p.bc.count as usize * size
    {
        return Err(Error::malformed("MAXIMUM/MINIMUM buffers"));
    }
    // One comparison per element, in the element's own type.
    match p.kind {
        KIND_F32 => run(&p, a, b, out, f32::from_le_bytes, f32::to_le_bytes),
        KIND_I8 => run(&p, a, b, out, i8::from_le_bytes, i8::to_le_bytes),
        KIND_I16 => run(&p, a, b, out, i16::from_le_bytes, i16::to_le_bytes),
        KIND_I64 => run(&p, a, b, out, i64::from_le_bytes, i64::to_le_bytes),
        _ => run(&p, a, b, out, i32::from_le_bytes, i32::to_le_bytes),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_like_cpp() {
        assert_eq!(pick(OP_MAX, 3, -4), 3);
        assert_eq!(pick(OP_MIN, 3, -4), -4);
        assert!(pick(OP_MAX, 1.0f32, f32::NAN).is_nan());
        assert_eq!(pick(OP_MAX, f32::NAN, 1.0f32), 1.0);
        assert_eq!(pick(OP_MIN, f32::NAN, 1.0f32), 1.0);
        // -0.0 and 0.0 compare equal: the second operand.
        assert!(pick(OP_MAX, 0.0f32, -0.0f32).is_sign_negative());
    }

    #[test]
    fn broadcasts_a_scalar() {
        let mut p = Params::zeroed();
        p.op = OP_MIN;
        p.bc.count = 3;
        p.bc.count1 = 3;
        p.bc.count2 = 1;
        p.bc.rank = 1;
        p.bc.dims[0] = 3;
        p.bc.strides1[0] = 1;
        p.bc.strides2[0] = 0;
        let a: Vec<u8> = [5i32, -2, 9].iter().flat_map(|v| v.to_le_bytes()).collect();
        let b = 4i32.to_le_bytes();
        let mut out = [0u8; 12];
        run(&p, &a, &b, &mut out, i32::from_le_bytes, i32::to_le_bytes);
        let got: Vec<i32> = out
            .chunks(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(got, [4, -2, 4]);
    }
}
