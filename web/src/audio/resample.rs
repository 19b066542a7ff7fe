//! Streaming sample-rate conversion to the 16 kHz the micro frontend wants.
//!
//! A microphone in a browser delivers float samples at the audio device's rate (often 48 kHz,
//! sometimes 44.1 kHz); the models were trained on 16 kHz 16-bit audio. Dropping samples would
//! fold everything above 8 kHz back into the band the features see, so each output sample is
//! a windowed-sinc low-pass interpolation of the input: output sample `n` sits at input time
//! `t = n · in_rate / out_rate` (kept as an exact integer numerator over `out_rate`, so the
//! position never drifts), and is `Σ x[i] · h(i − t)` over the inputs within
//! [`HALF_WIDTH`] zero crossings of the kernel, `h(x) = fc · sinc(fc · x) · blackman(x)` with
//! the cutoff `fc = min(1, out/in) · 0.92` of the input's Nyquist (a guard band for the
//! window's transition). Equal rates pass samples straight through, bit for bit.
//!
//! Chunking does not matter: feeding the same samples in any pieces gives the same output
//! (the filter waits for the inputs it needs; it adds `HALF_WIDTH / fc` input samples of
//! latency, under 2 ms).

use std::collections::VecDeque;

/// Zero crossings of the sinc kernel on each side of its centre.
pub const HALF_WIDTH: f64 = 16.0;

/// The fraction of the lower Nyquist frequency the low-pass keeps.
const CUTOFF: f64 = 0.92;

/// A streaming resampler from `in_rate` to `out_rate`, float in, `i16` out.
pub struct Resampler {
    in_rate: u64,
    out_rate: u64,
    /// Cutoff as a fraction of the input's Nyquist frequency.
    fc: f64,
    /// Kernel half-width in input samples.
    reach: f64,
    /// Inputs not yet behind every future output's reach; `buffer[0]` is input `base`.
    buffer: VecDeque<f32>,
    base: u64,
    /// Next output's index.
    next: u64,
}

impl Resampler {
    /// A resampler; `None` when either rate is zero.
    pub fn new(in_rate: u32, out_rate: u32) -> Option<Resampler> {
        if in_rate == 0 || out_rate == 0 {
            return None;
        }
        let fc = (f64::from(out_rate) / f64::from(in_rate)).min(1.0) * CUTOFF;
        Some(Resampler {
            in_rate: u64::from(in_rate),
            out_rate: u64::from(out_rate),
            fc,
            reach: HALF_WIDTH / fc,
            buffer: VecDeque::new(),
            base: 0,
            next: 0,
        })
    }

    /// The input rate.
    pub fn in_rate(&self) -> u32 {
        self.in_rate as u32
    }

    /// Feeds float samples in [-1, 1] (a Web Audio block) and appends every output sample they
    /// complete to `out`, as `i16` (`x · 32768`, rounded, clamped).
    pub fn push(&mut self, input: &[f32], out: &mut Vec<i16>) {
        if self.in_rate == self.out_rate {
            out.extend(input.iter().map(|&x| to_i16(f64::from(x))));
            return;
        }
        self.buffer.extend(input.iter().copied());
        let available = self.base + self.buffer.len() as u64;
        loop {
            // Output `next` sits at input time t = next · in / out = whole + frac / out.
            let num = self.next * self.in_rate;
            let whole = num / self.out_rate;
            let t = whole as f64 + (num % self.out_rate) as f64 / self.out_rate as f64;
            let last = (t + self.reach).floor() as u64;
            if last >= available {
                break;
            }
            let first = (t - self.reach).ceil().max(0.0) as u64;
            let mut acc = 0.0f64;
            for i in first.max(self.base)..=last {
                let x = self
                    .buffer
                    .get((i - self.base) as usize)
                    .copied()
                    .unwrap_or(0.0);
                acc += f64::from(x) * self.kernel(i as f64 - t);
            }
            out.push(to_i16(acc));
            self.next += 1;
        }
        // Drop the inputs no future output reaches.
        let t_next = (self.next * self.in_rate) as f64 / self.out_rate as f64;
        let keep_from = (t_next - self.reach).ceil().max(0.0) as u64;
        while self.base < keep_from && !self.buffer.is_empty() {
            self.buffer.pop_front();
            self.base += 1;
        }
    }

    fn kernel(&self, x: f64) -> f64 {
        let reach = self.reach;
        if x.abs() >= reach {
            return 0.0;
        }
        let u = self.fc * x;
        let sinc = if u == 0.0 {
            1.0
        } else {
            (std::f64::consts::PI * u).sin() / (std::f64::consts::PI * u)
        };
        // Blackman window over [-reach, reach].
        let w = 2.0 * std::f64::consts::PI * (x + reach) / (2.0 * reach);
        let blackman = 0.42 - 0.5 * w.cos() + 0.08 * (2.0 * w).cos();
        self.fc * sinc * blackman
    }
}

fn to_i16(x: f64) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, amplitude: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                (amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn equal_rates_pass_through() {
        let mut r = Resampler::new(16000, 16000).unwrap();
        let mut out = Vec::new();
        r.push(&[0.0, 0.5, -1.0, 1.0, -0.25], &mut out);
        assert_eq!(out, vec![0, 16384, -32768, 32767, -8192]);
    }

    #[test]
    fn a_1khz_tone_keeps_its_level_and_phase_from_48k() {
        let input = tone(48000, 1000.0, 0.5, 48000);
        let mut r = Resampler::new(48000, 16000).unwrap();
        let mut out = Vec::new();
        r.push(&input, &mut out);
        // One second in, one second out, less the filter's look-ahead (16 / (0.92 / 3) = 52
        // input samples, 17 output samples).
        assert!((15980..=16000).contains(&out.len()), "{}", out.len());
        let want = tone(16000, 1000.0, 0.5, out.len());
        // Away from the start (the filter's warm-up), every sample is the 16 kHz tone's.
        for (i, (&got, &w)) in out.iter().zip(&want).enumerate().skip(100) {
            let w = (f64::from(w) * 32768.0).round();
            assert!(
                (f64::from(got) - w).abs() <= 40.0,
                "sample {i}: {got} vs {w}"
            );
        }
    }

    #[test]
    fn tones_above_8khz_are_removed_not_folded() {
        // 12 kHz at 48 kHz would alias to 4 kHz if samples were simply dropped.
        let input = tone(48000, 12000.0, 0.5, 48000);
        let mut r = Resampler::new(48000, 16000).unwrap();
        let mut out = Vec::new();
        r.push(&input, &mut out);
        let level = rms(&out[200..]);
        assert!(level < 0.001 * 0.5 * 32768.0 / 2f64.sqrt(), "rms {level}");
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let input = tone(44100, 440.0, 0.8, 20000);
        let mut whole = Vec::new();
        Resampler::new(44100, 16000)
            .unwrap()
            .push(&input, &mut whole);
        let mut pieces = Vec::new();
        let mut r = Resampler::new(44100, 16000).unwrap();
        for chunk in input.chunks(128) {
            r.push(chunk, &mut pieces);
        }
        assert_eq!(whole, pieces);
        // 44.1 kHz to 16 kHz: 20000 · 16000 / 44100 = 7256 outputs, less the look-ahead's 17.
        assert!((7236..=7256).contains(&whole.len()), "{}", whole.len());
    }

    #[test]
    fn upsampling_then_downsampling_returns_the_signal() {
        let x: Vec<f32> = tone(16000, 700.0, 0.3, 8000)
            .iter()
            .zip(tone(16000, 2300.0, 0.2, 8000))
            .map(|(a, b)| a + b)
            .collect();
        let mut up = Vec::new();
        Resampler::new(16000, 48000).unwrap().push(&x, &mut up);
        let upf: Vec<f32> = up.iter().map(|&v| f32::from(v) / 32768.0).collect();
        let mut back = Vec::new();
        Resampler::new(48000, 16000).unwrap().push(&upf, &mut back);
        for i in 200..back.len() {
            let want = (f64::from(x[i]) * 32768.0).round();
            assert!(
                (f64::from(back[i]) - want).abs() <= 40.0,
                "sample {i}: {} vs {want}",
                back[i]
            );
        }
    }

    #[test]
    fn zero_rates_are_refused() {
        assert!(Resampler::new(0, 16000).is_none());
        assert!(Resampler::new(16000, 0).is_none());
    }
}
