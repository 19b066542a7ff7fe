//! LOGISTIC and TANH: int8, int16 and float32 — TFLM's `CalculateArithmeticOpDataLogistic` /
//! tanh `CalculateArithmeticOpData` with `reference_integer_ops::{Logistic, Tanh}` (gemmlowp
//! fixed point for int8, the shared sigmoid table for int16) and `reference_ops::{Logistic,
//! Tanh}` for float.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant;
use crate::tensor::DType;

/// LOGISTIC.
pub const LOGISTIC: Registration = Registration {
    code: 14,
    max_version: 3,
    prepare: prepare_logistic,
    eval: eval_logistic,
    aliases_input: false,
};

/// TANH.
pub const TANH: Registration = Registration {
    code: 28,
    max_version: 3,
    prepare: prepare_tanh,
    eval: eval_tanh,
    aliases_input: false,
};

const KIND_F32: u32 = 0;
const KIND_I8: u32 = 1;
const KIND_I16: u32 = 2;

/// Integer bits of the int8 kernels' fixed-point input (Q4.27).
const INT8_INPUT_INTEGER_BITS: i32 = 4;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    kind: u32,
    elements: u32,
    input_zero_point: i32,
    input_range_radius: i32,
    input_multiplier: i32,
    input_left_shift: i32,
}

fn prepare_logistic(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, false)
}

fn prepare_tanh(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("TANH takes one input and one output"));
    }
    prepare(ctx, true)
}

fn prepare(ctx: &mut Prepare<'_, '_>, tanh: bool) -> Result<()> {
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    if input.dtype != output.dtype {
        return Err(ctx.unsupported("an activation that changes the element type"));
    }
    if input.elements() != output.elements() {
        return Err(ctx.invalid("activation output size differs from its input's"));
    }
    let (in_scale, in_zp) = input.scale_zp();
    let (out_scale, out_zp) = output.scale_zp();
    let mut p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        elements: input.elements() as u32,
        input_zero_point: in_zp,
        input_range_radius: 0,
        input_multiplier: 0,
        input_left_shift: 0,
    };
    match input.dtype {
        DType::F32 => {}
        DType::I8 => {
            // LOGISTIC's output is fixed at 1/256 with zero point -128 (TFLM checks only the
            // zero point); TANH's at 1/128 with zero point 0 (TFLM checks neither).
            if !tanh && out_zp != -128 {
                return Err(ctx.unsupported("an int8 LOGISTIC output zero point other than -128"));
            }
            if !in_scale.is_finite() {
                return Err(ctx.invalid("activation input scale is not finite"));
            }
            p.kind = KIND_I8;
            // input_scale * 2^27 in double, split by frexp; the mantissa rounded to Q0.31.
            let real = in_scale as f64 * (1i64 << (31 - INT8_INPUT_INTEGER_BITS)) as f64;
            let (q, shift) = quant::frexp(real);
            if shift < 0 {
                return Err(ctx.unsupported("an int8 activation input scale below 2^-28"));
            }
            p.input_multiplier = quant::round(q * (1i64 << 31) as f64) as i32;
            p.input_left_shift = shift;
            p.input_range_radius =
                quant::calculate_input_radius(INT8_INPUT_INTEGER_BITS, shift, 31);
        }
        DType::I16 => {
            if in_zp != 0 || out_zp != 0 {
                return Err(ctx.unsupported("an int16 activation with a nonzero zero point"));
            }
            if !(in_scale > 0.0 && in_scale.is_finite()) {
                return Err(ctx.invalid("int16 activation input lacks a positive scale"));
            }
            p.kind = KIND_I16;
            // Q3.12 input: a power-of-two scale that needs no shift uses the multiplier 3
            // (TANH also accepts a shift of one); otherwise scale * 4096 * 3 in double, doubled
            // until above 32767/2 (at most 31 times), then truncated.
            let (pot, log2) = quant::checked_log2(in_scale);
            let left_shift = (15 - 3) + log2;
            let pot = pot && (left_shift == 0 || (tanh && left_shift == 1));
            if pot {
                p.input_multiplier = 3 << left_shift;
                p.input_left_shift = 0;
            } else {
                let mut multiplier = in_scale as f64 * 4096.0 * 3.0;
                let mut shift = 0;
                while multiplier <= 32767.0 / 2.0 && shift <= 30 {
                    shift += 1;
                    multiplier *= 2.0;
                }
                if multiplier >= 2147483648.0 {
                    return Err(ctx.unsupported("an int16 activation input scale above 174762"));
                }
                p.input_multiplier = multiplier as i32;
                p.input_left_shift = shift;
            }
            let (out_pot, out_log2) = quant::checked_log2(out_scale);
            if !(out_pot && out_log2 == -15) {
                return Err(ctx.unsupported("an int16 activation output not scaled 2^-15"));
            }
        }
        _ => return Err(ctx.unsupported("this activation tensor type")),
    }
    ctx.set_macs(input.elements() as u64);
    ctx.set_params(&p)
}

/// Reads the op's input and writes its output, element by element.
fn map(
    ctx: &mut Eval<'_>,
    f32_fn: fn(f32) -> f32,
    i8_fn: fn(&Params, i32) -> i8,
    i16_fn: fn(&Params, i16) -> i16,
) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let input = r.get(input)?;
    let n = p.elements as usize;
    let size = match p.kind {
        KIND_F32 => 4,
        KIND_I8 => 1,
        _ => 2,
    };
    if input.len() < n * size || out.len() < n * size {
        return Err(Error::malformed("activation buffers"));
    }
    let (input, out) = (&input[..n * size], &mut out[..n * size]);
    match p.kind {
        KIND_F32 => {
            for (o, i) in out.chunks_exact_mut(4).zip(input.chunks_exact(4)) {
                let v = f32::from_le_bytes([i[0], i[1], i[2], i[3]]);
                o.copy_from_slice(&f32_fn(v).to_le_bytes());
            }
        }
        KIND_I8 => {
            for (o, &i) in out.iter_mut().zip(input) {
                *o = i8_fn(&p, i as i8 as i32) as u8;
            }
        }
        _ => {
            for (o, i) in out.chunks_exact_mut(2).zip(input.chunks_exact(2)) {
                let v = i16::from_le_bytes([i[0], i[1]]);
                o.copy_from_slice(&i16_fn(&p, v).to_le_bytes());
            }
        }
    }
    Ok(())
}

fn eval_logistic(ctx: &mut Eval<'_>) -> Result<()> {
    map(ctx, logistic_f32, logistic_i8, logistic_i16)
}

fn eval_tanh(ctx: &mut Eval<'_>) -> Result<()> {
    map(ctx, quant::glibc_tanhf, tanh_i8, tanh_i16)
}

/// `reference_ops::Logistic<float>`: 1 above 16.619..., exp(x) below -9, else 1 / (1 + exp(-x)).
fn logistic_f32(x: f32) -> f32 {
    // 16.619047164916992188 exactly.
    const CUTOFF_UPPER: f32 = 16.619_047;
    const CUTOFF_LOWER: f32 = -9.0;
    if x > CUTOFF_UPPER {
        1.0
    } else if x < CUTOFF_LOWER {
        quant::glibc_expf(x)
    } else {
        1.0 / (1.0 + quant::glibc_expf(-x))
    }
}

/// The int8 kernels' common front: saturate outside the input radius, else the input in Q4.27.
#[inline(always)]
fn int8_input(p: &Params, x: i32) -> core::result::Result<i32, i8> {
    let centred = x.wrapping_sub(p.input_zero_point);
    if centred <= -p.input_range_radius {
        Err(i8::MIN)
    } else if centred >= p.input_range_radius {
        Err(i8::MAX)
    } else {
        Ok(quant::multiply_by_quantized_multiplier(
            centred,
            p.input_multiplier,
            p.input_left_shift,
        ))
    }
}

/// `reference_integer_ops::Logistic` (int8): gemmlowp logistic on Q4.27, then Q0.31 to 1/256
/// steps with zero point -128.
fn logistic_i8(p: &Params, x: i32) -> i8 {
    match int8_input(p, x) {
        Err(saturated) => saturated,
        Ok(q4) => {
            let q0 = quant::fixed_logistic(q4, INT8_INPUT_INTEGER_BITS as u32);
            let v = quant::rounding_divide_by_pot(q0, 31 - 8);
            v.wrapping_add(-128).clamp(-128, 127) as i8
        }
    }
}

/// `reference_integer_ops::Tanh` (int8): gemmlowp tanh on Q4.27, then Q0.31 to 1/128 steps.
fn tanh_i8(p: &Params, x: i32) -> i8 {
    match int8_input(p, x) {
        Err(saturated) => saturated,
        Ok(q4) => {
            let q0 = quant::fixed_tanh(q4, INT8_INPUT_INTEGER_BITS as u32);
            quant::rounding_divide_by_pot(q0, 31 - 7).clamp(-128, 127) as i8
        }
    }
}

/// The int16 kernels' input: `(x * multiplier + round) >> shift` in int32 (Q3.12 scaled by 3/4
/// so that the table's [-8, 8] covers [-10.7, 10.7]), and its magnitude.
#[inline(always)]
fn int16_input(p: &Params, x: i16) -> (i32, u32) {
    let shift = p.input_left_shift.clamp(0, 31) as u32;
    let round = if shift > 0 { 1i32 << (shift - 1) } else { 0 };
    let v = (x as i32)
        .wrapping_mul(p.input_multiplier)
        .wrapping_add(round)
        >> shift;
    (v, v.wrapping_abs() as u32)
}

/// `reference_integer_ops::Logistic` (int16).
fn logistic_i16(p: &Params, x: i16) -> i16 {
    quant::sigmoid_i16_scaled(int16_input(p, x).0)
}

/// `reference_integer_ops::Tanh` (int16).
fn tanh_i16(p: &Params, x: i16) -> i16 {
    quant::tanh_i16_scaled(int16_input(p, x).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int8_params(scale: f32, zp: i32) -> Params {
        let (q, shift) = quant::frexp(scale as f64 * (1u64 << 27) as f64);
        Params {
            input: TensorId(0),
            output: TensorId(1),
            kind: KIND_I8,
            elements: 0,
            input_zero_point: zp,
            input_range_radius: quant::calculate_input_radius(4, shift, 31),
            input_multiplier: quant::round(q * (1i64 << 31) as f64) as i32,
            input_left_shift: shift,
        }
    }

    #[test]
    fn int8_logistic_and_tanh_track_the_real_functions() {
        let p = int8_params(0.0625, 3);
        assert_eq!(logistic_i8(&p, 3), 0); // 0.5 -> 128 - 128
        assert_eq!(tanh_i8(&p, 3), 0);
        for x in -128..=127 {
            let real = (x - 3) as f64 * 0.0625;
            let want = ((1.0 / (1.0 + (-real).exp())) * 256.0).round() - 128.0;
            assert!(
                (logistic_i8(&p, x) as f64 - want.min(127.0)).abs() <= 1.0,
                "{x}"
            );
            let want = (real.tanh() * 128.0).round().clamp(-128.0, 127.0);
            assert!((tanh_i8(&p, x) as f64 - want).abs() <= 1.0, "{x}");
        }
    }

    #[test]
    fn int8_saturates_outside_the_radius() {
        // Scale 1: radius 15 * 2^27 / 2^28 = 7.5 -> 7; |x| >= 7 saturates.
        let p = int8_params(1.0, 0);
        assert_eq!(p.input_range_radius, 7);
        assert_eq!(logistic_i8(&p, 7), 127);
        assert_eq!(logistic_i8(&p, -7), -128);
        assert_eq!(tanh_i8(&p, -100), -128);
    }

    #[test]
    fn int16_uses_the_sigmoid_table() {
        // Power-of-two scale 2^-12: multiplier 3, no shift.
        let p = Params {
            input: TensorId(0),
            output: TensorId(1),
            kind: KIND_I16,
            elements: 0,
            input_zero_point: 0,
            input_range_radius: 0,
            input_multiplier: 3,
            input_left_shift: 0,
        };
        assert_eq!(logistic_i16(&p, 0), 16384); // 0.5 in Q0.15
        assert_eq!(tanh_i16(&p, 0), 0);
        // x = 8: sigmoid(8) = 0.99966 -> 32757; the negative side mirrors it.
        assert_eq!(logistic_i16(&p, i16::MAX), 32757);
        assert_eq!(logistic_i16(&p, i16::MIN), 11);
        // tanh(8) rounds to one; the negative side ends one step short of -1.
        assert_eq!(tanh_i16(&p, i16::MAX), 32767);
        assert_eq!(tanh_i16(&p, i16::MIN), -32767);
        // x = 1.0 (4096): sigmoid(1) = 0.7311, tanh(1) = 0.7616.
        assert!((logistic_i16(&p, 4096) as i32 - 23955).abs() <= 2);
        assert!((tanh_i16(&p, 4096) as i32 - 24956).abs() <= 4);
    }

    #[test]
    fn float_logistic_uses_tflm_cutoffs() {
        assert_eq!(logistic_f32(20.0), 1.0);
        assert_eq!(16.619_047f32.to_bits(), 0x4184_f3cf);
        assert_eq!(logistic_f32(f32::from_bits(0x4184_f3d0)), 1.0);
        assert_eq!(logistic_f32(-10.0), quant::glibc_expf(-10.0));
        assert_eq!(logistic_f32(0.0), 0.5);
    }
}
