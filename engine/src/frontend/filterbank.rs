//! Stage 3: the mel filterbank (TFLM `filterbank.c`, `filterbank_util.c`).
//!
//! Channel edges are equally spaced on the mel scale (`1127 ln(1 + f / 700)`). Each FFT bin
//! between two consecutive centres belongs to one channel; its power (squared magnitude) is
//! added to the channel above with weight `w` and to the channel below with `1 - w`, both in
//! Q12. TFLM's layout pads each channel's weights to blocks of four (with zero weights) for
//! SIMD; zero weights add nothing to the unsigned 64-bit sums, which wrap and are therefore
//! order-independent, so here each bin simply carries its own weight pair. The channel sums
//! then go through TFLM's integer square root and are shifted back down by the FFT's input
//! scaling.

use super::fft::Complex16;
use super::{FrontendError, Result, MAX_CHANNELS, MAX_SPECTRUM};

/// Fractional bits of the channel weights (`kFilterbankBits`).
pub const FILTERBANK_BITS: u32 = 12;

/// Channel boundaries and per-bin weights.
#[derive(Clone)]
pub struct Filterbank {
    num_channels: usize,
    /// First FFT bin of each of the `num_channels + 1` channels, and the end of the last:
    /// channel `c` (TFLM's channel index, where channel 0 only feeds output 0 from below)
    /// covers bins `bounds[c]..bounds[c + 1]`.
    bounds: [u16; MAX_CHANNELS + 2],
    /// Per bin: weight toward its own channel, Q12.
    weights: [i16; MAX_SPECTRUM],
    /// Per bin: weight toward the next channel (`1 - weight`), Q12.
    unweights: [i16; MAX_SPECTRUM],
    /// The weighted sums, channel by channel (TFLM's `work`).
    work: [u64; MAX_CHANNELS + 1],
}

/// `FreqToMel`, in f32 with `log1pf` as TFLM computes it.
fn freq_to_mel(freq: f32) -> f32 {
    1127.0 * libm::log1pf(freq / 700.0)
}

/// `QuantizeFilterbankWeights`: Q12 with `floor(x + 0.5)`.
fn quantize(weight: f32) -> (i16, i16) {
    let scale = (1 << FILTERBANK_BITS) as f32;
    (
        libm::floorf(weight * scale + 0.5) as i16,
        libm::floorf((1.0 - weight) * scale + 0.5) as i16,
    )
}

impl Filterbank {
    /// Unconfigured.
    pub const EMPTY: Filterbank = Filterbank {
        num_channels: 0,
        bounds: [0; MAX_CHANNELS + 2],
        weights: [0; MAX_SPECTRUM],
        unweights: [0; MAX_SPECTRUM],
        work: [0; MAX_CHANNELS + 1],
    };

    /// `FilterbankPopulateState` for `num_channels` channels over
    /// `lower_band_limit..upper_band_limit` Hz and a spectrum of `spectrum_size` bins.
    pub fn configure(
        &mut self,
        num_channels: u32,
        lower_band_limit: f32,
        upper_band_limit: f32,
        sample_rate: u32,
        spectrum_size: usize,
    ) -> Result<()> {
        let channels = num_channels as usize;
        if channels == 0 {
            return Err(FrontendError::invalid("no filterbank channels"));
        }
        if channels > MAX_CHANNELS {
            return Err(FrontendError::TooLarge {
                what: "filterbank channels",
                needed: channels,
                max: MAX_CHANNELS,
            });
        }
        if !(2..=MAX_SPECTRUM).contains(&spectrum_size) {
            return Err(FrontendError::invalid("spectrum size out of range"));
        }
        if sample_rate == 0 {
            return Err(FrontendError::invalid("sample rate is zero"));
        }
        // TFLM asserts these (and with NaNs the bin search below would not end in C).
        if !(lower_band_limit.is_finite() && lower_band_limit >= 0.0) {
            return Err(FrontendError::invalid("lower band limit below 0 Hz"));
        }
        if !(upper_band_limit.is_finite() && upper_band_limit > lower_band_limit) {
            return Err(FrontendError::invalid(
                "upper band limit not above the lower band limit",
            ));
        }

        // CalculateCenterFrequencies, for num_channels + 1 channels: centres equally spaced
        // in mel from mel(lower) (exclusive) to mel(upper) (inclusive), all in f32.
        let mel_low = freq_to_mel(lower_band_limit);
        let mel_high = freq_to_mel(upper_band_limit);
        let mel_spacing = (mel_high - mel_low) / ((channels + 1) as f32);
        let center = |chan: usize| mel_low + mel_spacing * ((chan + 1) as f32);

        // The DC bin is always excluded; the first bin is the one nearest above the lower
        // limit (1.5 + f / hz_per_bin, truncated as C's float-to-int conversion does).
        let hz_per_bin = 0.5 * sample_rate as f32 / (spectrum_size as f32 - 1.0);
        let start = 1.5 + lower_band_limit / hz_per_bin;
        // Finite: the limit is finite and hz_per_bin positive.
        if start >= spectrum_size as f32 {
            return Err(FrontendError::invalid(
                "lower band limit at or above the Nyquist frequency",
            ));
        }
        let start = start as usize;

        // Channel boundaries: each channel takes bins while mel(bin) <= its centre. TFLM lets
        // the search run past the spectrum and rejects the configuration afterwards
        // (end_index >= spectrum_size); stopping at the spectrum's end is the same verdict.
        self.num_channels = channels;
        self.bounds = [0; MAX_CHANNELS + 2];
        self.weights = [0; MAX_SPECTRUM];
        self.unweights = [0; MAX_SPECTRUM];
        let mut bin = start;
        for chan in 0..=channels {
            let first = bin;
            let c = center(chan);
            // Weights: (centre - mel(bin)) / (centre - previous centre), the previous centre
            // of channel 0 being mel(lower).
            let previous = if chan == 0 { mel_low } else { center(chan - 1) };
            while freq_to_mel(bin as f32 * hz_per_bin) <= c {
                if bin + 1 >= spectrum_size {
                    return Err(FrontendError::invalid(
                        "upper band limit at or above the Nyquist frequency",
                    ));
                }
                let weight = (c - freq_to_mel(bin as f32 * hz_per_bin)) / (c - previous);
                let (w, u) = quantize(weight);
                if let (Some(wt), Some(uw)) =
                    (self.weights.get_mut(bin), self.unweights.get_mut(bin))
                {
                    *wt = w;
                    *uw = u;
                }
                bin += 1;
            }
            if let Some(b) = self.bounds.get_mut(chan) {
                *b = first as u16;
            }
        }
        if let Some(b) = self.bounds.get_mut(channels + 1) {
            *b = bin as u16;
        }
        self.work = [0; MAX_CHANNELS + 1];
        Ok(())
    }

    /// Number of output channels.
    pub fn num_channels(&self) -> usize {
        self.num_channels
    }

    /// FFT bins used: `start..end` (TFLM's `start_index`, `end_index`).
    pub fn bin_range(&self) -> (usize, usize) {
        (
            self.bounds[0] as usize,
            self.bounds.get(self.num_channels + 1).copied().unwrap_or(0) as usize,
        )
    }

    /// `FilterbankConvertFftComplexToEnergy`, `FilterbankAccumulateChannels` and
    /// `FilterbankSqrt`: writes `num_channels` values to `output` (which must be that long).
    pub fn apply(&mut self, spectrum: &[Complex16], scale_down_shift: u32, output: &mut [u32]) {
        let channels = self.num_channels;
        let (Some(bounds), Some(work)) = (
            self.bounds.get(..channels + 2),
            self.work.get_mut(..channels + 1),
        ) else {
            return;
        };
        // Energy as TFLM forms it: re^2 + im^2 in i32 (2 * 32768^2 wraps to i32::MIN), read
        // back as i32 and widened to u64 with sign extension; weights likewise widened; the
        // products and sums wrap modulo 2^64.
        let mut weight_sum: u64 = 0;
        let mut unweight_sum: u64 = 0;
        for (chan, w) in work.iter_mut().enumerate() {
            let (from, to) = (bounds[chan] as usize, bounds[chan + 1] as usize);
            let bins = spectrum.get(from..to).unwrap_or(&[]);
            let weights = self.weights.get(from..to).unwrap_or(&[]);
            let unweights = self.unweights.get(from..to).unwrap_or(&[]);
            for ((z, &wt), &uw) in bins.iter().zip(weights).zip(unweights) {
                let (re, im) = (z.re as i32, z.im as i32);
                let energy = (re * re).wrapping_add(im * im) as i64 as u64;
                weight_sum = weight_sum.wrapping_add((wt as i64 as u64).wrapping_mul(energy));
                unweight_sum = unweight_sum.wrapping_add((uw as i64 as u64).wrapping_mul(energy));
            }
            *w = weight_sum;
            weight_sum = unweight_sum;
            unweight_sum = 0;
        }
        // Output c is channel c + 1's weighted sum plus channel c's unweighted remainder.
        for (out, &sum) in output.iter_mut().zip(work.iter().skip(1)) {
            *out = sqrt64(sum) >> scale_down_shift.min(31);
        }
    }
}

/// TFLM's `Sqrt32`: the integer square root, rounded up when the remainder exceeds the root
/// (unless the root is already 0xFFFF).
///
/// TFLM finds the root digit by digit; the remainder it is left with is `num - floor_sqrt²`.
/// `isqrt` gives the same floor root in a few operations and the same remainder test gives the
/// same rounding (checked against the digit-by-digit form in the tests).
pub fn sqrt32(num: u32) -> u32 {
    let root = num.isqrt();
    let rest = num - root * root;
    if rest > root && root != 0xFFFF {
        root + 1
    } else {
        root
    }
}

/// TFLM's `Sqrt64`: [`sqrt32`] when the value fits in 32 bits (TFLM's shortcut, kept for
/// bit-exactness: its rounding cap differs), otherwise the same rounded root on 64 bits,
/// truncated to `u32`.
pub fn sqrt64(num: u64) -> u32 {
    if num >> 32 == 0 {
        return sqrt32(num as u32);
    }
    let root = num.isqrt();
    let rest = num - root * root;
    (if rest > root && root != 0xFFFF_FFFF {
        root + 1
    } else {
        root
    }) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TFLM's digit-by-digit `Sqrt64` (and `Sqrt32` below 2^32), kept as the reference the
    /// `isqrt` form must equal everywhere.
    fn digit_by_digit(num: u64) -> u32 {
        if num == 0 {
            return 0;
        }
        let small = num >> 32 == 0;
        let (width, cap) = if small {
            (32, 0xFFFF)
        } else {
            (64, 0xFFFF_FFFF)
        };
        let mut num = num;
        let mut res: u64 = 0;
        let msb = if small {
            32 - (num as u32).leading_zeros()
        } else {
            64 - num.leading_zeros()
        };
        let max_bit_number = (width - msb) | 1;
        let mut bit: u64 = 1 << (width - 1 - max_bit_number);
        let mut iterations = (width - 1 - max_bit_number) / 2 + 1;
        while iterations > 0 {
            iterations -= 1;
            if num >= res + bit {
                num -= res + bit;
                res = (res >> 1) + bit;
            } else {
                res >>= 1;
            }
            bit >>= 2;
        }
        if num > res && res != cap {
            res += 1;
        }
        res as u32
    }

    #[test]
    fn isqrt_rounding_equals_tflms_digit_by_digit_root() {
        let mut values: Vec<u64> = (0..70_000).collect();
        for r in [1u64, 2, 255, 256, 65_535, 65_536, 1 << 20, 4_294_967_295] {
            for d in 0..3 {
                values.extend([
                    r * r - d.min(r * r),
                    r * r + r - d,
                    (r * r + r).saturating_add(d),
                ]);
            }
        }
        values.extend([u32::MAX as u64 - 1, u32::MAX as u64, 1 << 32, (1 << 32) + 1]);
        values.extend([u64::MAX, u64::MAX - 1, u64::MAX >> 1]);
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
        }
        for v in values {
            assert_eq!(sqrt64(v), digit_by_digit(v), "{v}");
        }
    }

    #[test]
    fn integer_square_roots_round_to_nearest() {
        assert_eq!(sqrt32(0), 0);
        assert_eq!(sqrt32(1), 1);
        assert_eq!(sqrt32(2), 1);
        assert_eq!(sqrt32(3), 2); // remainder 2 > root 1
        assert_eq!(sqrt32(16), 4);
        assert_eq!(sqrt32(20), 4);
        assert_eq!(sqrt32(21), 5);
        assert_eq!(sqrt32(u32::MAX), 0xFFFF); // not rounded past 16 bits
        assert_eq!(sqrt64(1 << 32), 1 << 16);
        assert_eq!(sqrt64((1 << 40) + (1 << 20) + 1), (1 << 20) + 1);
        assert_eq!(sqrt64(u64::MAX), 0xFFFF_FFFF);
        for x in [
            5u64,
            99,
            12345,
            1 << 31,
            4_000_000_000,
            1 << 50,
            987_654_321_012,
        ] {
            let r = sqrt64(x) as f64;
            assert!((r - (x as f64).sqrt()).abs() <= 0.5 + 1e-9, "{x}");
        }
    }

    #[test]
    fn micro_wakeword_channel_layout() {
        let mut fb = Filterbank::EMPTY;
        fb.configure(40, 125.0, 7500.0, 16000, 257).unwrap();
        // 16000 / 2 / 256 = 31.25 Hz per bin: 125 Hz is bin 4, first used bin 1.5 + 4 -> 5.
        // The top edge 7500 Hz is bin 240: bins 5..241.
        assert_eq!(fb.bin_range(), (5, 241));
        // Weights of a bin toward its two channels sum to one (within rounding).
        for bin in 5..241 {
            let s = fb.weights[bin] as i32 + fb.unweights[bin] as i32;
            assert!((4095..=4097).contains(&s), "{bin}");
        }
        // Channels get wider with frequency.
        let widths: Vec<u16> = fb.bounds[..42].windows(2).map(|w| w[1] - w[0]).collect();
        assert!(widths[1] <= widths[40]);
        assert_eq!(widths.iter().map(|&w| w as usize).sum::<usize>(), 236);
    }

    #[test]
    fn accumulates_weighted_energy_by_hand() {
        let mut fb = Filterbank::EMPTY;
        fb.num_channels = 2;
        // TFLM channels 0, 1, 2 over bins 1..2, 2..4, 4..5.
        fb.bounds[..4].copy_from_slice(&[1, 2, 4, 5]);
        fb.weights[1..5].copy_from_slice(&[1024, 4096, 2048, 3072]);
        fb.unweights[1..5].copy_from_slice(&[3072, 0, 2048, 1024]);
        let spectrum = [
            Complex16 { re: 9, im: 9 },
            Complex16 { re: 3, im: 4 },  // energy 25
            Complex16 { re: 0, im: 10 }, // 100
            Complex16 { re: 6, im: 8 },  // 100
            Complex16 { re: 2, im: 0 },  // 4
        ];
        let mut out = [0u32; 2];
        fb.apply(&spectrum, 0, &mut out);
        // work[0] = 1024*25; work[1] = 3072*25 + 4096*100 + 2048*100 = 691200;
        // work[2] = 0*100 + 2048*100 + 3072*4 = 217088.
        assert_eq!(fb.work[..3], [25_600, 691_200, 217_088]);
        assert_eq!(out, [sqrt64(691_200), sqrt64(217_088)]);
        assert_eq!(out, [831, 466]);
        fb.apply(&spectrum, 2, &mut out);
        assert_eq!(out, [207, 116]);
    }

    #[test]
    fn most_negative_energy_wraps_as_in_c() {
        let mut fb = Filterbank::EMPTY;
        fb.num_channels = 1;
        fb.bounds[..3].copy_from_slice(&[0, 1, 1]);
        fb.weights[0] = 1;
        fb.unweights[0] = 0;
        let spectrum = [Complex16 {
            re: i16::MIN,
            im: i16::MIN,
        }];
        let mut out = [0u32; 1];
        fb.apply(&spectrum, 0, &mut out);
        // 2^31 wraps to i32::MIN, sign-extended: 0xFFFF_FFFF_8000_0000.
        assert_eq!(fb.work[0], 0xFFFF_FFFF_8000_0000);
    }

    #[test]
    fn rejects_bands_outside_the_spectrum() {
        let mut fb = Filterbank::EMPTY;
        assert!(fb.configure(40, 125.0, 8100.0, 16000, 257).is_err());
        assert!(fb.configure(40, 8500.0, 9000.0, 16000, 257).is_err());
        assert!(fb.configure(40, -1.0, 7000.0, 16000, 257).is_err());
        assert!(fb.configure(40, 7000.0, 7000.0, 16000, 257).is_err());
        assert!(fb.configure(40, 125.0, f32::INFINITY, 16000, 257).is_err());
        assert!(fb.configure(0, 125.0, 7000.0, 16000, 257).is_err());
        assert!(fb.configure(40, 125.0, 7900.0, 16000, 257).is_ok());
    }
}
