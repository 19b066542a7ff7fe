//! Fixed-point arithmetic, bit for bit as TFLM's reference kernels do it.
//!
//! TFLM's default build leaves `TFLITE_SINGLE_ROUNDING` off, so requantization is the
//! double-rounding form from gemmlowp: [`saturating_rounding_doubling_high_mul`] (round once
//! when taking the high 32 bits of the doubled product) followed by [`rounding_divide_by_pot`]
//! (round again when shifting right). The conformance suite confirms this against the PyPI
//! `tflite-micro` oracle.
//!
//! Multipliers are Q0.31 fixed point: a real multiplier `m` is `q * 2^shift` with
//! `q in [2^30, 2^31)` stored as an `i32`, and `shift` positive for a left shift.

/// The high 32 bits of `2 * a * b`, rounded, saturating the single overflow case
/// `a == b == i32::MIN` (gemmlowp `SaturatingRoundingDoublingHighMul`).
///
/// The division by 2^31 truncates toward zero (C semantics), and the nudge is `2^30` for a
/// non-negative product and `1 - 2^30` for a negative one: ties round toward +infinity
/// (1.5 -> 2, -1.5 -> -1), which is what TFLM's outputs depend on.
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == b && a == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded half away from zero (gemmlowp `RoundingDivideByPOT`);
/// `exponent` in `0..=31`.
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let exponent = exponent.clamp(0, 31) as u32;
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> exponent) + (remainder > threshold) as i32
}

/// `x * multiplier * 2^shift` in TFLM's double-rounding form
/// (`MultiplyByQuantizedMultiplier(int32_t, int32_t, int)`).
///
/// The left shift is applied to `x` first with 32-bit wrap-around, as the C++ does (its inputs
/// never overflow in practice; wrapping keeps us total).
#[inline(always)]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift } else { 0 };
    let right = if shift > 0 { 0 } else { -shift };
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(
            x.wrapping_mul(1i32.wrapping_shl(left as u32)),
            multiplier,
        ),
        right,
    )
}

/// The 64-bit-accumulator form used by 16x8 kernels
/// (`MultiplyByQuantizedMultiplier(int64_t, int32_t, int)`): the multiplier is reduced to 16
/// bits with rounding, then one rounding shift.
#[inline(always)]
pub fn multiply_by_quantized_multiplier_64(x: i64, multiplier: i32, shift: i32) -> i32 {
    let reduced: i64 = if multiplier < 0x7FFF_0000 {
        ((multiplier as i64) + (1 << 15)) >> 16
    } else {
        0x7FFF
    };
    let total_shift = (15 - shift).clamp(1, 63) as u32;
    let x = x
        .wrapping_mul(reduced)
        .wrapping_add(1i64 << (total_shift - 1));
    (x >> total_shift) as i32
}

/// Splits `x` into a mantissa in `[0.5, 1)` (sign kept) and a power of two, as C's `frexp`.
pub fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale up by 2^64 first.
        let (m, e) = frexp(x * f64::from_bits(0x43f0_0000_0000_0000));
        return (m, e - 64);
    }
    let mantissa = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (mantissa, exp - 1022)
}

/// Rounds half away from zero, as C's `round` (exact for all finite inputs).
pub fn round(x: f64) -> f64 {
    libm::round(x)
}

/// Rounds an `f32` half away from zero (C's `roundf`).
pub fn roundf(x: f32) -> f32 {
    libm::roundf(x)
}

/// TFLM `QuantizeMultiplier`: a real multiplier as `(q, shift)` with `q` in Q0.31.
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    if m == 0.0 || !m.is_finite() {
        return (0, 0);
    }
    let (q, mut shift) = frexp(m);
    let mut q_fixed = round(q * (1i64 << 31) as f64) as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    (q_fixed as i32, shift)
}

/// The output range an activation allows, in quantized units
/// (TFLM `CalculateActivationRangeQuantized`): `(min, max)` clamped to the type's range.
pub fn activation_range_quantized(
    activation: Activation,
    scale: f32,
    zero_point: i32,
    qmin: i32,
    qmax: i32,
) -> (i32, i32) {
    let quantize = |v: f32| -> i32 {
        // TFLM: zero_point + static_cast<int32_t>(TfLiteRound(f / scale)) in float.
        zero_point.saturating_add(roundf(v / scale) as i32)
    };
    match activation {
        Activation::None => (qmin, qmax),
        Activation::Relu => (qmin.max(quantize(0.0)), qmax),
        Activation::Relu6 => (qmin.max(quantize(0.0)), qmax.min(quantize(6.0))),
        Activation::ReluN1To1 => (qmin.max(quantize(-1.0)), qmax.min(quantize(1.0))),
    }
}

/// The float range an activation allows (TFLM `CalculateActivationRange<float>`).
pub fn activation_range_f32(activation: Activation) -> (f32, f32) {
    match activation {
        Activation::None => (f32::MIN, f32::MAX),
        Activation::Relu => (0.0, f32::MAX),
        Activation::Relu6 => (0.0, 6.0),
        Activation::ReluN1To1 => (-1.0, 1.0),
    }
}

/// Fused activation functions (`ActivationFunctionType` in the schema) that TFLM supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `NONE`
    None,
    /// `RELU`
    Relu,
    /// `RELU_N1_TO_1`
    ReluN1To1,
    /// `RELU6`
    Relu6,
}

impl Activation {
    /// The activation for a schema code; `None` for ones TFLM rejects (TANH, SIGN_BIT).
    pub fn from_code(code: u8) -> Option<Activation> {
        match code {
            0 => Some(Activation::None),
            1 => Some(Activation::Relu),
            2 => Some(Activation::ReluN1To1),
            3 => Some(Activation::Relu6),
            _ => None,
        }
    }
}

/// Saturating conversion to `i8`.
#[inline(always)]
pub fn clamp_i8(x: i32) -> i8 {
    x.clamp(-128, 127) as i8
}

// ---------------------------------------------------------------------------------------------
// Activations and (de)quantization: 16-bit gemmlowp fixed point (HARD_SWISH), the int16
// multiplier downscale, and C's float-to-int conversion as the oracle's x86 build performs it.
// ---------------------------------------------------------------------------------------------

/// The 16-bit `SaturatingRoundingDoublingHighMul` of gemmlowp: the high 16 bits of `2 * a * b`,
/// with the same nudge-then-truncate rounding as the 32-bit form (nudge `2^14`, or `1 - 2^14`
/// for a negative product) and the single overflow case `a == b == i16::MIN` saturated.
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == b && a == i16::MIN {
        return i16::MAX;
    }
    let ab = a as i32 * b as i32;
    let nudge: i32 = if ab >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    // |ab + nudge| < 2^30 + 2^14, so the quotient fits 16 bits except in the case above.
    ((ab + nudge) / (1 << 15)) as i16
}

/// TFLM's `SaturatingDoublingHighMul` (hard_swish.h): as
/// [`saturating_rounding_doubling_high_mul_i16`] but truncating toward zero, no nudge.
#[inline(always)]
pub fn saturating_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == b && a == i16::MIN {
        return i16::MAX;
    }
    ((a as i32 * b as i32) / (1 << 15)) as i16
}

/// gemmlowp's `RoundingDivideByPOT` instantiated for `int16_t`, quirks included: the mask
/// `(1 << exponent) - 1` is truncated to 16 bits, so for `exponent >= 16` it is `-1` and the
/// result is `1` for `x >= 0` and `-1` for `x < 0` (TFLM reaches this with extreme scale
/// ratios). `exponent` in `0..=31`.
#[inline(always)]
pub fn rounding_divide_by_pot_i16(x: i16, exponent: i32) -> i16 {
    let exponent = exponent.clamp(0, 31) as u32;
    let mask = ((1i64 << exponent) - 1) as i16;
    let remainder = x & mask;
    let threshold = (mask >> 1).wrapping_add((x < 0) as i16);
    // The shift happens in `int` after promotion, then narrows back to 16 bits.
    let shifted = ((x as i32) >> exponent) as i16;
    shifted.wrapping_add((remainder > threshold) as i16)
}

/// TFLM's `SaturatingLeftShift` (hard_swish.h): `value * 2^amount` saturated to 16 bits,
/// `amount` in `0..=30` (prepare bounds it).
#[inline(always)]
pub fn saturating_left_shift_i16(value: i16, amount: i32) -> i16 {
    let amount = amount.clamp(0, 30) as u32;
    ((value as i64) << amount).clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

/// TFLM `DownScaleInt32ToInt16Multiplier`: a non-negative Q0.31 multiplier rounded to Q0.15,
/// saturating to `i16::MAX` near the top of the range.
pub fn downscale_multiplier_to_i16(multiplier: i32) -> i16 {
    const ROUNDING: i32 = 1 << 15;
    if multiplier >= i32::MAX - ROUNDING {
        return i16::MAX;
    }
    (multiplier.wrapping_add(ROUNDING) >> 16) as i16
}

/// C's `static_cast<int32_t>(float)` as TFLM's reference build runs it on x86 (`cvttss2si`):
/// truncation toward zero, and `i32::MIN` for NaN or anything outside the `int32_t` range.
/// C++ leaves that case undefined; the oracle (the PyPI `tflite-micro` build) gives `INT_MIN`,
/// and QUANTIZE's outputs with extreme scales depend on it, so the engine does the same
/// (Arm's `vcvt` would saturate instead).
#[inline(always)]
pub fn f32_to_i32_like_c(x: f32) -> i32 {
    // 2^31 is exactly representable; every float below it in magnitude truncates into range.
    // NaN is in no range.
    if !(-2_147_483_648.0..2_147_483_648.0).contains(&x) {
        i32::MIN
    } else {
        x as i32
    }
}

/// [`f32_to_i32_like_c`] for a `double` (`cvttsd2si`).
#[inline(always)]
pub fn f64_to_i32_like_c(x: f64) -> i32 {
    // Everything in range truncates into int32 (-2^31 - 1 itself saturates to the same MIN).
    if !(-2_147_483_649.0..2_147_483_648.0).contains(&x) {
        i32::MIN
    } else {
        x as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srdhm_rounds_half_away_from_zero_and_saturates() {
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
            1 << 29
        );
        // gemmlowp's nudge-then-truncate rounds ties upward: 1.5 -> 2 but -1.5 -> -1,
        // 0.5 -> 1 but -0.5 -> 0 (the nudge for negatives is 1 - 2^30, one short of a half).
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
        assert_eq!(saturating_rounding_doubling_high_mul(-5, 1 << 30), -2); // -2.5 -> -2
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX),
            i32::MAX - 1
        );
    }

    #[test]
    fn rdbpot_rounds_half_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-6, 2), -2); // -1.5 -> -2
        assert_eq!(rounding_divide_by_pot(6, 2), 2); // 1.5 -> 2
        assert_eq!(rounding_divide_by_pot(-5, 2), -1); // -1.25 -> -1
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
        assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
        assert_eq!(rounding_divide_by_pot(7, 0), 7);
    }

    #[test]
    fn double_rounding_differs_from_single_rounding_where_tflm_does() {
        // x * 0.5 then >> 1: 3 * 0.5 = 1.5 -> 2 (first rounding), 2 / 2 = 1;
        // single rounding would give round(0.75) = 1 too; pick a case that differs:
        // x = 5, m = 0.75 (q = 3<<29, shift 0) then shift -1 ... computed by TFLM as
        // RDBPOT(SRDHM(5, 3<<29), 1) = RDBPOT(round(3.75)=4, 1) = 2; exact 1.875 -> 2.
        assert_eq!(multiply_by_quantized_multiplier(5, 3 << 29, -1), 2);
        // 13 * 0.75 = 9.75 -> 10, /2 = 5 -> exact 4.875 -> 5
        assert_eq!(multiply_by_quantized_multiplier(13, 3 << 29, -1), 5);
        // A case where double rounding rounds twice: x = 3, m = 0.5 (1<<30), shift -1:
        // SRDHM = round(1.5) = 2, RDBPOT(2, 1) = 1; exact 0.75 -> 1.
        assert_eq!(multiply_by_quantized_multiplier(3, 1 << 30, -1), 1);
        // x = 5, m = 0.5, shift -2: SRDHM = round(2.5) = 3, /4 = 0.75 -> 1; exact 0.625 -> 1.
        assert_eq!(multiply_by_quantized_multiplier(5, 1 << 30, -2), 1);
        // x = 1, m=0.5, shift -1: SRDHM = 1 (0.5 rounds up), /2 = 0.5 -> 1; exact 0.25 -> 0.
        assert_eq!(multiply_by_quantized_multiplier(1, 1 << 30, -1), 1);
    }

    #[test]
    fn quantize_multiplier_matches_frexp_form() {
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(1.0), (1 << 30, 1));
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        assert_eq!(quantize_multiplier(0.0), (0, 0));
        // Rounds up to 2^31: renormalised.
        assert_eq!(quantize_multiplier(0.999_999_999_9), (1 << 30, 1));
        assert_eq!(quantize_multiplier(1e-12), (0, 0), "flushed below 2^-31");
        let (q, s) = quantize_multiplier(0.0037);
        let back = q as f64 * 2f64.powi(s - 31);
        assert!((back - 0.0037).abs() < 1e-11);
    }

    #[test]
    fn frexp_handles_subnormals_and_signs() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        let (m, e) = frexp(f64::from_bits(1));
        assert_eq!((m, e), (0.5, -1073));
    }

    #[test]
    fn mbqm_64_matches_reference_formula() {
        // reduced multiplier of 1<<30 is 1<<14; total shift 15: x * 2^14 / 2^15 = x/2 rounded up at .5
        assert_eq!(multiply_by_quantized_multiplier_64(3, 1 << 30, 0), 2);
        assert_eq!(multiply_by_quantized_multiplier_64(-3, 1 << 30, 0), -1);
        // A multiplier at or above 0x7FFF0000 saturates to 0x7FFF: 2^40 * 32767 / 2^35.
        assert_eq!(
            multiply_by_quantized_multiplier_64(1 << 40, 0x7FFF_FFFF, -20),
            1_048_544
        );
    }
}

#[cfg(test)]
mod activation_tests {
    use super::*;

    #[test]
    fn srdhm_i16_rounds_like_the_32_bit_form() {
        assert_eq!(
            saturating_rounding_doubling_high_mul_i16(i16::MIN, i16::MIN),
            i16::MAX
        );
        // 2 * 3 * 2^14 / 2^16 = 1.5 -> 2; the negative tie goes up to -1.
        assert_eq!(saturating_rounding_doubling_high_mul_i16(3, 1 << 14), 2);
        assert_eq!(saturating_rounding_doubling_high_mul_i16(-3, 1 << 14), -1);
        assert_eq!(
            saturating_rounding_doubling_high_mul_i16(16384, 16384),
            8192
        );
        // The non-rounding form truncates toward zero.
        assert_eq!(saturating_doubling_high_mul_i16(3, 1 << 14), 1);
        assert_eq!(saturating_doubling_high_mul_i16(-3, 1 << 14), -1);
        assert_eq!(
            saturating_doubling_high_mul_i16(i16::MIN, i16::MIN),
            i16::MAX
        );
    }

    #[test]
    fn rdbpot_i16_keeps_gemmlowps_narrow_mask() {
        assert_eq!(rounding_divide_by_pot_i16(5, 1), 3);
        assert_eq!(rounding_divide_by_pot_i16(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot_i16(-6, 2), -2);
        assert_eq!(rounding_divide_by_pot_i16(32767, 15), 1);
        assert_eq!(rounding_divide_by_pot_i16(7, 0), 7);
        // exponent >= 16: the mask truncates to -1.
        assert_eq!(rounding_divide_by_pot_i16(0, 16), 1);
        assert_eq!(rounding_divide_by_pot_i16(1000, 20), 1);
        assert_eq!(rounding_divide_by_pot_i16(-1000, 20), -1);
    }

    #[test]
    fn saturating_shift_and_downscale() {
        assert_eq!(saturating_left_shift_i16(3, 2), 12);
        assert_eq!(saturating_left_shift_i16(20000, 1), i16::MAX);
        assert_eq!(saturating_left_shift_i16(-20000, 1), i16::MIN);
        assert_eq!(downscale_multiplier_to_i16(1 << 30), 1 << 14);
        assert_eq!(
            downscale_multiplier_to_i16((1 << 30) + (1 << 15)),
            (1 << 14) + 1
        );
        assert_eq!(downscale_multiplier_to_i16(i32::MAX), i16::MAX);
        assert_eq!(downscale_multiplier_to_i16(0), 0);
    }

    #[test]
    fn float_to_int_follows_x86() {
        assert_eq!(f32_to_i32_like_c(-2.9), -2);
        assert_eq!(f32_to_i32_like_c(2.9), 2);
        assert_eq!(f32_to_i32_like_c(f32::NAN), i32::MIN);
        assert_eq!(f32_to_i32_like_c(4e12), i32::MIN);
        assert_eq!(f32_to_i32_like_c(-4e12), i32::MIN);
        assert_eq!(f32_to_i32_like_c(-2_147_483_648.0), i32::MIN);
        assert_eq!(f32_to_i32_like_c(2_147_483_520.0), 2_147_483_520);
        assert_eq!(f64_to_i32_like_c(-2_147_483_648.5), i32::MIN);
        assert_eq!(f64_to_i32_like_c(2_147_483_647.9), i32::MAX);
        assert_eq!(f64_to_i32_like_c(2_147_483_648.0), i32::MIN);
    }
}
