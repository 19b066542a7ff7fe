//! SOFTMAX over the last dimension: int8 -> int8, int8 -> int16, int16 -> int16 and float32 —
//! TFLM's `CalculateSoftmaxParams` with `reference_ops::Softmax` (gemmlowp fixed point for int8
//! inputs) and `reference_ops::SoftmaxInt16` (two interpolated lookup tables).

use bytemuck::{Pod, Zeroable};

use super::{ArrayRef, Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant::{self, LUT_I16_SIZE};
use crate::tensor::DType;

/// SOFTMAX.
pub const SOFTMAX: Registration = Registration {
    code: 25,
    max_version: 3,
    prepare,
    eval,
    aliases_input: false,
};

const KIND_F32: u32 = 0;
const KIND_I8_I8: u32 = 1;
const KIND_I8_I16: u32 = 2;
const KIND_I16_I16: u32 = 3;

/// Integer bits of the scaled input differences (TFLM's `kScaledDiffIntegerBits`): exp() sees
/// values in Q5.26.
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (TFLM's `kAccumulationIntegerBits`): Q12.19.
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// i32 words holding one int16 table (513 entries, two per word, the last half unused).
const LUT_WORDS: usize = LUT_I16_SIZE.div_ceil(2);

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    kind: u32,
    outer: u32,
    depth: u32,
    input_multiplier: i32,
    input_left_shift: i32,
    diff_min: i32,
    beta: f32,
    /// int16 only: the exp table then the 1/(1+x) table, two entries per i32 word.
    luts: ArrayRef,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SOFTMAX takes one input and one output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    let beta = match ctx.options()? {
        Some(o) => o.f32(0, 0.0)?,
        None => 0.0,
    };
    let rank = input.shape.rank();
    if rank < 1 {
        return Err(ctx.invalid("SOFTMAX input must have at least one dimension"));
    }
    let depth = input.shape.dim(rank - 1) as usize;
    if output.shape.rank() != rank
        || output.shape.dim(rank - 1) as usize != depth
        || output.elements() != input.elements()
    {
        return Err(ctx.invalid("SOFTMAX output shape differs from its input's"));
    }
    let outer = input.elements().checked_div(depth).unwrap_or(0);

    let mut p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        outer: outer as u32,
        depth: depth as u32,
        input_multiplier: 0,
        input_left_shift: 0,
        diff_min: 0,
        beta,
        luts: ArrayRef::default(),
    };
    let (in_scale, in_zp) = input.scale_zp();
    let (out_scale, out_zp) = output.scale_zp();
    // TF_LITE_ENSURE_NEAR: fails only when |a - b| > epsilon, in float (so a NaN passes).
    let near = |a: f32, b: f32, eps: f32| {
        let delta = if a > b { a - b } else { b - a };
        delta <= eps || delta.is_nan()
    };
    match (input.dtype, output.dtype) {
        (DType::F32, DType::F32) => {}
        (DType::I8, DType::I8) | (DType::I8, DType::I16) => {
            if output.dtype == DType::I8 {
                if out_zp != -128 || out_scale != 1.0 / 256.0 {
                    return Err(ctx.unsupported(
                        "an int8 SOFTMAX output not scaled 1/256 with zero point -128",
                    ));
                }
                p.kind = KIND_I8_I8;
            } else {
                if out_zp != -32768 || !near(out_scale, 1.0 / 65536.0, 0.001 * 1.0 / 65536.0) {
                    return Err(ctx.unsupported(
                        "an int16 SOFTMAX output not scaled 1/65536 with zero point -32768",
                    ));
                }
                p.kind = KIND_I8_I16;
            }
            // beta and the input scale widened to double, as TFLM does.
            let (multiplier, shift) = quant::preprocess_softmax_scaling(
                beta as f64,
                in_scale as f64,
                SCALED_DIFF_INTEGER_BITS,
            )
            .ok_or(ctx.unsupported("beta * input scale at or below 2^-26 (TFLM aborts on it)"))?;
            p.input_multiplier = multiplier;
            p.input_left_shift = shift;
            // diff_min = -1.0 * radius, stored in an int.
            p.diff_min =
                -(quant::calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift, 31) as f64) as i32;
        }
        (DType::I16, DType::I16) => {
            if in_zp != 0 || out_zp != 0 {
                return Err(ctx.unsupported("an int16 SOFTMAX with a nonzero zero point"));
            }
            if !near(out_scale, 1.0 / 32768.0, 0.001 * 1.0 / 32768.0) {
                return Err(ctx.unsupported("an int16 SOFTMAX output not scaled 1/32768"));
            }
            // The int32 sum of up to `depth` exponentials of at most 32767 each.
            if depth > 65536 {
                return Err(ctx.unsupported("an int16 SOFTMAX row over 65536 values"));
            }
            p.kind = KIND_I16_I16;
            // Input differences rescaled so that [-65535, 0] spans [-10, 0]: in double.
            let rescale = in_scale as f64 * beta as f64 / (10.0 / 65535.0);
            let (multiplier, shift) = quant::quantize_multiplier(rescale);
            p.input_multiplier = multiplier;
            p.input_left_shift = shift;
            // The tables, as TFLM builds them in float: exp over [-10, 0] and 1/(1+x) over
            // [0, 1], both with outputs scaled 2/65535.
            let range = 65535.0f32;
            let mut exp_lut = [0i16; LUT_I16_SIZE];
            quant::lut_populate_i16(
                10.0 / range,
                32767,
                2.0 / range,
                0,
                quant::glibc_expf,
                &mut exp_lut,
            );
            let mut recip_lut = [0i16; LUT_I16_SIZE];
            quant::lut_populate_i16(
                1.0 / range,
                -32768,
                2.0 / range,
                0,
                |v| 1.0 / (1.0 + v),
                &mut recip_lut,
            );
            let entry = |i: usize| -> u16 {
                let (lut, k) = if i < 2 * LUT_WORDS {
                    (&exp_lut, i)
                } else {
                    (&recip_lut, i - 2 * LUT_WORDS)
                };
                lut.get(k).copied().unwrap_or(0) as u16
            };
            p.luts = ctx.push_i32s(2 * LUT_WORDS, |w| {
                Ok((entry(2 * w) as u32 | (entry(2 * w + 1) as u32) << 16) as i32)
            })?;
        }
        _ => return Err(ctx.unsupported("SOFTMAX with these tensor types")),
    }
    ctx.set_macs(input.elements() as u64);
    ctx.set_params(&p)
}

#[inline(always)]
fn read_i16(b: &[u8], i: usize) -> i16 {
    b.get(2 * i..2 * i + 2)
        .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]))
}

#[inline(always)]
fn write_i16(b: &mut [u8], i: usize, v: i16) {
    if let Some(o) = b.get_mut(2 * i..2 * i + 2) {
        o.copy_from_slice(&v.to_le_bytes());
    }
}

#[inline(always)]
fn read_f32(b: &[u8], i: usize) -> f32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0.0, |s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn write_f32(b: &mut [u8], i: usize, v: f32) {
    if let Some(o) = b.get_mut(4 * i..4 * i + 4) {
        o.copy_from_slice(&v.to_le_bytes());
    }
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let input = r.get(input)?;
    let luts = r.get(p.luts.loc())?;
    let (outer, depth) = (p.outer as usize, p.depth as usize);
    let (in_size, out_size) = match p.kind {
        KIND_F32 => (4, 4),
        KIND_I8_I8 => (1, 1),
        KIND_I8_I16 => (1, 2),
        _ => (2, 2),
    };
    if input.len() < outer * depth * in_size
        || out.len() < outer * depth * out_size
        || (p.kind == KIND_I16_I16 && luts.len() < 8 * LUT_WORDS)
    {
        return Err(Error::malformed("SOFTMAX buffers"));
    }
    match p.kind {
        KIND_F32 => softmax_f32(&p, input, out, outer, depth),
        KIND_I16_I16 => softmax_i16(&p, input, out, luts, outer, depth),
        _ => softmax_i8(&p, input, out, outer, depth),
    }
}

/// `reference_ops::Softmax<float>`: exp((x - max) * beta) in float, stored, summed in float,
/// then each stored value divided by the sum.
fn softmax_f32(p: &Params, input: &[u8], out: &mut [u8], outer: usize, depth: usize) -> Result<()> {
    for i in 0..outer {
        let row = i * depth;
        let mut max = f32::MIN;
        for c in 0..depth {
            let v = read_f32(input, row + c);
            if max < v {
                max = v;
            }
        }
        let mut sum = 0.0f32;
        for c in 0..depth {
            let e = quant::glibc_expf((read_f32(input, row + c) - max) * p.beta);
            write_f32(out, row + c, e);
            sum += e;
        }
        for c in 0..depth {
            let e = read_f32(out, row + c);
            write_f32(out, row + c, e / sum);
        }
    }
    Ok(())
}

/// `reference_ops::Softmax<int8_t, int8_t/int16_t>`: input differences from the row maximum
/// scaled to Q5.26, gemmlowp exp, the sum in Q12.19, its reciprocal, and each exponential
/// times the reciprocal shifted down to the output's 8 or 16 bits.
fn softmax_i8(p: &Params, input: &[u8], out: &mut [u8], outer: usize, depth: usize) -> Result<()> {
    let wide = p.kind == KIND_I8_I16;
    let (out_min, out_max, out_bits) = if wide {
        (-32768i32, 32767i32, 16)
    } else {
        (-128, 127, 8)
    };
    let at = |k: usize| input.get(k).map_or(0, |&v| v as i8 as i32);
    let scaled_exp = |diff: i32| {
        let rescaled = quant::multiply_by_quantized_multiplier_greater_than_one(
            diff,
            p.input_multiplier,
            p.input_left_shift,
        );
        quant::exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS as u32)
    };
    for i in 0..outer {
        let row = i * depth;
        let mut max = -128i32;
        for c in 0..depth {
            max = max.max(at(row + c));
        }
        // Sum of exp(diff) over the differences TFLM keeps (diff >= diff_min), each rescaled
        // from Q0.31 to Q12.19, added in wrapping int32.
        let mut sum: i32 = 0;
        for c in 0..depth {
            let diff = at(row + c) - max;
            if diff >= p.diff_min {
                sum = sum.wrapping_add(quant::fixed_rescale(
                    scaled_exp(diff),
                    0,
                    ACCUMULATION_INTEGER_BITS,
                ));
            }
        }
        let (shifted_scale, bits_over_unit) = quant::get_reciprocal(sum, ACCUMULATION_INTEGER_BITS);
        let exponent = bits_over_unit + 31 - out_bits;
        if !(0..=31).contains(&exponent) {
            // TFLM's TFLITE_CHECK aborts here (only a wrapped int32 sum gets here).
            return Err(Error::invalid("SOFTMAX sum of exponentials overflowed", 0));
        }
        for c in 0..depth {
            let diff = at(row + c) - max;
            let v = if diff >= p.diff_min {
                let unsat = quant::rounding_divide_by_pot(
                    quant::saturating_rounding_doubling_high_mul(shifted_scale, scaled_exp(diff)),
                    exponent,
                );
                unsat.wrapping_add(out_min).max(out_min).min(out_max)
            } else {
                out_min
            };
            if wide {
                write_i16(out, row + c, v as i16);
            } else if let Some(o) = out.get_mut(row + c) {
                *o = v as i8 as u8;
            }
        }
    }
    Ok(())
}

/// `reference_ops::SoftmaxInt16`: differences rescaled to [-65535, 0] ~ [-10, 0], recentred,
/// looked up in the exp table (the results kept in the output as scratch), their int32 sum
/// normalised and looked up in the 1/(1+x) table, then each exponential times that reciprocal.
fn softmax_i16(
    p: &Params,
    input: &[u8],
    out: &mut [u8],
    luts: &[u8],
    outer: usize,
    depth: usize,
) -> Result<()> {
    let table = |t: usize, k: usize| read_i16(luts, t * 2 * LUT_WORDS + k);
    for i in 0..outer {
        let row = i * depth;
        let mut max = i16::MIN;
        for c in 0..depth {
            max = max.max(read_i16(input, row + c));
        }
        let mut sum: i32 = 0;
        for c in 0..depth {
            let diff = read_i16(input, row + c) as i32 - max as i32;
            let scaled = quant::multiply_by_quantized_multiplier(
                diff,
                p.input_multiplier,
                p.input_left_shift,
            );
            let sym = scaled.wrapping_add(32767).clamp(-32768, 32767) as i16;
            let e = quant::lut_lookup_i16(sym, |k| table(0, k));
            write_i16(out, row + c, e);
            sum = sum.wrapping_add(e as i32);
        }
        // Normalise the sum to [1, 2) in Q1.14-ish steps, as TFLM does, then 1/(1 + (x - 1)).
        let headroom_plus_one = (sum as u32).leading_zeros();
        if !(1..=31).contains(&headroom_plus_one) {
            return Err(Error::invalid("SOFTMAX int16 sum out of range", 0));
        }
        let shifted_sum = (((sum as i64) << (headroom_plus_one - 1)) + (1 << 13)) >> 14;
        let sym_shifted_sum = (shifted_sum as i32).wrapping_sub((1 << 15) + (1 << 16));
        let reciprocal =
            quant::lut_lookup_i16(sym_shifted_sum.clamp(-32768, 32767) as i16, |k| table(1, k));
        let right_shift = 31 - headroom_plus_one;
        let round: i64 = if right_shift > 0 {
            1 << (right_shift - 1)
        } else {
            0
        };
        for c in 0..depth {
            let e = read_i16(out, row + c) as i64;
            let result = ((e * reciprocal as i64 + round) >> right_shift) as i32;
            write_i16(out, row + c, result.clamp(0, 32767) as i16);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_i8(p: &Params, input: &[i8]) -> Vec<i32> {
        let bytes: Vec<u8> = input.iter().map(|&v| v as u8).collect();
        let wide = p.kind == KIND_I8_I16;
        let mut out = vec![0u8; input.len() * if wide { 2 } else { 1 }];
        softmax_i8(p, &bytes, &mut out, 1, input.len()).unwrap();
        if wide {
            (0..input.len()).map(|i| read_i16(&out, i) as i32).collect()
        } else {
            out.iter().map(|&v| v as i8 as i32).collect()
        }
    }

    fn params_i8(kind: u32, beta: f32, scale: f32) -> Params {
        let (m, s) = quant::preprocess_softmax_scaling(beta as f64, scale as f64, 5).unwrap();
        Params {
            input: TensorId(0),
            output: TensorId(1),
            kind,
            outer: 1,
            depth: 0,
            input_multiplier: m,
            input_left_shift: s,
            diff_min: -quant::calculate_input_radius(5, s, 31),
            beta,
            luts: ArrayRef::default(),
        }
    }

    #[test]
    fn int8_equal_inputs_share_probability() {
        // Four equal logits: each 1/4 = 64/256 -> 64 - 128 = -64.
        let p = params_i8(KIND_I8_I8, 1.0, 0.1);
        assert_eq!(run_i8(&p, &[5, 5, 5, 5]), vec![-64; 4]);
        // int16 output: 1/4 of 65536 = 16384 - 32768.
        let p = params_i8(KIND_I8_I16, 1.0, 0.1);
        assert_eq!(run_i8(&p, &[5, 5, 5, 5]), vec![-16384; 4]);
    }

    #[test]
    fn int8_tracks_the_real_softmax() {
        let p = params_i8(KIND_I8_I8, 1.0, 0.25);
        let x = [0i8, 4, -8, 2];
        let got = run_i8(&p, &x);
        let e: Vec<f64> = x.iter().map(|&v| (v as f64 * 0.25).exp()).collect();
        let total: f64 = e.iter().sum();
        for (g, e) in got.iter().zip(&e) {
            let want = (e / total * 256.0).round() - 128.0;
            assert!((*g as f64 - want).abs() <= 1.0, "{g} vs {want}");
        }
    }

    #[test]
    fn far_below_the_maximum_is_zero_probability() {
        // With a large scale, differences below diff_min give the output minimum exactly.
        let p = params_i8(KIND_I8_I8, 1.0, 1.0);
        assert!(p.diff_min > -128);
        assert_eq!(run_i8(&p, &[127, -128]), vec![127, -128]);
    }

    #[test]
    fn float_softmax_sums_to_one() {
        let p = Params {
            input: TensorId(0),
            output: TensorId(1),
            kind: KIND_F32,
            outer: 2,
            depth: 3,
            input_multiplier: 0,
            input_left_shift: 0,
            diff_min: 0,
            beta: 1.0,
            luts: ArrayRef::default(),
        };
        let x = [1.0f32, 2.0, 3.0, -1.0, -1.0, -1.0];
        let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut out = vec![0u8; bytes.len()];
        softmax_f32(&p, &bytes, &mut out, 2, 3).unwrap();
        let y: Vec<f32> = (0..6).map(|i| read_f32(&out, i)).collect();
        assert!((y[0] + y[1] + y[2] - 1.0).abs() < 1e-6);
        assert!((y[2] - 0.665_240_9).abs() < 1e-6);
        assert_eq!(y[3], y[4]);
        assert!((y[5] - 1.0 / 3.0).abs() < 1e-7);
    }
}
