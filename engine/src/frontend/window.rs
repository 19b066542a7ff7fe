//! Stage 1: framing and the Hann window (TFLM `window.c`, `window_util.c`).
//!
//! Samples accumulate until a whole frame is buffered; the frame is multiplied by a Hann
//! window held in Q12, and the buffer then slides forward by one step.

use super::{FrontendError, Result, MAX_WINDOW_SAMPLES};

/// Fractional bits of the window coefficients (`kFrontendWindowBits`).
pub const WINDOW_BITS: u32 = 12;

/// Window coefficients, the samples of the frame being filled, and how many it holds.
#[derive(Clone)]
pub struct Window {
    size: usize,
    step: usize,
    coefficients: [i16; MAX_WINDOW_SAMPLES],
    input: [i16; MAX_WINDOW_SAMPLES],
    input_used: usize,
}

impl Window {
    /// Unconfigured: zero-length frames, which never complete.
    pub const EMPTY: Window = Window {
        size: 0,
        step: 0,
        coefficients: [0; MAX_WINDOW_SAMPLES],
        input: [0; MAX_WINDOW_SAMPLES],
        input_used: 0,
    };

    /// Frames of `size` samples every `step` samples (`WindowPopulateState`).
    pub fn configure(&mut self, size: u64, step: u64) -> Result<()> {
        // The FFT needs at least 4 points (a real FFT of 2 complex points).
        if size < 3 {
            return Err(FrontendError::invalid(
                "window shorter than 3 samples (window_size_ms * sample_rate / 1000)",
            ));
        }
        if size > MAX_WINDOW_SAMPLES as u64 {
            return Err(FrontendError::TooLarge {
                what: "window (samples)",
                needed: usize::try_from(size).unwrap_or(usize::MAX),
                max: MAX_WINDOW_SAMPLES,
            });
        }
        // TFLM slides the buffer by `step` with `size - step` unchecked: a step of zero never
        // frees room and a step longer than the window underflows. Both are rejected here.
        if step == 0 || step > size {
            return Err(FrontendError::invalid(
                "window step must be at least one sample and at most the window",
            ));
        }
        self.size = size as usize;
        self.step = step as usize;
        // A periodic-style Hann window sampled at half-sample offsets, in f32 as TFLM computes
        // it: 0.5 - 0.5 cos(2 pi (i + 0.5) / size), rounded to Q12 by floor(x * 4096 + 0.5).
        let arg = core::f32::consts::PI * 2.0 / (self.size as f32);
        for (i, c) in self.coefficients.iter_mut().enumerate() {
            *c = if i < self.size {
                let value = 0.5 - 0.5 * libm::cosf(arg * (i as f32 + 0.5));
                libm::floorf(value * (1 << WINDOW_BITS) as f32 + 0.5) as i16
            } else {
                0
            };
        }
        self.reset();
        Ok(())
    }

    /// Frame length in samples.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Step in samples.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Forgets the buffered samples (`WindowReset`).
    pub fn reset(&mut self) {
        self.input = [0; MAX_WINDOW_SAMPLES];
        self.input_used = 0;
    }

    /// Takes samples until the frame is full (`WindowProcessSamples`). Returns how many were
    /// taken and, when the frame completed, the largest absolute value of the windowed frame,
    /// which is written to `output[..size]`.
    ///
    /// The absolute value is taken in `i16` as TFLM does: a windowed value of -32768 stays
    /// negative and so never counts as the maximum.
    pub fn process(&mut self, samples: &[i16], output: &mut [i16]) -> (usize, Option<i16>) {
        let (size, used) = (self.size, self.input_used);
        let Some(free) = self.input.get_mut(used..size) else {
            return (0, None);
        };
        let take = free.len().min(samples.len());
        for (dst, &src) in free.iter_mut().zip(samples) {
            *dst = src;
        }
        self.input_used = used + take;
        if self.input_used < size || size == 0 {
            return (take, None);
        }
        let (Some(input), Some(coefficients), Some(output)) = (
            self.input.get(..size),
            self.coefficients.get(..size),
            output.get_mut(..size),
        ) else {
            return (take, None);
        };
        // As TFLM: i32 product, arithmetic shift right by 12, truncated to i16.
        let mut max_abs: i16 = 0;
        for ((out, &x), &w) in output.iter_mut().zip(input).zip(coefficients) {
            let value = ((x as i32 * w as i32) >> WINDOW_BITS) as i16;
            *out = value;
            let magnitude = if value < 0 {
                value.wrapping_neg()
            } else {
                value
            };
            if magnitude > max_abs {
                max_abs = magnitude;
            }
        }
        // Slide the frame forward by one step.
        self.input.copy_within(self.step..size, 0);
        self.input_used = size - self.step;
        (take, Some(max_abs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_coefficients_peak_at_one_and_are_nearly_symmetric() {
        let mut w = Window::EMPTY;
        w.configure(480, 160).unwrap();
        let c = &w.coefficients[..480];
        assert_eq!(c[0], 0);
        assert_eq!(c[5], 5);
        assert_eq!(c[239], 4096);
        assert_eq!(c[240], 4096);
        // f32 rounding makes the two halves differ by one in places, as in TFLM's table
        // (these two values are TFLM's).
        assert_eq!((c[17], c[462]), (54, 53));
        for i in 0..480 {
            assert!((c[i] - c[479 - i]).abs() <= 1, "{i}");
        }
        assert!(w.coefficients[480..].iter().all(|&v| v == 0));
    }

    #[test]
    fn small_window_by_hand() {
        // size 4: 0.5 - 0.5 cos(pi/2 (i + 0.5)) = 0.146, 0.854, 0.854, 0.146 -> Q12.
        let mut w = Window::EMPTY;
        w.configure(4, 2).unwrap();
        assert_eq!(&w.coefficients[..4], &[600, 3496, 3496, 600]);
        let mut out = [0i16; 4];
        assert_eq!(w.process(&[1000, -1000], &mut out), (2, None));
        let (taken, max_abs) = w.process(&[4096, -32768, 7], &mut out);
        assert_eq!(taken, 2);
        // 1000*600>>12 = 146; -1000*3496>>12 = -854 (floor); 4096*3496>>12 = 3496;
        // -32768*600>>12 = -4800.
        assert_eq!(out, [146, -854, 3496, -4800]);
        assert_eq!(max_abs, Some(4800));
        // The last two samples moved to the front: two more complete the next frame.
        assert_eq!(w.input_used, 2);
        let (taken, max_abs) = w.process(&[0, 0], &mut out);
        assert_eq!((taken, out), (2, [600, -27968, 0, 0]));
        assert_eq!(max_abs, Some(27968));
    }

    #[test]
    fn minus_32768_does_not_count_as_the_maximum() {
        let mut w = Window::EMPTY;
        w.configure(480, 160).unwrap();
        let mut samples = [0i16; 480];
        samples[239] = i16::MIN; // coefficient 4096: the windowed value is -32768
        samples[0] = 100; // coefficient 0
        samples[100] = 1000;
        let mut out = [0i16; 480];
        let (_, max_abs) = w.process(&samples, &mut out);
        assert_eq!(out[239], i16::MIN);
        let expected = ((1000 * w.coefficients[100] as i32) >> 12) as i16;
        assert_eq!(max_abs, Some(expected));
    }

    #[test]
    fn rejects_bad_geometry() {
        let mut w = Window::EMPTY;
        assert!(w.configure(2, 1).is_err());
        assert!(w.configure(480, 0).is_err());
        assert!(w.configure(480, 481).is_err());
        assert!(w.configure(MAX_WINDOW_SAMPLES as u64 + 1, 1).is_err());
        assert!(w.configure(MAX_WINDOW_SAMPLES as u64, 1).is_ok());
    }
}
