//! Stage 5: PCAN, per-channel energy normalisation (TFLM `pcan_gain_control.c`,
//! `pcan_gain_control_util.c`; Wang et al., "Trainable frontend for robust and far-field
//! keyword spotting", 2017).
//!
//! Each channel is multiplied by a gain `2^gain_bits / (noise + offset)^strength`, the noise
//! being the noise reduction stage's estimate, then compressed. The gain function is not
//! evaluated per frame: at configuration it is sampled at three points per power of two of the
//! estimate (`x0 = 2^(k-1)`, `1.5 x0`, `2 x0`) and stored as quadratic-interpolation
//! coefficients, which [`wide_dynamic_function`] evaluates in integer arithmetic.

use super::{msb32, FrontendError, Result};

/// Fractional bits of the signal-to-noise ratio (`kPcanSnrBits`).
pub const PCAN_SNR_BITS: u32 = 12;
/// Fractional bits of the compressed output (`kPcanOutputBits`).
pub const PCAN_OUTPUT_BITS: u32 = 6;
/// Powers of two the gain table covers (`kWideDynamicFunctionBits`).
const WDF_BITS: usize = 32;
/// Gain table length (`kWideDynamicFunctionLUTSize`): values at 0 and 1, then four slots (y0,
/// a1, a2, unused) for each power of two from 2 to 32, starting at index 2.
pub const LUT_SIZE: usize = 4 * WDF_BITS - 3;

/// Gain table and the shift that brings `signal * gain` to the SNR's fixed point.
#[derive(Clone)]
pub struct Pcan {
    enabled: bool,
    snr_shift: u32,
    gain_lut: [i16; LUT_SIZE],
}

/// The gain function in f32 (`PcanGainLookupFunction`): `x` is a noise estimate with
/// `input_bits` fractional bits; the result is in Q`gain_bits`, saturated to 32767 and
/// otherwise rounded by adding 0.5 and truncating.
fn gain_lookup(strength: f32, offset: f32, gain_bits: u32, input_bits: u32, x: u32) -> i16 {
    let x = x as f32 / (1u32 << input_bits) as f32;
    let gain = (1u32 << gain_bits) as f32 * powf(x + offset, -strength);
    if gain > 32767.0 {
        return 32767;
    }
    (gain + 0.5) as i16
}

/// `powf` as glibc's computes it for these arguments: glibc's `powf` evaluates in double
/// precision and rounds once, so `pow` in f64 rounded to f32 agrees with it, where `libm`'s
/// single-precision `powf` (FreeBSD's) differs in the last bit for about one argument in ten.
fn powf(x: f32, y: f32) -> f32 {
    libm::pow(f64::from(x), f64::from(y)) as f32
}

impl Pcan {
    /// Unconfigured (and disabled).
    pub const EMPTY: Pcan = Pcan {
        enabled: false,
        snr_shift: 0,
        gain_lut: [0; LUT_SIZE],
    };

    /// `PcanGainControlPopulateState`. `smoothing_bits` is the noise reduction's (its
    /// estimates are the input), `correction_bits` the frontend's input correction.
    pub fn configure(
        &mut self,
        enabled: bool,
        strength: f32,
        offset: f32,
        gain_bits: u32,
        smoothing_bits: u32,
        correction_bits: i32,
    ) -> Result<()> {
        *self = Pcan::EMPTY;
        if !enabled {
            return Ok(());
        }
        if !(strength.is_finite() && offset.is_finite() && offset >= 0.0) {
            return Err(FrontendError::invalid(
                "PCAN strength must be finite and offset finite and non-negative",
            ));
        }
        if gain_bits >= 32 {
            return Err(FrontendError::invalid("PCAN gain_bits must be below 32"));
        }
        let snr_shift = gain_bits as i32 - correction_bits - PCAN_SNR_BITS as i32;
        let input_bits = smoothing_bits as i32 - correction_bits;
        if !(0..64).contains(&snr_shift) {
            return Err(FrontendError::invalid(
                "PCAN gain_bits out of range for this FFT size (negative SNR shift)",
            ));
        }
        if !(0..32).contains(&input_bits) {
            return Err(FrontendError::invalid(
                "smoothing_bits out of range for PCAN at this FFT size",
            ));
        }
        let input_bits = input_bits as u32;
        let f = |x: u32| gain_lookup(strength, offset, gain_bits, input_bits, x);
        let lut = &mut self.gain_lut;
        lut[0] = f(0);
        lut[1] = f(1);
        // Interval k covers [2^(k-1), 2^k): samples at x0, 1.5 x0 and 2 x0 (2^32 - 1 for the
        // last), giving y(t) = y0 + a1 t + a2 t^2 over t in [0, 1) through the three points.
        for (interval, slots) in (2..=WDF_BITS).zip(lut[2..].chunks_mut(4)) {
            let x0 = 1u32 << (interval - 1);
            let x1 = x0 + (x0 >> 1);
            let x2 = if interval == WDF_BITS {
                x0 + (x0 - 1)
            } else {
                2 * x0
            };
            let (y0, y1, y2) = (f(x0), f(x1), f(x2));
            let diff1 = y1 as i32 - y0 as i32;
            let diff2 = y2 as i32 - y0 as i32;
            let a1 = 4 * diff1 - diff2;
            let a2 = diff2 - a1;
            for (slot, value) in slots.iter_mut().zip([y0, a1 as i16, a2 as i16]) {
                *slot = value;
            }
        }
        self.enabled = true;
        self.snr_shift = snr_shift as u32;
        Ok(())
    }

    /// The gain table (for tests and inspection).
    pub fn gain_lut(&self) -> &[i16; LUT_SIZE] {
        &self.gain_lut
    }

    /// `PcanGainControlApply`, in place, if enabled; `noise` holds the noise reduction's
    /// estimates for the same channels.
    pub fn apply(&self, signal: &mut [u32], noise: &[u32]) {
        if !self.enabled {
            return;
        }
        for (s, &n) in signal.iter_mut().zip(noise) {
            // The i16 gain widens to u32 with sign extension, as the C's conversion does.
            let gain = wide_dynamic_function(n, &self.gain_lut) as i32 as u32;
            let snr = ((u64::from(*s) * u64::from(gain)) >> self.snr_shift) as u32;
            *s = pcan_shrink(snr);
        }
    }
}

/// `WideDynamicFunction`: the gain for noise estimate `x` from the table, by quadratic
/// interpolation inside `x`'s power of two with a 10-bit position, in i32 with TFLM's shifts
/// and rounding.
pub fn wide_dynamic_function(x: u32, lut: &[i16; LUT_SIZE]) -> i16 {
    if x <= 2 {
        return lut[x as usize];
    }
    let interval = msb32(x); // 2..=32
    let base = 4 * interval as usize - 6; // at most 122: base + 2 < LUT_SIZE
    let frac = (if interval < 11 {
        x << (11 - interval)
    } else {
        x >> (interval - 11)
    } & 0x3FF) as i32;
    let (y0, a1, a2) = (lut[base] as i32, lut[base + 1] as i32, lut[base + 2] as i32);
    let mut result = (a2 * frac) >> 5;
    result = result.wrapping_add(a1.wrapping_shl(5));
    result = result.wrapping_mul(frac);
    result = result.wrapping_add(1 << 14) >> 15;
    result = result.wrapping_add(y0);
    result as i16
}

/// `PcanShrink`: squares small SNRs (soft knee below 2.0) and is linear (minus 1.0) above, in
/// Q6.
pub fn pcan_shrink(x: u32) -> u32 {
    if x < (2 << PCAN_SNR_BITS) {
        (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS)
    } else {
        (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1 << PCAN_OUTPUT_BITS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micro_wakeword() -> Pcan {
        let mut p = Pcan::EMPTY;
        p.configure(true, 0.95, 80.0, 21, 10, 3).unwrap();
        p
    }

    #[test]
    fn shrink_by_hand() {
        assert_eq!(pcan_shrink(0), 0);
        // 1.0 in Q12 -> 1.0^2 / 4 = 0.25 in Q6 = 16.
        assert_eq!(pcan_shrink(4096), 16);
        assert_eq!(pcan_shrink(8191), (8191 * 8191) >> 20);
        // 2.0 -> 2.0 - 1.0 = 1.0 in Q6; continuous with the square branch (2^2/4 = 1).
        assert_eq!(pcan_shrink(8192), 64);
        assert_eq!(pcan_shrink(4096 * 10), 9 * 64);
    }

    #[test]
    fn gain_table_by_hand() {
        let p = micro_wakeword();
        assert_eq!(p.snr_shift, 6);
        // input_bits = 10 - 3 = 7. f(0) = 2^21 * 80^-0.95 = 32532.4 -> 32532.
        let f0 = (2f64.powi(21) * 80f64.powf(-0.95) + 0.5) as i16;
        assert_eq!(p.gain_lut[0], f0);
        // Small estimates sit on the table's exact samples.
        for x in [0u32, 1, 2] {
            let expect = (2f64.powi(21) * (x as f64 / 128.0 + 80.0).powf(-0.95) + 0.5) as i16;
            assert_eq!(wide_dynamic_function(x, &p.gain_lut), expect, "{x}");
        }
        // At x0 of each interval the interpolation returns y0 exactly.
        for k in 2..=32u32 {
            let x0 = 1u32 << (k - 1);
            assert_eq!(
                wide_dynamic_function(x0, &p.gain_lut),
                p.gain_lut[4 * k as usize - 6],
                "{k}"
            );
        }
        // Elsewhere it stays within a couple of units of the function.
        for x in [3u32, 100, 777, 5000, 123_456, 9_999_999, 3_000_000_000] {
            let exact = 2f64.powi(21) * (x as f64 / 128.0 + 80.0).powf(-0.95);
            let got = wide_dynamic_function(x, &p.gain_lut) as f64;
            assert!(
                (got - exact).abs() <= 2.0 + exact * 0.01,
                "{x}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn apply_by_hand() {
        let p = micro_wakeword();
        let g = wide_dynamic_function(0, p.gain_lut()) as u64;
        let mut s = [100u32, 5000];
        p.apply(&mut s, &[0, 0]);
        let snr = |v: u64| ((v * g) >> 6) as u32;
        assert_eq!(s, [pcan_shrink(snr(100)), pcan_shrink(snr(5000))]);
        // Disabled: untouched.
        let mut off = Pcan::EMPTY;
        off.configure(false, 0.0, 0.0, 99, 99, 0).unwrap();
        let mut s = [100u32, 5000];
        off.apply(&mut s, &[0, 0]);
        assert_eq!(s, [100, 5000]);
    }

    #[test]
    fn rejects_shifts_out_of_range() {
        let mut p = Pcan::EMPTY;
        assert!(p.configure(true, 0.95, 80.0, 32, 10, 3).is_err());
        assert!(p.configure(true, 0.95, 80.0, 10, 10, 3).is_err()); // snr shift -5
        assert!(p.configure(true, 0.95, 80.0, 21, 40, 3).is_err());
        assert!(p.configure(true, 0.95, -1.0, 21, 10, 3).is_err());
        assert!(p.configure(true, f32::NAN, 80.0, 21, 10, 3).is_err());
        assert!(p.configure(true, 1.0, 0.0, 21, 10, -4).is_ok());
    }
}
