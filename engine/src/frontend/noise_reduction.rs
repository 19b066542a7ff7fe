//! Stage 4: stationary noise reduction (TFLM `noise_reduction.c`, `noise_reduction_util.c`).
//!
//! Each channel keeps a running estimate of its noise floor, a first-order low-pass of the
//! signal (scaled up by `smoothing_bits` for precision) with a Q14 rate that differs between
//! even and odd channels. The estimate is subtracted from the signal, leaving at least
//! `min_signal_remaining` of it. PCAN then reads the same estimates.

use super::{FrontendError, Result, MAX_CHANNELS};

/// Fractional bits of the smoothing rates (`kNoiseReductionBits`).
pub const NOISE_REDUCTION_BITS: u32 = 14;

/// Rates in Q14 and the per-channel noise estimates.
#[derive(Clone)]
pub struct NoiseReduction {
    smoothing_bits: u32,
    even_smoothing: u16,
    odd_smoothing: u16,
    min_signal_remaining: u16,
    num_channels: usize,
    estimate: [u32; MAX_CHANNELS],
}

/// A fraction in [0, 1] to Q14, truncated as C's float-to-`uint16_t` conversion does.
fn to_q14(x: f32, what: &'static str) -> Result<u16> {
    if !(0.0..=1.0).contains(&x) {
        return Err(FrontendError::invalid(what));
    }
    Ok((x * (1 << NOISE_REDUCTION_BITS) as f32) as u16)
}

impl NoiseReduction {
    /// Unconfigured.
    pub const EMPTY: NoiseReduction = NoiseReduction {
        smoothing_bits: 0,
        even_smoothing: 0,
        odd_smoothing: 0,
        min_signal_remaining: 0,
        num_channels: 0,
        estimate: [0; MAX_CHANNELS],
    };

    /// `NoiseReductionPopulateState`.
    pub fn configure(
        &mut self,
        num_channels: usize,
        smoothing_bits: u32,
        even_smoothing: f32,
        odd_smoothing: f32,
        min_signal_remaining: f32,
    ) -> Result<()> {
        if num_channels > MAX_CHANNELS {
            return Err(FrontendError::TooLarge {
                what: "noise reduction channels",
                needed: num_channels,
                max: MAX_CHANNELS,
            });
        }
        // The signal is shifted left by smoothing_bits in a u32.
        if smoothing_bits >= 32 {
            return Err(FrontendError::invalid("smoothing_bits must be below 32"));
        }
        self.even_smoothing = to_q14(even_smoothing, "even_smoothing must be in [0, 1]")?;
        self.odd_smoothing = to_q14(odd_smoothing, "odd_smoothing must be in [0, 1]")?;
        self.min_signal_remaining = to_q14(
            min_signal_remaining,
            "min_signal_remaining must be in [0, 1]",
        )?;
        self.smoothing_bits = smoothing_bits;
        self.num_channels = num_channels;
        self.reset();
        Ok(())
    }

    /// Zeroes the noise estimates (`NoiseReductionReset`).
    pub fn reset(&mut self) {
        self.estimate = [0; MAX_CHANNELS];
    }

    /// The current noise estimates, scaled up by `2^smoothing_bits`.
    pub fn estimate(&self) -> &[u32] {
        self.estimate.get(..self.num_channels).unwrap_or(&[])
    }

    /// `NoiseReductionApply`, in place.
    pub fn apply(&mut self, signal: &mut [u32]) {
        let bits = self.smoothing_bits;
        let estimates = self.estimate.iter_mut().take(self.num_channels);
        for (i, (s, e)) in signal.iter_mut().zip(estimates).enumerate() {
            let smoothing = u32::from(if i % 2 == 0 {
                self.even_smoothing
            } else {
                self.odd_smoothing
            });
            let one_minus_smoothing = (1 << NOISE_REDUCTION_BITS) - smoothing;
            // As TFLM: the scaled signal wraps in u32; the update is a u64 sum shifted down
            // and truncated to u32.
            let scaled = *s << bits;
            let updated = ((u64::from(scaled) * u64::from(smoothing)
                + u64::from(*e) * u64::from(one_minus_smoothing))
                >> NOISE_REDUCTION_BITS) as u32;
            *e = updated;
            let noise = updated.min(scaled);
            let floor = ((u64::from(*s) * u64::from(self.min_signal_remaining))
                >> NOISE_REDUCTION_BITS) as u32;
            let subtracted = (scaled - noise) >> bits;
            *s = subtracted.max(floor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micro_wakeword(channels: usize) -> NoiseReduction {
        let mut nr = NoiseReduction::EMPTY;
        nr.configure(channels, 10, 0.025, 0.06, 0.05).unwrap();
        nr
    }

    #[test]
    fn q14_rates_truncate() {
        let nr = micro_wakeword(4);
        // 0.025 * 16384 = 409.6, 0.06 * 16384 = 983.04, 0.05 * 16384 = 819.2
        assert_eq!(
            (nr.even_smoothing, nr.odd_smoothing, nr.min_signal_remaining),
            (409, 983, 819)
        );
    }

    #[test]
    fn first_frames_by_hand() {
        let mut nr = micro_wakeword(2);
        let mut s = [1000u32, 1000];
        nr.apply(&mut s);
        // scaled = 1024000; even: 1024000 * 409 >> 14 = 25562; odd: * 983 >> 14 = 61437.
        assert_eq!(nr.estimate(), &[25_562, 61_437]);
        // (1024000 - 25562) >> 10 = 975; (1024000 - 61437) >> 10 = 940.
        assert_eq!(s, [975, 940]);
        let mut s = [1000u32, 0];
        nr.apply(&mut s);
        // even: (1024000*409 + 25562*15975) >> 14 = 50486;
        // odd: 61437 * 15401 >> 14 = 57750, above the zero signal: output floor 0.
        assert_eq!(nr.estimate(), &[50_486, 57_750]);
        assert_eq!(s, [950, 0]);
    }

    #[test]
    fn floor_keeps_a_fraction_of_the_signal() {
        let mut nr = micro_wakeword(1);
        nr.estimate[0] = u32::MAX;
        let mut s = [100_000u32];
        nr.apply(&mut s);
        // Everything is "noise": the output is the 5% floor, 100000 * 819 >> 14 = 4998.
        assert_eq!(s, [4998]);
    }

    #[test]
    fn rejects_out_of_range_rates() {
        let mut nr = NoiseReduction::EMPTY;
        assert!(nr.configure(40, 32, 0.1, 0.1, 0.1).is_err());
        assert!(nr.configure(40, 10, -0.1, 0.1, 0.1).is_err());
        assert!(nr.configure(40, 10, 0.1, f32::NAN, 0.1).is_err());
        assert!(nr.configure(40, 10, 0.1, 0.1, 1.1).is_err());
        assert!(nr.configure(MAX_CHANNELS + 1, 10, 0.1, 0.1, 0.1).is_err());
        assert!(nr.configure(40, 10, 1.0, 0.0, 1.0).is_ok());
    }
}
