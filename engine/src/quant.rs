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
}
