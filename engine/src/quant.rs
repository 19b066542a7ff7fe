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
///
/// For a positive normal `m` (every multiplier a model's scales give) this works on the bits:
/// `frexp`'s mantissa is the 53-bit significand over 2^53, so `round(q * 2^31)` (half away
/// from zero) is `(significand + 2^21) >> 22` — the same value without the float rounding
/// call, cheap enough for the convolutions to recompute per-channel multipliers at every
/// evaluation. Anything else takes TFLM's general path.
#[inline]
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    let bits = m.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if bits >> 63 == 0 && exp != 0 && exp != 0x7ff {
        let significand = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
        let q = (significand + (1 << 21)) >> 22;
        let (q, shift) = if q == 1 << 31 {
            (q / 2, exp - 1022 + 1)
        } else {
            (q, exp - 1022)
        };
        return if shift < -31 {
            (0, 0)
        } else {
            (q as i32, shift)
        };
    }
    quantize_multiplier_general(m)
}

/// [`quantize_multiplier`] as TFLM writes it (`frexp`, `round`), for every input.
fn quantize_multiplier_general(m: f64) -> (i32, i32) {
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
// Element-wise arithmetic (ADD, SUB, MUL) and reductions (MEAN, SUM)
// ---------------------------------------------------------------------------------------------

/// TFLM `QuantizeMultiplierSmallerThanOneExp`: [`quantize_multiplier`] for a multiplier in
/// `(0, 1)`, whose shift must come out non-positive. `None` where TFLM's `TFLITE_CHECK`s would
/// abort (a multiplier outside `(0, 1)`, or one so close to 1 that it rounds up to `2^0`), so
/// prepare can refuse the model instead.
pub fn quantize_multiplier_smaller_than_one_exp(m: f64) -> Option<(i32, i32)> {
    if !(m > 0.0 && m < 1.0) {
        return None;
    }
    let (q, shift) = quantize_multiplier(m);
    if shift > 0 {
        return None;
    }
    Some((q, shift))
}

/// The range an activation allows an `int32` output (TFLM `CalculateActivationRange<int32_t>`):
/// the float bounds taken literally as integers.
pub fn activation_range_i32(activation: Activation) -> (i32, i32) {
    match activation {
        Activation::None => (i32::MIN, i32::MAX),
        Activation::Relu => (0, i32::MAX),
        Activation::Relu6 => (0, 6),
        Activation::ReluN1To1 => (-1, 1),
    }
}

/// Folds the mean's `1 / n` into a requantization multiplier, as TFLM's
/// `reference_ops::QuantizedMeanOrSum` does for MEAN: the multiplier is widened by
/// `floor(log2 n)` bits (at most 32, and never past a total shift of -31), divided by `n` in
/// 64-bit integer arithmetic (truncating), and the shift lowered to match. `n` must be
/// positive.
pub fn fold_mean_divisor(multiplier: i32, shift: i32, n: i64) -> (i32, i32) {
    if n <= 0 {
        return (multiplier, shift);
    }
    // 63 - CountLeadingZeros(n): the index of n's highest set bit.
    let mut extra = 63 - n.leading_zeros() as i32;
    extra = extra.min(32);
    extra = extra.min(31 + shift).max(0);
    let folded = (((multiplier as i64) << extra) / n) as i32;
    (folded, shift - extra)
}

// ---------------------------------------------------------------------------------------------
// DIV (int8): sign-bit headroom and a rounding shift by an unbounded exponent
// ---------------------------------------------------------------------------------------------

/// TFLM `CountLeadingSignBits<int32_t>` as GCC builds it (`__builtin_clrsb`, and 31 for zero):
/// how many bits below the sign bit repeat it.
#[inline(always)]
pub fn count_leading_sign_bits(x: i32) -> i32 {
    let magnitude = if x < 0 { !x } else { x };
    magnitude.leading_zeros() as i32 - 1
}

/// gemmlowp `RoundingDivideByPOT` for any `exponent`, as the oracle's x86-64 build computes it
/// when the exponent leaves the `0..=31` the code asserts (int8 DIV reaches 32 and beyond when
/// a small dividend meets a large divisor, and a negative one for huge output multipliers): the
/// mask is `(1 << exponent) - 1` formed in 64 bits (the shift count taken mod 64, as `shl`
/// does) and truncated to 32; the right shift of `x` takes its count mod 32 (as `sar` does).
/// Within `0..=31` this is [`rounding_divide_by_pot`].
#[inline(always)]
pub fn rounding_divide_by_pot_x86(x: i32, exponent: i32) -> i32 {
    let mask = (1i64.wrapping_shl(exponent as u32)).wrapping_sub(1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x.wrapping_shr(exponent as u32)).wrapping_add((remainder > threshold) as i32)
}

#[cfg(test)]
mod div_tests {
    use super::*;

    #[test]
    fn leading_sign_bits_like_clrsb() {
        assert_eq!(count_leading_sign_bits(0), 31);
        assert_eq!(count_leading_sign_bits(-1), 31);
        assert_eq!(count_leading_sign_bits(1), 30);
        assert_eq!(count_leading_sign_bits(255), 23);
        assert_eq!(count_leading_sign_bits(-256), 23);
        assert_eq!(count_leading_sign_bits(i32::MAX), 0);
        assert_eq!(count_leading_sign_bits(i32::MIN), 0);
    }

    #[test]
    fn x86_rounding_shift_agrees_in_range_and_wraps_outside() {
        for x in [0, 1, -1, 5, -5, 12345, -12345, i32::MAX, i32::MIN] {
            for e in 0..32 {
                assert_eq!(
                    rounding_divide_by_pot_x86(x, e),
                    rounding_divide_by_pot(x, e)
                );
            }
        }
        // Exponent 32: mask all ones, threshold -1, shift by 0: x + 1 for x >= 0.
        assert_eq!(rounding_divide_by_pot_x86(0, 32), 1);
        assert_eq!(rounding_divide_by_pot_x86(1 << 29, 35), (1 << 26) + 1);
        // Exponent 31 still rounds properly.
        assert_eq!(rounding_divide_by_pot_x86(0, 31), 0);
        // A negative exponent: mask 2^63 - 1 truncated (all ones), shift by 31.
        assert_eq!(rounding_divide_by_pot_x86(-8, -1), -1);
    }
}

// ---------------------------------------------------------------------------------------------
// Convolutions (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV)
// ---------------------------------------------------------------------------------------------

/// The requantization multiplier of one output channel of a convolution, as TFLM's
/// `PopulateConvolutionQuantizationParams` computes it for every channel (per-tensor filters
/// broadcast their one scale): `double(input_scale) * double(filter_scale) /
/// double(output_scale)`, in that order, then [`quantize_multiplier`]. Returns `(q, shift)` with
/// a positive shift meaning a left shift, as [`multiply_by_quantized_multiplier`] takes it.
#[inline]
pub fn conv_channel_multiplier(
    input_scale: f32,
    filter_scale: f32,
    output_scale: f32,
) -> (i32, i32) {
    quantize_multiplier(input_scale as f64 * filter_scale as f64 / output_scale as f64)
}

/// A convolution channel's requantization prepared for its inner loop: the same result as
/// [`multiply_by_quantized_multiplier`] for every `x`, given a multiplier from
/// [`quantize_multiplier`] (never `i32::MIN`, so the doubling high multiply cannot saturate).
///
/// The two roundings stay, each in a cheaper exact form: gemmlowp's nudge-then-truncate
/// `(p + nudge) / 2^31` equals `(p + 2^30) >> 31` (floor) for every product `p`; and
/// round-half-away-from-zero division by `2^e` (e > 0) equals
/// `(r + 2^(e-1) - (r < 0)) >> e`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChannelRequant {
    multiplier: i32,
    left: u32,
    right: u32,
    half: i64,
    negative_adjust: i64,
}

impl ChannelRequant {
    /// From a `(multiplier, shift)` pair as [`quantize_multiplier`] returns it.
    pub fn new(multiplier: i32, shift: i32) -> ChannelRequant {
        let left = shift.max(0) as u32;
        let right = (-shift).clamp(0, 31) as u32;
        ChannelRequant {
            multiplier,
            left,
            right,
            half: (1i64 << right) >> 1,
            negative_adjust: (right > 0) as i64,
        }
    }

    /// `x * multiplier * 2^shift`, bit for bit [`multiply_by_quantized_multiplier`].
    #[inline(always)]
    pub fn apply(&self, x: i32) -> i32 {
        let a = x.wrapping_mul(1i32.wrapping_shl(self.left));
        let r = ((a as i64 * self.multiplier as i64 + (1 << 30)) >> 31) as i32 as i64;
        ((r + self.half - ((r < 0) as i64 & self.negative_adjust)) >> self.right) as i32
    }
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

    #[test]
    fn smaller_than_one_exp_refuses_what_tflm_aborts_on() {
        assert_eq!(
            quantize_multiplier_smaller_than_one_exp(0.5),
            Some((1 << 30, 0))
        );
        assert_eq!(
            quantize_multiplier_smaller_than_one_exp(0.25),
            Some((1 << 30, -1))
        );
        assert_eq!(quantize_multiplier_smaller_than_one_exp(1.0), None);
        assert_eq!(quantize_multiplier_smaller_than_one_exp(0.0), None);
        // Rounds up to 2^31, which renormalises to a shift of +1: TFLM's CHECK fails.
        assert_eq!(
            quantize_multiplier_smaller_than_one_exp(0.999_999_999_9),
            None
        );
    }

    #[test]
    fn int32_activation_ranges_are_the_float_bounds() {
        assert_eq!(activation_range_i32(Activation::None), (i32::MIN, i32::MAX));
        assert_eq!(activation_range_i32(Activation::Relu), (0, i32::MAX));
        assert_eq!(activation_range_i32(Activation::Relu6), (0, 6));
        assert_eq!(activation_range_i32(Activation::ReluN1To1), (-1, 1));
    }

    #[test]
    fn mean_divisor_folds_like_quantized_mean_or_sum() {
        // n = 4: widen by 2 bits, divide by 4: the multiplier is unchanged, the shift drops 2.
        assert_eq!(fold_mean_divisor(1 << 30, 0, 4), (1 << 30, -2));
        // n = 3: floor(log2 3) = 1; (2^30 << 1) / 3 = 715827882 (truncated).
        assert_eq!(fold_mean_divisor(1 << 30, 0, 3), (715_827_882, -1));
        // n = 1: nothing to fold.
        assert_eq!(fold_mean_divisor(1 << 30, -3, 1), (1 << 30, -3));
        // The widening stops where the total shift would pass -31.
        assert_eq!(fold_mean_divisor(1 << 30, -30, 16), (1 << 27, -31));
        // A 2^40-element mean widens by at most 32 bits.
        assert_eq!(fold_mean_divisor(1 << 30, 5, 1 << 40), (1 << 22, -27));
    }
}

// ======================================================================================// ---------------------------------------------------------------------------------------------
// Softmax, logistic and tanh: gemmlowp fixed-point functions, softmax scaling, the int16 lookup
// tables, and float exp/tanh as glibc computes them (used by SOFTMAX, LOGISTIC and TANH).
// =============================================================================================
//
// gemmlowp's `FixedPoint<int32_t, IB>` is a raw `i32` read as Q(IB).(31-IB). Here the raw value
// is passed as an `i32` and the integer bits as a plain argument. gemmlowp's `+`, `-` and unary
// `-` are the bare C++ operators; they never overflow on the values these functions see, and
// wrap here so that hostile inputs stay total. Its `*` is
// [`saturating_rounding_doubling_high_mul`].

/// gemmlowp `SaturatingRoundingMultiplyByPOT`: `x * 2^exponent`, saturating when shifting left
/// and rounding half away from zero ([`rounding_divide_by_pot`]) when shifting right.
#[inline]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent > 0 {
        let e = exponent.min(31) as u32;
        let threshold = ((1i64 << (31 - e)) - 1) as i32;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x << e
        }
    } else if exponent < 0 {
        rounding_divide_by_pot(x, -exponent)
    } else {
        x
    }
}

/// gemmlowp `Rescale<dst_bits>`: the same real value moved from Q`src_bits` to Q`dst_bits`.
#[inline]
pub fn fixed_rescale(x: i32, src_bits: i32, dst_bits: i32) -> i32 {
    saturating_rounding_multiply_by_pot(x, src_bits - dst_bits)
}

/// gemmlowp `RoundingHalfSum`: `(a + b) / 2`, rounded half away from zero, in 64 bits.
#[inline]
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = a as i64 + b as i64;
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl`: `exp(a)` for `a` in
/// Q0.31 within `[-1/4, 0)`, by a Taylor expansion around -1/8.
#[inline]
pub fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    /// exp(-1/8) in Q0.31.
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    /// 1/3 in Q0.31.
    const ONE_THIRD: i32 = 715_827_883;
    let mul = saturating_rounding_doubling_high_mul;
    // x = a + 1/8: the expansion variable.
    let x = a.wrapping_add(1 << 28);
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    // (x^4/4 + x^3) / 3 + x^2, halved: x^4/24 + x^3/6 + x^2/2.
    let higher = rounding_divide_by_pot(
        mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        1,
    );
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(higher)))
}

/// gemmlowp `exp_on_negative_values`: `exp(a)` for `a <= 0` in Q(`integer_bits`), result in
/// Q0.31. `integer_bits` is at most 29 (callers pass 4 or 5).
///
/// The input is split into its remainder modulo 1/4 (handled by the Taylor expansion) and whole
/// quarters, whose bits select constant factors exp(-1/4), exp(-1/2), ... exp(-16).
#[inline]
pub fn exp_on_negative_values(a: i32, integer_bits: u32) -> i32 {
    /// (power of two of the quarter count, exp(-2^power) in Q0.31)
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    let ib = integer_bits.min(29) as i32;
    let frac = 31 - ib;
    let one_quarter = 1i32 << (frac - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(fixed_rescale(
        a_mod_quarter_minus_one_quarter,
        ib,
        0,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    for &(exponent, multiplier) in &BARREL {
        if ib > exponent {
            // frac + exponent is in 0..=30 because exponent >= -2 and exponent < ib.
            let bit = 1i32 << (frac + exponent);
            if remainder & bit != 0 {
                result = saturating_rounding_doubling_high_mul(result, multiplier);
            }
        }
    }
    if ib > 5 {
        // Below -32 the result is zero.
        let clamp = -(1i32 << (36 - ib));
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 {
        result = i32::MAX;
    }
    result
}

/// The Newton-Raphson iteration shared by gemmlowp's `one_over_one_plus_x_for_x_in_0_1` and
/// `one_minus_x_over_one_plus_x_for_x_in_0_1`: `1 / ((1 + a) / 2)` in Q2.29.
#[inline]
fn reciprocal_of_half_denominator(a: i32) -> i32 {
    /// 48/17 and -32/17 in Q2.29: the classic initial estimate for a reciprocal on [0.5, 1].
    const C48_OVER_17: i32 = 1_515_870_810;
    const CNEG32_OVER_17: i32 = -1_010_580_540;
    /// 1.0 in Q2.29.
    const ONE_Q2: i32 = 1 << 29;
    let mul = saturating_rounding_doubling_high_mul;
    let half_denominator = rounding_half_sum(a, i32::MAX);
    let mut x = C48_OVER_17.wrapping_add(mul(half_denominator, CNEG32_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_x = mul(half_denominator, x);
        let one_minus = ONE_Q2.wrapping_sub(half_denominator_times_x);
        // x * one_minus is Q4.27; back to Q2.29.
        x = x.wrapping_add(fixed_rescale(mul(x, one_minus), 4, 2));
    }
    x
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1`: `1 / (1 + a)` for `a` in Q0.31 within [0, 1).
#[inline]
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    // x is 2/(1+a) in Q2.29; halving it exactly makes it Q1.30, then rescale to Q0.31.
    fixed_rescale(reciprocal_of_half_denominator(a), 1, 0)
}

/// gemmlowp `one_minus_x_over_one_plus_x_for_x_in_0_1`: `(1 - a) / (1 + a)` for `a` in Q0.31.
#[inline]
pub fn one_minus_x_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    // 2/(1+a) - 1 = (1-a)/(1+a), in Q2.29, then to Q0.31.
    fixed_rescale(
        reciprocal_of_half_denominator(a).wrapping_sub(1 << 29),
        2,
        0,
    )
}

/// gemmlowp `logistic` on Q(`integer_bits`): `1 / (1 + exp(-a))` in Q0.31.
#[inline]
pub fn fixed_logistic(a: i32, integer_bits: u32) -> i32 {
    let abs = if a > 0 { a } else { a.wrapping_neg() };
    let if_positive =
        one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(abs.wrapping_neg(), integer_bits));
    if a == 0 {
        1 << 30
    } else if a > 0 {
        if_positive
    } else {
        i32::MAX.wrapping_sub(if_positive)
    }
}

/// gemmlowp `tanh` on Q(`integer_bits`): `tanh(a)` in Q0.31, via
/// `tanh(-n) = -(1 - exp(-2n)) / (1 + exp(-2n))`.
#[inline]
pub fn fixed_tanh(a: i32, integer_bits: u32) -> i32 {
    let negative = if a < 0 { a } else { a.wrapping_neg() };
    // Doubling is exact: the same raw value read with one more integer bit.
    let t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(
        negative,
        integer_bits + 1,
    ));
    if a == 0 {
        0
    } else if a < 0 {
        t.wrapping_neg()
    } else {
        t
    }
}

/// TFLM `GetReciprocal`: `1 / x` for positive `x` in Q(`integer_digits`), as a Q0.31 value
/// and the number of bits by which `x` exceeds 1 (`num_bits_over_unit`).
#[inline]
pub fn get_reciprocal(x: i32, integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let num_bits_over_unit = integer_digits - headroom_plus_one as i32;
    let shifted_sum_minus_one = (x as u32)
        .checked_shl(headroom_plus_one)
        .unwrap_or(0)
        .wrapping_sub(1 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one),
        num_bits_over_unit,
    )
}

/// TFLM `MultiplyByQuantizedMultiplierGreaterThanOne` (double-rounding build): shift left
/// first (wrapping, as the C++ int arithmetic does), then one rounding high multiply.
#[inline]
pub fn multiply_by_quantized_multiplier_greater_than_one(
    x: i32,
    multiplier: i32,
    left_shift: i32,
) -> i32 {
    saturating_rounding_doubling_high_mul(
        x.wrapping_mul(1i32.wrapping_shl(left_shift.clamp(0, 31) as u32)),
        multiplier,
    )
}

/// TFLM `CalculateInputRadius`: the largest input difference whose rescaled value still fits
/// Q(`input_integer_bits`), computed in double and floored. `input_left_shift` in `0..=62`.
pub fn calculate_input_radius(
    input_integer_bits: i32,
    input_left_shift: i32,
    total_signed_bits: i32,
) -> i32 {
    let max_input_rescaled = 1.0
        * ((1i64 << input_integer_bits.clamp(0, 30)) - 1) as f64
        * (1i64 << (total_signed_bits - input_integer_bits).clamp(0, 62)) as f64
        / (1i64 << input_left_shift.clamp(0, 62)) as f64;
    libm::floor(max_input_rescaled) as i32
}

/// TFLM `PreprocessSoftmaxScaling` (double-rounding build): `beta * input_scale` as a
/// multiplier greater than one on a Q(`input_integer_bits`) scale, capped at `2^31 - 1`.
/// `None` where TFLM's `QuantizeMultiplierGreaterThanOne` would abort (a multiplier not above
/// one: `beta * input_scale <= 2^-26` for softmax's five integer bits).
pub fn preprocess_softmax_scaling(
    beta: f64,
    input_scale: f64,
    input_integer_bits: i32,
) -> Option<(i32, i32)> {
    let max_real_multiplier = (1i64 << 31) as f64 - 1.0;
    let wanted = beta * input_scale * (1i64 << (31 - input_integer_bits).clamp(0, 62)) as f64;
    // std::min<double>(wanted, max): returns `wanted` unless max < wanted.
    let real = if max_real_multiplier < wanted {
        max_real_multiplier
    } else {
        wanted
    };
    if real.is_nan() || real <= 1.0 {
        return None;
    }
    let (q, shift) = quantize_multiplier(real);
    if shift < 0 {
        return None;
    }
    Some((q, shift))
}

/// TFLM `CheckedLog2`: `log2(x)` rounded (computed as `logf(x) * (1 / logf(2))` in float), and
/// whether `x` is within 1e-3 (in log2) of that power of two.
pub fn checked_log2(x: f32) -> (bool, i32) {
    let x_log2 = libm::logf(x) * (1.0f32 / libm::logf(2.0));
    let rounded = roundf(x_log2);
    let frac = x_log2 - rounded;
    (libm::fabsf(frac) < 1e-3, rounded as i32)
}

/// Entries of an int16 lookup table: 512 segments and the end point of the last one.
pub const LUT_I16_SIZE: usize = 513;

/// TFLM `LUTPopulate<int16_t>` (the float variant): samples `f` over the int16 input range at
/// 513 points, rounding each sample to the output scale and biasing it so that linear
/// interpolation between neighbours errs least at segment midpoints. All arithmetic in `f32`,
/// in TFLM's order.
pub fn lut_populate_i16(
    input_scale: f32,
    input_zero_point: i32,
    output_scale: f32,
    output_zero_point: i32,
    f: impl Fn(f32) -> f32,
    lut: &mut [i16; LUT_I16_SIZE],
) {
    let input_min = input_scale * (-32768i32).wrapping_sub(input_zero_point) as f32;
    let input_max = input_scale * 32767i32.wrapping_sub(input_zero_point) as f32;
    let output_min = output_scale * (-32768i32).wrapping_sub(output_zero_point) as f32;
    let output_max = output_scale * 32767i32.wrapping_sub(output_zero_point) as f32;
    const STEPS: usize = 512;
    let step = (input_max - input_min) / STEPS as f32;
    let half_step = step / 2.0;
    let output_scaling_inv = 65536.0f32 / (output_max - output_min);
    // std::min(std::max(v, -32768), 32767) in float, then a cast to int16.
    let clamp = |v: f32| -> i16 {
        let v = if v < -32768.0 { -32768.0 } else { v };
        let v = if 32767.0 < v { 32767.0 } else { v };
        v as i16
    };
    for (i, entry) in lut.iter_mut().take(STEPS).enumerate() {
        let val = f(input_min + i as f32 * step);
        let val_midpoint = f(input_min + i as f32 * step + half_step);
        let val_next = f(input_min + (i + 1) as f32 * step);
        let sample_val = roundf(val * output_scaling_inv);
        let midpoint_interp_val =
            roundf((val_next * output_scaling_inv + roundf(val * output_scaling_inv)) / 2.0);
        let midpoint_val = roundf(val_midpoint * output_scaling_inv);
        let midpoint_err = midpoint_interp_val - midpoint_val;
        let bias = roundf(midpoint_err / 2.0);
        *entry = clamp(sample_val - bias);
    }
    lut[STEPS] = clamp(roundf(f(input_max) * output_scaling_inv));
}

/// TFLM `LUTLookup(int16_t, const int16_t*)`: the table entry for the top 9 bits of `value`,
/// linearly interpolated with the low 7 bits. `entry(i)` reads table entry `i` (0..=512).
#[inline]
pub fn lut_lookup_i16(value: i16, entry: impl Fn(usize) -> i16) -> i16 {
    // value >> 7 is in -256..=255, so index is in 0..=511.
    let index = (256 + (value >> 7) as i32) as usize;
    let offset = (value & 0x7f) as i32;
    let base = entry(index);
    // The C++ stores the slope in an int16_t.
    let slope = entry(index + 1).wrapping_sub(base) as i32;
    let delta = (slope * offset + 64) >> 7;
    (base as i32).wrapping_add(delta) as i16
}

/// TFLM's `sigmoid_table_uint16`: sigmoid(i / 24) in Q0.16 for i in 0..256, shared by the
/// int16 LOGISTIC and TANH kernels (tanh(x) = 2 sigmoid(2x) - 1).
pub static SIGMOID_TABLE_U16: [u16; 256] = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794,
    41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443,
    48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374,
    54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544,
    58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279,
    61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990,
    63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030,
    64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652,
    64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019,
    65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234,
    65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476,
    65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
    65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516,
    65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529,
    65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532,
    65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];

// ---------------------------------------------------------------------------------------------
// Float exp, expm1 and tanh, bit for bit as the oracle's C library (glibc 2.27 to 2.40 on
// x86-64) computes them. TFLM's float kernels call std::exp / std::tanh on floats; the `libm`
// crate's expf and tanhf round differently on about 0.4% of inputs, so these follow glibc's
// algorithms instead (checked against glibc 2.36 on every one of the 2^32 float inputs).
// ---------------------------------------------------------------------------------------------

/// 2^(i/32) for i in 0..32 as f64 bits, less `i << 47` (so that adding `k << 47` for an integer
/// k gives 2^(k/32)): the table of glibc's expf (from Arm's optimized-routines).
const EXP2F_TABLE: [u64; 32] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];

/// Interpolates [`SIGMOID_TABLE_U16`] at `abs` read with `frac_bits` fractional bits, or
/// `saturated` past the table's end (index 255 and up, where TFLM returns its constant).
///
/// Branch-free (the index is clamped, the result selected with a mask): the LSTM's gates and
/// the LOGISTIC/TANH kernels see inputs of either sign and size in no predictable order.
#[inline(always)]
fn sigmoid_table(abs: u32, frac_bits: u32, saturated: u32) -> u32 {
    let index = abs >> frac_bits;
    let i = index.min(254) as usize;
    let ua = SIGMOID_TABLE_U16.get(i).copied().unwrap_or(0) as u32;
    let ub = SIGMOID_TABLE_U16.get(i + 1).copied().unwrap_or(0) as u32;
    let ut = abs & ((1 << frac_bits) - 1);
    let v = (ua << frac_bits).wrapping_add(ut.wrapping_mul(ub.wrapping_sub(ua)));
    select_u32(index >= 255, saturated, v)
}

/// `if c { a } else { b }` without a branch.
#[inline(always)]
fn select_u32(c: bool, a: u32, b: u32) -> u32 {
    let m = 0u32.wrapping_sub(c as u32);
    (a & m) | (b & !m)
}

/// The int16 sigmoid core of TFLM's `reference_integer_ops::Logistic` (used by LOGISTIC and
/// by the integer LSTM's gates): `v` is the input already scaled to Q3.12 (with 9 fractional
/// bits of table position); the table is interpolated in uint32, mirrored for negative
/// inputs, and rounded to Q0.15.
#[inline(always)]
pub fn sigmoid_i16_scaled(v: i32) -> i16 {
    let abs = v.unsigned_abs();
    let result = sigmoid_table(abs, 9, 0x7fff << 10);
    let pos = result.wrapping_add(1 << 9);
    let neg = (1u32 << (16 + 9))
        .wrapping_sub(result)
        .wrapping_add(1 << 9)
        .wrapping_sub(1);
    (select_u32(v >= 0, pos, neg) >> 10) as i16
}

/// The int16 tanh core of TFLM's `reference_integer_ops::Tanh`: tanh(x) = 2 sigmoid(2x) - 1,
/// the same table read with 8 fractional bits, in int32, to Q0.15.
#[inline(always)]
pub fn tanh_i16_scaled(v: i32) -> i16 {
    let abs = v.unsigned_abs();
    let result = sigmoid_table(abs, 8, 0xffff << 8) as i32;
    let pos = result
        .wrapping_sub(1 << (14 + 9))
        .wrapping_add(1 << (9 - 2));
    let neg = result
        .wrapping_neg()
        .wrapping_add(1 << (14 + 9))
        .wrapping_add(1 << (9 - 2))
        .wrapping_sub(1);
    (select_u32(v >= 0, pos as u32, neg as u32) as i32 >> (9 - 1)) as i16
}

/// `expf` as glibc computes it: `x * 32 / ln 2 = k + r`, then `2^(k/32)` from a table times a
/// cubic in `r`, all in double, rounded once to float.
///
/// glibc on a CPU with FMA (x86-64 with AVX2, as the conformance oracle runs) fuses the
/// reduction `x * 32/ln2 + shift` and `x * 32/ln2 - k`; that is reproduced exactly with a
/// software fused multiply-add. (Without FMA glibc differs on 2 of the 2^32 inputs.)
pub fn glibc_expf(x: f32) -> f32 {
    let top12 = |v: f32| v.to_bits() >> 20;
    let abstop = top12(x) & 0x7ff;
    if abstop >= top12(88.0) {
        // |x| >= 88, or NaN.
        if x == f32::NEG_INFINITY {
            return 0.0;
        }
        if abstop >= top12(f32::INFINITY) {
            return x + x;
        }
        // Above log(2^128): overflow; below log(2^-150): underflow.
        if x > f32::from_bits(0x42b1_7217) {
            return f32::INFINITY;
        }
        if x < f32::from_bits(0xc2cf_f1b4) {
            return 0.0;
        }
    }
    const N: f64 = 32.0;
    let inv_ln2_n = f64::from_bits(0x3ff7_1547_652b_82fe) * N;
    // 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
    let shift = f64::from_bits(0x4338_0000_0000_0000);
    let c0 = f64::from_bits(0x3fac_6af8_4b91_2394) / N / N / N;
    let c1 = f64::from_bits(0x3fce_bfce_50fa_c4f3) / N / N;
    let c2 = f64::from_bits(0x3fe6_2e42_ff0c_52d6) / N;
    let xd = x as f64;
    let kd_shifted = libm::fma(inv_ln2_n, xd, shift);
    let ki = kd_shifted.to_bits();
    let kd = kd_shifted - shift;
    let r = libm::fma(inv_ln2_n, xd, -kd);
    let t = EXP2F_TABLE[(ki % 32) as usize].wrapping_add(ki << 47);
    let s = f64::from_bits(t);
    let z = c0 * r + c1;
    let r2 = r * r;
    let y = c2 * r + 1.0;
    let y = z * r2 + y;
    (y * s) as f32
}

/// `expm1f` as glibc up to 2.40 computes it (fdlibm's `s_expm1f.c`, Sun Microsystems 1993,
/// "freely granted, provided that this notice is preserved"): argument reduction by ln 2 in
/// two parts, a rational approximation, and a correction term.
pub fn glibc_expm1f(x: f32) -> f32 {
    let ln2_hi = f32::from_bits(0x3f31_7180);
    let ln2_lo = f32::from_bits(0x3717_f7d1);
    let inv_ln2 = f32::from_bits(0x3fb8_aa3b);
    let q = [
        f32::from_bits(0xbd08_8889),
        f32::from_bits(0x3ad0_0d01),
        f32::from_bits(0xb8a6_70cd),
        f32::from_bits(0x3686_7e54),
        f32::from_bits(0xb457_edbb),
    ];
    let bits = x.to_bits();
    let negative = bits & 0x8000_0000 != 0;
    let hx = bits & 0x7fff_ffff;
    if hx >= 0x4195_b844 {
        // |x| >= 27 ln 2
        if hx >= 0x42b1_7218 {
            if hx > 0x7f80_0000 {
                return x + x;
            }
            if hx == 0x7f80_0000 {
                return if negative { -1.0 } else { x };
            }
            if x > f32::from_bits(0x42b1_7180) {
                return f32::INFINITY;
            }
        }
        if negative {
            return 1.0e-30f32 - 1.0;
        }
    }
    let mut x = x;
    let k: i32;
    let mut c = 0.0f32;
    if hx > 0x3eb1_7218 {
        // |x| > ln2 / 2: reduce to x - k ln2.
        let (hi, lo);
        if hx < 0x3f85_1592 {
            // and |x| < 1.5 ln2: k = +-1.
            if negative {
                hi = x + ln2_hi;
                lo = -ln2_lo;
                k = -1;
            } else {
                hi = x - ln2_hi;
                lo = ln2_lo;
                k = 1;
            }
        } else {
            k = (inv_ln2 * x + if negative { -0.5f32 } else { 0.5 }) as i32;
            let t = k as f32;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if hx < 0x3300_0000 {
        // |x| < 2^-25: expm1(x) = x.
        return x;
    } else {
        k = 0;
    }
    let hfx = 0.5f32 * x;
    let hxs = x * hfx;
    let r1 = 1.0f32 + hxs * (q[0] + hxs * (q[1] + hxs * (q[2] + hxs * (q[3] + hxs * q[4]))));
    let t = 3.0f32 - r1 * hfx;
    let mut e = hxs * ((r1 - t) / (6.0f32 - x * t));
    if k == 0 {
        return x - (x * e - hxs);
    }
    e = x * (e - c) - c;
    e -= hxs;
    if k == -1 {
        return 0.5f32 * (x - e) - 0.5;
    }
    if k == 1 {
        return if x < -0.25f32 {
            -2.0f32 * (e - (x + 0.5))
        } else {
            1.0f32 + 2.0 * (x - e)
        };
    }
    // Adds k to the exponent of y.
    let scale = |y: f32| f32::from_bits((y.to_bits() as i32).wrapping_add(k << 23) as u32);
    if k <= -2 || k > 56 {
        let y = 1.0f32 - (e - x);
        return scale(y) - 1.0;
    }
    if k < 23 {
        let t = f32::from_bits((0x3f80_0000 - (0x0100_0000 >> k)) as u32); // 1 - 2^-k
        scale(t - (e - x))
    } else {
        let t = f32::from_bits(((0x7f - k) << 23) as u32); // 2^-k
        let y = x - (e + t) + 1.0;
        scale(y)
    }
}

/// `tanhf` as glibc up to 2.40 computes it (fdlibm's `s_tanhf.c`, Sun Microsystems 1993,
/// "freely granted, provided that this notice is preserved"), through [`glibc_expm1f`].
/// (glibc 2.41 replaced it with a correctly rounded version.)
pub fn glibc_tanhf(x: f32) -> f32 {
    let jx = x.to_bits() as i32;
    let ix = jx & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        // tanh(+-inf) = +-1, tanh(NaN) = NaN.
        return if jx >= 0 {
            1.0 / x + 1.0
        } else {
            1.0 / x - 1.0
        };
    }
    let z = if ix < 0x41b0_0000 {
        // |x| < 22
        if ix == 0 {
            return x;
        }
        if ix < 0x2400_0000 {
            // |x| < 2^-55
            return x * (1.0 + x);
        }
        if ix >= 0x3f80_0000 {
            let t = glibc_expm1f(2.0 * libm::fabsf(x));
            1.0 - 2.0 / (t + 2.0)
        } else {
            let t = glibc_expm1f(-2.0 * libm::fabsf(x));
            -t / (t + 2.0)
        }
    } else {
        1.0 - 1.0e-30
    };
    if jx >= 0 {
        z
    } else {
        -z
    }
}

#[cfg(test)]
mod transcendental_tests {
    use super::*;

    fn q(v: f64, integer_bits: i32) -> i32 {
        (v * 2f64.powi(31 - integer_bits)).round() as i32
    }
    fn real(raw: i32) -> f64 {
        raw as f64 / 2f64.powi(31)
    }

    #[test]
    fn srmbpot_saturates_left_and_rounds_right() {
        assert_eq!(saturating_rounding_multiply_by_pot(3, 2), 12);
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 29, 2), i32::MAX);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 29), 2), i32::MIN);
        assert_eq!(saturating_rounding_multiply_by_pot(-5, -1), -3);
        assert_eq!(saturating_rounding_multiply_by_pot(7, 0), 7);
    }

    #[test]
    fn rounding_half_sum_rounds_away_from_zero() {
        assert_eq!(rounding_half_sum(1, 2), 2);
        assert_eq!(rounding_half_sum(-1, -2), -2);
        assert_eq!(rounding_half_sum(i32::MAX, i32::MAX), i32::MAX);
    }

    #[test]
    fn exp_on_negative_values_tracks_exp() {
        assert_eq!(exp_on_negative_values(0, 5), i32::MAX);
        for &v in &[-0.01, -0.25, -0.3, -1.0, -2.5, -7.9, -15.0] {
            let got = real(exp_on_negative_values(q(v, 5), 5));
            assert!((got - libm::exp(v)).abs() < 1e-6, "exp({v}) = {got}");
            let got4 = real(exp_on_negative_values(q(v, 4), 4));
            assert!((got4 - libm::exp(v)).abs() < 1e-6, "exp({v}) = {got4}");
        }
        // Below -32 with more than five integer bits: zero.
        assert_eq!(exp_on_negative_values(q(-40.0, 7), 7), 0);
    }

    #[test]
    fn reciprocals_track_division() {
        for &v in &[0.0, 0.1, 0.5, 0.77, 0.999] {
            let got = real(one_over_one_plus_x_for_x_in_0_1(q(v, 0)));
            assert!((got - 1.0 / (1.0 + v)).abs() < 1e-8, "1/(1+{v}) = {got}");
            let got = real(one_minus_x_over_one_plus_x_for_x_in_0_1(q(v, 0)));
            assert!((got - (1.0 - v) / (1.0 + v)).abs() < 1e-8);
        }
        // 2.5 in Q12.19: 1/2.5 = 0.4 = 0.8 / 2^1.
        let (scale, bits_over) = get_reciprocal(q(2.5, 12), 12);
        assert_eq!(bits_over, 1);
        assert!((real(scale) - 0.8).abs() < 1e-8);
    }

    #[test]
    fn logistic_and_tanh_are_symmetric_and_accurate() {
        assert_eq!(fixed_logistic(0, 4), 1 << 30);
        assert_eq!(fixed_tanh(0, 4), 0);
        for &v in &[0.1, 0.9, 2.0, 5.5, 7.9] {
            let p = fixed_logistic(q(v, 4), 4);
            let n = fixed_logistic(q(-v, 4), 4);
            assert_eq!(
                p.wrapping_add(n),
                i32::MAX,
                "logistic({v}) + logistic(-{v}) = 1"
            );
            assert!((real(p) - 1.0 / (1.0 + libm::exp(-v))).abs() < 1e-6);
            let t = fixed_tanh(q(v, 4), 4);
            assert_eq!(fixed_tanh(q(-v, 4), 4), -t);
            assert!((real(t) - libm::tanh(v)).abs() < 1e-6);
        }
    }

    #[test]
    fn softmax_scaling_matches_tflm_formulas() {
        // beta 1, scale 1/16: 2^-4 * 2^26 = 2^22 -> q = 2^30, shift 23.
        assert_eq!(
            preprocess_softmax_scaling(1.0, 0.0625, 5),
            Some((1 << 30, 23))
        );
        // Capped at 2^31 - 1.
        assert_eq!(
            preprocess_softmax_scaling(1.0, 1e6, 5),
            Some((i32::MAX, 31))
        );
        // Not above one: TFLM aborts, we decline.
        assert_eq!(preprocess_softmax_scaling(1.0, 1e-9, 5), None);
        // Radius: 31 * 2^26 / 2^23 = 248.
        assert_eq!(calculate_input_radius(5, 23, 31), 248);
        assert_eq!(calculate_input_radius(4, 31, 31), 0);
        assert_eq!(
            multiply_by_quantized_multiplier_greater_than_one(-3, 1 << 30, 2),
            -6
        );
    }

    #[test]
    fn checked_log2_recognises_powers_of_two() {
        assert_eq!(checked_log2(1.0 / 32768.0), (true, -15));
        assert_eq!(checked_log2(0.25), (true, -2));
        assert!(!checked_log2(0.3).0);
    }

    #[test]
    fn lut_interpolates_between_entries() {
        let mut lut = [0i16; LUT_I16_SIZE];
        // Identity over [-1, 1]: entries are the segment starts.
        lut_populate_i16(1.0 / 32768.0, 0, 1.0 / 32768.0, 0, |v| v, &mut lut);
        // Each entry is the sample less half the midpoint error (here at most one unit).
        assert!((lut[0] as i32 + 32768).abs() <= 1);
        assert!((lut[256] as i32).abs() <= 1);
        assert_eq!(lut[512], 32767);
        let at = |i: usize| lut[i];
        for v in [-32768i16, -1000, -1, 0, 1, 77, 12345, 32767] {
            assert!((lut_lookup_i16(v, at) as i32 - v as i32).abs() <= 2, "{v}");
        }
    }

    #[test]
    fn glibc_float_functions_match_glibc_where_libm_differs() {
        // (input bits, glibc 2.36 output bits)
        let exp_cases = [
            (0x3380_0000, 0x3f80_0001), // libm crate gives 1.0
            (0xbf80_0000, 0x3ebc_5ab2),
            (0xc020_0000, 0x3da8_1c2e),
            (0xc0e9_999a, 0x3a31_16a2),
            (0x3ebd_70a4, 0x3fb9_4f5e),
            (0x4120_0000, 0x46ac_14ee),
            (0xc2a0_0000, 0x05bf_ecba),
            (0xc2c8_0000, 0x0000_001b),
        ];
        for (x, want) in exp_cases {
            assert_eq!(
                glibc_expf(f32::from_bits(x)).to_bits(),
                want,
                "expf({x:#x})"
            );
        }
        let tanh_cases = [
            (0x3c89_5eb7, 0x3c89_5b6c), // libm crate is one ulp lower
            (0x3cd4_1185, 0x3cd4_0565),
            (0x3e99_999a, 0x3e95_26ed),
            (0x3f19_999a, 0x3f09_7c15),
            (0x3fc0_0000, 0x3f67_b7cc),
            (0xc040_0000, 0xbf7e_bbe9),
            (0x4118_0000, 0x3f80_0000),
            (0x4140_0000, 0x3f80_0000),
        ];
        for (x, want) in tanh_cases {
            assert_eq!(
                glibc_tanhf(f32::from_bits(x)).to_bits(),
                want,
                "tanhf({x:#x})"
            );
        }
        assert_eq!(glibc_expf(f32::NEG_INFINITY), 0.0);
        assert_eq!(glibc_expf(100.0), f32::INFINITY);
        assert!(glibc_expf(f32::NAN).is_nan());
        assert_eq!(glibc_tanhf(f32::INFINITY), 1.0);
        assert_eq!(glibc_tanhf(-0.0).to_bits(), (-0.0f32).to_bits());
    }
    #[test]
    fn conv_channel_multiplier_widens_before_multiplying() {
        // 0.5 * 0.25 / 0.5 = 0.25 exactly.
        assert_eq!(conv_channel_multiplier(0.5, 0.25, 0.5), (1 << 30, -1));
        // Scales whose float product rounds differently from the double product: the double
        // form is the one TFLM uses for convolutions.
        let (i, f, o) = (0.1f32, 0.3f32, 0.7f32);
        let want = quantize_multiplier(i as f64 * f as f64 / o as f64);
        assert_eq!(conv_channel_multiplier(i, f, o), want);
        assert_ne!(want, quantize_multiplier((i * f) as f64 / o as f64));
    }
    #[test]
    fn channel_requant_matches_multiply_by_quantized_multiplier() {
        let mut pairs = [
            (1 << 30, 1),
            (i32::MAX, 0),
            (1 << 30, -31),
            (1_518_500_250, -7),
            (0, 0),
            (1 << 30, 3),
            (1 << 30, 40),
            (1_073_741_825, -1),
        ]
        .to_vec();
        for i in 0..40 {
            pairs.push(quantize_multiplier(1e-6 + i as f64 * 0.037));
        }
        for &(m, s) in &pairs {
            let q = ChannelRequant::new(m, s);
            let mut x = i32::MIN as i64;
            while x <= i32::MAX as i64 {
                let xi = x as i32;
                assert_eq!(q.apply(xi), multiply_by_quantized_multiplier(xi, m, s));
                x += 1_000_003;
            }
            for xi in (-70_000..70_000).chain([i32::MIN, i32::MIN + 1, i32::MAX, i32::MAX - 1]) {
                assert_eq!(
                    q.apply(xi),
                    multiply_by_quantized_multiplier(xi, m, s),
                    "x={xi} m={m} s={s}"
                );
            }
        }
    }

    /// The branch-free sigmoid/tanh cores equal the branching form they replaced (TFLM's
    /// code shape) on every input that reaches the table and on the extremes.
    #[test]
    fn branch_free_sigmoid_tanh_match_tflm_shape() {
        fn table(abs: u32, frac_bits: u32) -> Option<u32> {
            let index = (abs >> frac_bits) as usize;
            if index >= 255 {
                return None;
            }
            let ua = SIGMOID_TABLE_U16[index] as u32;
            let ub = SIGMOID_TABLE_U16[index + 1] as u32;
            let ut = abs & ((1 << frac_bits) - 1);
            Some((ua << frac_bits).wrapping_add(ut.wrapping_mul(ub.wrapping_sub(ua))))
        }
        fn sigmoid(v: i32) -> i16 {
            let result = table(v.unsigned_abs(), 9).unwrap_or(0x7fff << 10);
            let result = if v >= 0 {
                result.wrapping_add(1 << 9)
            } else {
                (1u32 << 25)
                    .wrapping_sub(result)
                    .wrapping_add(1 << 9)
                    .wrapping_sub(1)
            };
            (result >> 10) as i16
        }
        fn tanh(v: i32) -> i16 {
            let result = table(v.unsigned_abs(), 8).unwrap_or(0xffff << 8) as i32;
            let result = if v >= 0 {
                result.wrapping_sub(1 << 23).wrapping_add(1 << 7)
            } else {
                result
                    .wrapping_neg()
                    .wrapping_add(1 << 23)
                    .wrapping_add(1 << 7)
                    .wrapping_sub(1)
            };
            (result >> 8) as i16
        }
        let extremes = [
            i32::MIN,
            i32::MIN + 1,
            i32::MAX,
            i32::MAX - 1,
            1 << 30,
            -(1 << 30),
        ];
        for v in (-(1 << 18)..(1 << 18)).chain(extremes) {
            assert_eq!(sigmoid_i16_scaled(v), sigmoid(v), "sigmoid {v}");
            assert_eq!(tanh_i16_scaled(v), tanh(v), "tanh {v}");
        }
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

    /// The bit-level quantize_multiplier equals TFLM's frexp-and-round form on positive,
    /// negative, tiny, huge, subnormal and special inputs, and on values whose rounding carries
    /// into the next power of two.
    #[test]
    fn quantize_multiplier_bits_match_the_general_form() {
        let mut x = 0x243F_6A88_85A3_08D3u64;
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            0.5,
            1.0 - 1e-12,
            0.999_999_999_9,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 4.0,
            f64::MAX,
            f64::INFINITY,
            -1.5,
            f64::NAN,
            2.0f64.powi(-31),
            2.0f64.powi(-32) * 0.75,
            (2.0f64.powi(31) - 0.5) / 2.0f64.powi(31),
        ];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x));
            // Realistic multipliers: products of scales over a scale.
            let s = (x >> 11) as f64 / (1u64 << 53) as f64;
            values.push(s * 1e-3 / 0.07);
        }
        for m in values {
            let (a, b) = (quantize_multiplier(m), quantize_multiplier_general(m));
            assert_eq!(a, b, "m={m:e} bits={:#x}", m.to_bits());
        }
    }
}
