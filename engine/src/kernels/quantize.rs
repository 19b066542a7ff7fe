//! QUANTIZE (float32 to int8/int16, and integer requantization between the type pairs TFLM
//! micro runs) and DEQUANTIZE (int8/int16/uint8 to float32) — TFLM's `quantize_common.cc` and
//! `dequantize*.cc` with `reference_ops::AffineQuantize`, `Requantize` and `Dequantize`.
//!
//! TFLM micro quantizes per tensor only: QUANTIZE refuses a per-channel output, and its
//! DEQUANTIZE would silently use channel 0's parameters, so a per-channel input is refused here.

use bytemuck::{Pod, Zeroable};

use super::activation::{map, QInt};
use super::{Eval, Prepare, Registration, TensorId};
use crate::error::Result;
use crate::quant;
use crate::tensor::DType;

/// QUANTIZE. Version 3 is per-channel, version 4 int4: TFLM micro runs neither.
pub const QUANTIZE: Registration = Registration {
    code: 114,
    max_version: 2,
    prepare: prepare_quantize,
    eval: eval_quantize,
    aliases_input: false,
};

/// DEQUANTIZE. Version 5 is per-channel and 6 int4, which TFLM micro does not run correctly.
pub const DEQUANTIZE: Registration = Registration {
    code: 6,
    max_version: 4,
    prepare: prepare_dequantize,
    eval: eval_dequantize,
    aliases_input: false,
};

const T_F32: u32 = 0;
const T_I8: u32 = 1;
const T_U8: u32 = 2;
const T_I16: u32 = 3;
const T_I32: u32 = 4;

fn type_code(d: DType) -> Option<u32> {
    Some(match d {
        DType::F32 => T_F32,
        DType::I8 => T_I8,
        DType::U8 => T_U8,
        DType::I16 => T_I16,
        DType::I32 => T_I32,
        _ => return None,
    })
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct QuantizeParams {
    input: TensorId,
    output: TensorId,
    from: u32,
    to: u32,
    count: u32,
    input_zp: i32,
    output_zp: i32,
    /// Requantization multiplier, in_scale / out_scale (integer inputs).
    multiplier: i32,
    shift: i32,
    /// Output scale (float inputs).
    scale: f32,
}

fn prepare_quantize(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("QUANTIZE takes one input and one output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    if input.elements() != output.elements() {
        return Err(ctx.invalid("QUANTIZE input and output sizes differ"));
    }
    let oq = output.require_quant()?;
    if oq.channels != 1 {
        return Err(ctx.unsupported("per-channel QUANTIZE"));
    }
    let from = type_code(input.dtype);
    let to = type_code(output.dtype);
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        _ => return Err(ctx.unsupported("these QUANTIZE types")),
    };
    // The pairs TFLM micro's EvalQuantizeReference runs.
    let supported = matches!(
        (from, to),
        (T_F32, T_I8)
            | (T_F32, T_I16)
            | (T_I32, T_I8)
            | (T_I32, T_I16)
            | (T_I16, T_I8)
            | (T_I16, T_I16)
            | (T_I16, T_I32)
            | (T_I8, T_I8)
            | (T_I8, T_U8)
            | (T_I8, T_I16)
            | (T_I8, T_I32)
            | (T_U8, T_I8)
    );
    if !supported {
        return Err(ctx.unsupported(
            "QUANTIZE from these types (TFLM: float32 to int8/int16; int8/uint8/int16/int32 requantization)",
        ));
    }
    // TFLM reads the input's scale and zero point without checking them; an unquantized
    // integer input reads as scale 0, zero point 0.
    let (in_scale, in_zp) = input.scale_zp();
    let (multiplier, shift) = if from == T_F32 {
        (0, 0)
    } else {
        // Both widened to double before dividing.
        quant::quantize_multiplier(in_scale as f64 / oq.scale as f64)
    };
    let p = QuantizeParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        from,
        to,
        count: input.elements() as u32,
        input_zp: in_zp,
        output_zp: oq.zero_point,
        multiplier,
        shift,
        scale: oq.scale,
    };
    ctx.set_params(&p)
}

/// One float element (TFLM `AffineQuantize`): `(int32)roundf(val / scale) + zero_point`,
/// clamped. The float-to-int conversion and the addition behave as the x86 build of TFLM does
/// when the quotient overflows (see [`quant::f32_to_i32_like_c`]).
#[inline(always)]
fn affine_quantize<O: QInt>(val: f32, scale: f32, zero_point: i32) -> O {
    let unclamped = quant::f32_to_i32_like_c(quant::roundf(val / scale)).wrapping_add(zero_point);
    O::from_i32(unclamped.max(O::MIN).min(O::MAX))
}

/// One integer element (TFLM `Requantize`): subtract the input zero point, rescale, add the
/// output zero point, clamp. (TFLM's int8<->uint8 XOR fast path for equal scales and zero
/// points 128 apart gives the same bytes as this general path.)
#[inline(always)]
fn requantize<I: QInt, O: QInt>(x: I, p: &QuantizeParams) -> O {
    let input = x.to_i32().wrapping_sub(p.input_zp);
    let output = quant::multiply_by_quantized_multiplier(input, p.multiplier, p.shift)
        .wrapping_add(p.output_zp);
    O::from_i32(output.min(O::MAX).max(O::MIN))
}

fn requantize_all<I: QInt, O: QInt>(
    i: &[u8],
    o: &mut [u8],
    n: usize,
    p: &QuantizeParams,
) -> Result<()> {
    map(i, o, n, |x: I| requantize::<I, O>(x, p))
}

fn eval_quantize(ctx: &mut Eval<'_>) -> Result<()> {
    let p: QuantizeParams = ctx.params()?;
    let n = p.count as usize;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [o]) = ctx.split([output])?;
    let i = r.get(input)?;
    match (p.from, p.to) {
        (T_F32, T_I8) => map(i, o, n, |x: f32| {
            affine_quantize::<i8>(x, p.scale, p.output_zp)
        }),
        (T_F32, T_I16) => map(i, o, n, |x: f32| {
            affine_quantize::<i16>(x, p.scale, p.output_zp)
        }),
        (T_I32, T_I8) => requantize_all::<i32, i8>(i, o, n, &p),
        (T_I32, T_I16) => requantize_all::<i32, i16>(i, o, n, &p),
        (T_I16, T_I8) => requantize_all::<i16, i8>(i, o, n, &p),
        (T_I16, T_I16) => requantize_all::<i16, i16>(i, o, n, &p),
        (T_I16, T_I32) => requantize_all::<i16, i32>(i, o, n, &p),
        (T_I8, T_I8) => requantize_all::<i8, i8>(i, o, n, &p),
        (T_I8, T_U8) => requantize_all::<i8, u8>(i, o, n, &p),
        (T_I8, T_I16) => requantize_all::<i8, i16>(i, o, n, &p),
        (T_I8, T_I32) => requantize_all::<i8, i32>(i, o, n, &p),
        (T_U8, T_I8) => requantize_all::<u8, i8>(i, o, n, &p),
        _ => Err(crate::error::Error::malformed("QUANTIZE parameters")),
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct DequantizeParams {
    input: TensorId,
    output: TensorId,
    from: u32,
    count: u32,
    zero_point: i32,
    scale: f32,
}

fn prepare_dequantize(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("DEQUANTIZE takes one input and one output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    if input.elements() != output.elements() {
        return Err(ctx.invalid("DEQUANTIZE input and output sizes differ"));
    }
    let from = match (input.dtype, output.dtype) {
        (DType::I8, DType::F32) => T_I8,
        (DType::I16, DType::F32) => T_I16,
        (DType::U8, DType::F32) => T_U8,
        _ => return Err(ctx.unsupported("DEQUANTIZE other than int8/int16/uint8 to float32")),
    };
    if input.quant.is_some_and(|q| q.channels > 1) {
        return Err(ctx.unsupported("per-channel DEQUANTIZE"));
    }
    // TFLM takes the input's parameters as they are (scale 0 when absent).
    let (scale, zero_point) = input.scale_zp();
    let p = DequantizeParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        from,
        count: input.elements() as u32,
        zero_point,
        scale,
    };
    ctx.set_params(&p)
}

/// One element (TFLM `Dequantize`): `(float)(double(scale) * (val - zero_point))`.
#[inline(always)]
fn dequantize(val: i32, scale: f32, zero_point: i32) -> f32 {
    (scale as f64 * val.wrapping_sub(zero_point) as f64) as f32
}

fn eval_dequantize(ctx: &mut Eval<'_>) -> Result<()> {
    let p: DequantizeParams = ctx.params()?;
    let n = p.count as usize;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [o]) = ctx.split([output])?;
    let i = r.get(input)?;
    let (s, z) = (p.scale, p.zero_point);
    match p.from {
        T_I8 => map(i, o, n, |x: i8| dequantize(x as i32, s, z)),
        T_I16 => map(i, o, n, |x: i16| dequantize(x as i32, s, z)),
        _ => map(i, o, n, |x: u8| dequantize(x as i32, s, z)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(in_zp: i32, out_zp: i32, ratio: f64) -> QuantizeParams {
        let (m, s) = quant::quantize_multiplier(ratio);
        QuantizeParams {
            input: TensorId(0),
            output: TensorId(1),
            from: T_I8,
            to: T_I8,
            count: 0,
            input_zp: in_zp,
            output_zp: out_zp,
            multiplier: m,
            shift: s,
            scale: 0.0,
        }
    }

    #[test]
    fn affine_quantize_rounds_half_away_and_clamps() {
        assert_eq!(affine_quantize::<i8>(0.25, 0.1, 0), 3); // 2.5 -> 3
        assert_eq!(affine_quantize::<i8>(-0.25, 0.1, 0), -3);
        assert_eq!(affine_quantize::<i8>(100.0, 0.1, 0), 127);
        assert_eq!(affine_quantize::<i16>(1.0, 1e-3, -5), 995);
        // Overflowing quotients become INT_MIN (then the zero point is added, wrapping).
        assert_eq!(affine_quantize::<i8>(4.0, 1e-12, 5), -128);
        assert_eq!(affine_quantize::<i16>(-4.0, 1e-12, -3), 32767);
        assert_eq!(affine_quantize::<i8>(f32::NAN, 0.1, 0), -128);
    }

    #[test]
    fn requantize_int8_to_uint8_shifts_by_128() {
        let p = params(-128, 0, 1.0);
        for x in [-128i8, -1, 0, 127] {
            assert_eq!(requantize::<i8, u8>(x, &p), (x as u8) ^ 0x80);
        }
        // int16 (scale 2^-x) to int8: 1000 * 0.01 = 10, offset -128.
        let p = params(0, -128, 0.01);
        assert_eq!(requantize::<i16, i8>(1000, &p), -118);
        assert_eq!(requantize::<i16, i8>(32767, &p), 127);
        // The keyword model's int16 -> int32 tail: zero point -32768 in, ratio 0.5.
        let p = params(-32768, 0, 0.5);
        assert_eq!(requantize::<i16, i32>(-32768, &p), 0);
        assert_eq!(requantize::<i16, i32>(32767, &p), 32768); // 65535 / 2 = 32767.5 -> 32768
    }

    #[test]
    fn dequantize_multiplies_in_double() {
        assert_eq!(dequantize(10, 0.5, 4), 3.0);
        assert_eq!(dequantize(-128, 0.1, -128), 0.0);
        assert_eq!(dequantize(3, 0.1, 0), (0.1f32 as f64 * 3.0) as f32);
    }
}
