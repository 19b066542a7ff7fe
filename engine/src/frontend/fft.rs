//! Stage 2: the real FFT in 16-bit fixed point — KISS FFT 1.3 built with `FIXED_POINT=16`
//! (`kiss_fftr` over `kiss_fft`), which TFLM's `fft.cc` calls.
//!
//! Bit-exactness depends on doing what KISS FFT does, step for step: a real FFT of `n` points
//! is a complex FFT of `n/2` points (even samples as real parts, odd as imaginary) followed by
//! a split step; the complex FFT is a recursive decimation in time over the radices KISS FFT
//! factors `n/2` into (4s first, then a 2) with Q15 twiddles; and every butterfly first divides
//! its inputs by its radix (`C_FIXDIV`, a Q15 multiply by `32767 / radix`), rounds each Q15
//! product half up (`sround`), and wraps sums to 16 bits, as the C does on two's complement
//! machines.

use super::{FrontendError, Result, MAX_FFT_SIZE, MAX_SPECTRUM};

/// A complex value in Q15 (`kiss_fft_cpx` with 16-bit scalars; TFLM's `complex_int16_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Complex16 {
    /// Real part.
    pub re: i16,
    /// Imaginary part.
    pub im: i16,
}

const fn c(re: i16, im: i16) -> Complex16 {
    Complex16 { re, im }
}

/// Fractional bits of KISS FFT's 16-bit fixed point.
const FRACBITS: u32 = 15;
/// Largest Q15 sample, the scale of the twiddles.
const SAMP_MAX: i32 = 32767;
/// Radix stages for the largest FFT: 256 complex points = 4^4, 512 = 4^4 * 2.
const MAX_STAGES: usize = 8;

/// Q15 product to Q15, rounding half up, truncated to 16 bits (`sround`).
#[inline(always)]
fn sround(x: i32) -> i16 {
    (x.wrapping_add(1 << (FRACBITS - 1)) >> FRACBITS) as i16
}

/// `C_MUL`: both cross sums formed in i32, then rounded.
#[inline(always)]
fn mul(a: Complex16, b: Complex16) -> Complex16 {
    let (ar, ai, br, bi) = (a.re as i32, a.im as i32, b.re as i32, b.im as i32);
    c(
        sround((ar * br).wrapping_sub(ai * bi)),
        sround((ar * bi).wrapping_add(ai * br)),
    )
}

/// `C_FIXDIV`: scale down by `div` as a Q15 multiply by `32767 / div` (integer division).
#[inline(always)]
fn fixdiv(a: Complex16, div: i32) -> Complex16 {
    let k = SAMP_MAX / div;
    c(sround(a.re as i32 * k), sround(a.im as i32 * k))
}

/// `C_ADD`: 16-bit wrap-around.
#[inline(always)]
fn add(a: Complex16, b: Complex16) -> Complex16 {
    c(a.re.wrapping_add(b.re), a.im.wrapping_add(b.im))
}

/// `C_SUB`: 16-bit wrap-around.
#[inline(always)]
fn sub(a: Complex16, b: Complex16) -> Complex16 {
    c(a.re.wrapping_sub(b.re), a.im.wrapping_sub(b.im))
}

/// `kf_cexp` in fixed point: `floor(0.5 + 32767 * cos/sin(phase))`, in f64 as KISS FFT does.
fn twiddle(phase: f64) -> Complex16 {
    let scale = SAMP_MAX as f64;
    c(
        libm::floor(0.5 + scale * libm::cos(phase)) as i16,
        libm::floor(0.5 + scale * libm::sin(phase)) as i16,
    )
}

/// One radix stage: `radix` sub-transforms of `len` points each are combined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Stage {
    radix: usize,
    len: usize,
}

/// FFT tables (twiddles, factorisation) and buffers: the input frame, the complex FFT's
/// output and the spectrum.
#[derive(Clone)]
pub struct Fft {
    input_size: usize,
    fft_size: usize,
    input: [i16; MAX_FFT_SIZE],
    /// Twiddles of the `fft_size / 2`-point complex FFT.
    twiddles: [Complex16; MAX_FFT_SIZE / 2],
    /// Twiddles of the real-FFT split step.
    super_twiddles: [Complex16; MAX_FFT_SIZE / 4],
    stages: [Stage; MAX_STAGES],
    num_stages: usize,
    /// The complex FFT's output (`tmpbuf`).
    scratch: [Complex16; MAX_FFT_SIZE / 2],
    output: [Complex16; MAX_SPECTRUM],
}

impl Fft {
    /// Unconfigured.
    pub const EMPTY: Fft = Fft {
        input_size: 0,
        fft_size: 0,
        input: [0; MAX_FFT_SIZE],
        twiddles: [c(0, 0); MAX_FFT_SIZE / 2],
        super_twiddles: [c(0, 0); MAX_FFT_SIZE / 4],
        stages: [Stage { radix: 0, len: 0 }; MAX_STAGES],
        num_stages: 0,
        scratch: [c(0, 0); MAX_FFT_SIZE / 2],
        output: [c(0, 0); MAX_SPECTRUM],
    };

    /// An FFT for frames of `input_size` samples, zero-padded to the next power of two
    /// (`FftPopulateState`, `kiss_fftr_alloc`).
    pub fn configure(&mut self, input_size: usize) -> Result<()> {
        let fft_size = input_size.max(1).next_power_of_two();
        if fft_size > MAX_FFT_SIZE {
            return Err(FrontendError::TooLarge {
                what: "FFT size",
                needed: fft_size,
                max: MAX_FFT_SIZE,
            });
        }
        if fft_size < 4 {
            return Err(FrontendError::invalid("FFT shorter than 4 points"));
        }
        self.input_size = input_size;
        self.fft_size = fft_size;
        let n = fft_size / 2;
        // kiss_fft_alloc: twiddle i is exp(-2 pi i k / n), the phase formed as
        // (-2 pi) * k / n in f64.
        for (k, t) in self.twiddles.iter_mut().enumerate() {
            *t = if k < n {
                twiddle(-2.0 * core::f64::consts::PI * k as f64 / n as f64)
            } else {
                Complex16::default()
            };
        }
        // kiss_fftr_alloc: exp(-i pi ((k + 1) / n + 1/2)) for k < n/2.
        for (k, t) in self.super_twiddles.iter_mut().enumerate() {
            *t = if k < n / 2 {
                twiddle(-core::f64::consts::PI * ((k + 1) as f64 / n as f64 + 0.5))
            } else {
                Complex16::default()
            };
        }
        // kf_factor for a power of two: radix 4 while it divides, then a final 2 if needed.
        self.num_stages = 0;
        let mut remaining = n;
        while remaining > 1 {
            let radix = if remaining.is_multiple_of(4) { 4 } else { 2 };
            remaining /= radix;
            let Some(stage) = self.stages.get_mut(self.num_stages) else {
                return Err(FrontendError::invalid("FFT needs too many stages"));
            };
            *stage = Stage {
                radix,
                len: remaining,
            };
            self.num_stages += 1;
        }
        self.reset();
        Ok(())
    }

    /// FFT size (a power of two, at least 4).
    pub fn fft_size(&self) -> usize {
        self.fft_size
    }

    /// Zeroes the buffers (`FftReset`).
    pub fn reset(&mut self) {
        self.input = [0; MAX_FFT_SIZE];
        self.scratch = [Complex16::default(); MAX_FFT_SIZE / 2];
        self.output = [Complex16::default(); MAX_SPECTRUM];
    }

    /// The input frame, to be filled with the windowed samples (the first `input_size`).
    pub fn input_mut(&mut self) -> &mut [i16] {
        &mut self.input
    }

    /// The spectrum of the last [`Fft::compute`]: bins `0..=fft_size/2`.
    pub fn output(&self) -> &[Complex16] {
        self.output.get(..self.fft_size / 2 + 1).unwrap_or(&[])
    }

    /// `FftCompute`: shifts the frame left by `input_shift` (through `u16`, as TFLM does, so
    /// bits shifted past bit 15 are dropped), zero-pads it, and runs `kiss_fftr`.
    pub fn compute(&mut self, input_shift: u32) {
        let (input_size, fft_size) = (self.input_size, self.fft_size);
        let n = fft_size / 2;
        let (Some(frame), Some(scratch), Some(output), Some(stages), Some(twiddles)) = (
            self.input.get_mut(..fft_size),
            self.scratch.get_mut(..n),
            self.output.get_mut(..=n),
            self.stages.get(..self.num_stages),
            self.twiddles.get(..n),
        ) else {
            return;
        };
        let shift = input_shift.min(15);
        for (i, x) in frame.iter_mut().enumerate() {
            *x = if i < input_size {
                ((*x as u16 as u32) << shift) as u16 as i16
            } else {
                0
            };
        }
        transform(scratch, frame, 0, 1, stages, twiddles);
        split_real(scratch, output, &self.super_twiddles);
    }
}

/// `kf_work`: the complex FFT of the `n` complex points `(input[2j], input[2j + 1])` for
/// `j = first + fstride * t`, into `out` (length `n`), by recursive decimation in time.
fn transform(
    out: &mut [Complex16],
    input: &[i16],
    first: usize,
    fstride: usize,
    stages: &[Stage],
    twiddles: &[Complex16],
) {
    let Some((&Stage { radix, len }, rest)) = stages.split_first() else {
        return;
    };
    if len == 1 {
        // Leaves: gather `radix` points, `fstride` apart.
        for (t, o) in out.iter_mut().take(radix).enumerate() {
            let j = first + t * fstride;
            *o = c(
                input.get(2 * j).copied().unwrap_or(0),
                input.get(2 * j + 1).copied().unwrap_or(0),
            );
        }
    } else {
        // `radix` transforms of `len` points, each on every `radix`-th point.
        for (t, part) in out.chunks_mut(len).take(radix).enumerate() {
            transform(
                part,
                input,
                first + t * fstride,
                fstride * radix,
                rest,
                twiddles,
            );
        }
    }
    if radix == 4 {
        butterfly4(out, fstride, twiddles, len);
    } else {
        butterfly2(out, fstride, twiddles, len);
    }
}

/// `kf_bfly2`: combine two `m`-point transforms.
fn butterfly2(out: &mut [Complex16], fstride: usize, twiddles: &[Complex16], m: usize) {
    let Some(out) = out.get_mut(..2 * m) else {
        return;
    };
    let (f0, f1) = out.split_at_mut(m);
    for ((a, b), &w) in f0
        .iter_mut()
        .zip(f1.iter_mut())
        .zip(twiddles.iter().step_by(fstride))
    {
        let a0 = fixdiv(*a, 2);
        let t = mul(fixdiv(*b, 2), w);
        *b = sub(a0, t);
        *a = add(a0, t);
    }
}

/// `kf_bfly4` (forward): combine four `m`-point transforms. Twiddles `k`, `2k` and `3k`
/// (times `fstride`) for the second, third and fourth.
fn butterfly4(out: &mut [Complex16], fstride: usize, twiddles: &[Complex16], m: usize) {
    let Some(out) = out.get_mut(..4 * m) else {
        return;
    };
    let (f0, rest) = out.split_at_mut(m);
    let (f1, rest) = rest.split_at_mut(m);
    let (f2, f3) = rest.split_at_mut(m);
    let w1 = twiddles.iter().step_by(fstride);
    let w2 = twiddles.iter().step_by(2 * fstride);
    let w3 = twiddles.iter().step_by(3 * fstride);
    for (((((x0, x1), x2), x3), (&t1, &t2)), &t3) in f0
        .iter_mut()
        .zip(f1.iter_mut())
        .zip(f2.iter_mut())
        .zip(f3.iter_mut())
        .zip(w1.zip(w2))
        .zip(w3)
    {
        let a0 = fixdiv(*x0, 4);
        let s0 = mul(fixdiv(*x1, 4), t1);
        let s1 = mul(fixdiv(*x2, 4), t2);
        let s2 = mul(fixdiv(*x3, 4), t3);
        let s5 = sub(a0, s1);
        let a0 = add(a0, s1);
        let s3 = add(s0, s2);
        let s4 = sub(s0, s2);
        *x2 = sub(a0, s3);
        *x0 = add(a0, s3);
        *x1 = c(s5.re.wrapping_add(s4.im), s5.im.wrapping_sub(s4.re));
        *x3 = c(s5.re.wrapping_sub(s4.im), s5.im.wrapping_add(s4.re));
    }
}

/// The split step of `kiss_fftr`: from the `n`-point complex FFT of the packed real signal to
/// bins `0..=n` of its `2n`-point real FFT. Sums feeding `HALF_OF` are formed in i32 and
/// shifted before truncation to 16 bits, as in the C.
fn split_real(z: &[Complex16], out: &mut [Complex16], super_twiddles: &[Complex16]) {
    let n = z.len();
    if n < 2 || out.len() != n + 1 || super_twiddles.len() < n / 2 {
        return;
    }
    let dc = fixdiv(z[0], 2);
    out[0] = c(dc.re.wrapping_add(dc.im), 0);
    out[n] = c(dc.re.wrapping_sub(dc.im), 0);
    // In range: 1 <= k <= n/2, so k and n - k are in 1..n and k - 1 < n/2.
    for k in 1..=n / 2 {
        let fpk = fixdiv(z[k], 2);
        let mirror = z[n - k];
        let fpnk = fixdiv(c(mirror.re, mirror.im.wrapping_neg()), 2);
        let f1k = add(fpk, fpnk);
        let f2k = sub(fpk, fpnk);
        let tw = mul(f2k, super_twiddles[k - 1]);
        let half = |x: i32| (x >> 1) as i16;
        out[k] = c(
            half(f1k.re as i32 + tw.re as i32),
            half(f1k.im as i32 + tw.im as i32),
        );
        // At k = n/2 this overwrites the line above, as in the C.
        out[n - k] = c(
            half(f1k.re as i32 - tw.re as i32),
            half(tw.im as i32 - f1k.im as i32),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fft_of(samples: &[i16], shift: u32) -> Fft {
        let mut f = Fft::EMPTY;
        f.configure(samples.len()).unwrap();
        f.input_mut()[..samples.len()].copy_from_slice(samples);
        f.compute(shift);
        f
    }

    #[test]
    fn fixed_point_primitives() {
        assert_eq!(sround(1 << 14), 1);
        assert_eq!(sround((1 << 14) - 1), 0);
        assert_eq!(sround(-(1 << 14)), 0);
        assert_eq!(sround(-(1 << 14) - 1), -1);
        // 32767/4 = 8191: 4000 * 8191 / 32768 = 999.9 -> 1000
        assert_eq!(fixdiv(c(4000, -4000), 4), c(1000, -1000));
        assert_eq!(fixdiv(c(-32768, 32767), 2), c(-16383, 16383));
        assert_eq!(add(c(32767, -32768), c(1, -1)), c(-32768, 32767));
        // (0.5 + 0.5i)(0 - i) = 0.5 - 0.5i; -16383.5 rounds half up to -16383.
        assert_eq!(mul(c(16384, 16384), c(0, -32767)), c(16384, -16383));
    }

    #[test]
    fn twiddles_and_factors_match_kiss_fft() {
        let mut f = Fft::EMPTY;
        f.configure(480).unwrap();
        assert_eq!(f.fft_size(), 512);
        let stages: Vec<_> = f.stages[..f.num_stages]
            .iter()
            .map(|s| (s.radix, s.len))
            .collect();
        assert_eq!(stages, [(4, 64), (4, 16), (4, 4), (4, 1)]);
        assert_eq!(f.twiddles[0], c(32767, 0));
        assert_eq!(f.twiddles[64], c(0, -32767));
        assert_eq!(f.twiddles[128], c(-32767, 0));
        // cos(pi/4) * 32767 = 23169.77
        assert_eq!(f.twiddles[32], c(23170, -23170));
        assert_eq!(f.super_twiddles[127], c(-32767, 0));
        f.configure(1000).unwrap();
        let stages: Vec<_> = f.stages[..f.num_stages]
            .iter()
            .map(|s| (s.radix, s.len))
            .collect();
        assert_eq!(stages, [(4, 128), (4, 32), (4, 8), (4, 2), (2, 1)]);
        f.configure(4).unwrap();
        assert_eq!(f.stages[..f.num_stages], [Stage { radix: 2, len: 1 }]);
    }

    #[test]
    fn four_point_fft_by_hand() {
        // n = 2 complex points (1000, 2000), (3000, 4000); radix 2.
        // Complex FFT: each point / 2 -> (500, 1000), (1500, 2000) (499.98 rounds to 500);
        // sum (2000, 3000), difference (-1000, -1000).
        // Split: dc = (1000, 1500) -> bin 0 = 2500, bin 2 = -500.
        // k = 1: fpk = (-500, -500), fpnk = (-500, 500); f1k = (-1000, 0),
        // f2k = (0, -1000); tw = f2k * (-32767, 0) -> (0, 1000);
        // bin 1 = ((-1000 + 0) >> 1, (0 + 1000) >> 1) = (-500, 500), then overwritten by
        // ((-1000 - 0) >> 1, (1000 - 0) >> 1) = (-500, 500).
        let f = fft_of(&[1000, 2000, 3000, 4000], 0);
        assert_eq!(f.output(), &[c(2500, 0), c(-500, 500), c(-500, 0)]);
        // Exact DFT of (1000, 2000, 3000, 4000) is 10000, -2000 + 2000i, -2000: scaled by 1/4.
    }

    #[test]
    fn impulse_and_constant() {
        let mut x = [0i16; 16];
        x[0] = 16000;
        let f = fft_of(&x, 0);
        // An impulse has a flat spectrum of 16000 / 16 = 1000 (each stage halves or
        // quarters, with rounding).
        for (k, v) in f.output().iter().enumerate() {
            assert!((v.re - 1000).abs() <= 2 && v.im.abs() <= 2, "{k}: {v:?}");
        }
        let f = fft_of(&[8000; 16], 0);
        let out = f.output();
        assert!((out[0].re - 8000).abs() <= 2, "{:?}", out[0]);
        for v in &out[1..] {
            assert!(v.re.abs() <= 2 && v.im.abs() <= 2, "{v:?}");
        }
    }

    #[test]
    fn tone_lands_in_its_bin() {
        // 480 samples of a tone at bin 40 of 512, padded; scaled by 1/512 in the FFT.
        let x: Vec<i16> = (0..480)
            .map(|i| {
                (16000.0 * (2.0 * std::f64::consts::PI * 40.0 * i as f64 / 512.0).cos()) as i16
            })
            .collect();
        let f = fft_of(&x, 1);
        let mags: Vec<i32> = f
            .output()
            .iter()
            .map(|v| v.re as i32 * v.re as i32 + v.im as i32 * v.im as i32)
            .collect();
        let peak = (0..mags.len()).max_by_key(|&k| mags[k]).unwrap();
        assert_eq!(peak, 40);
    }

    #[test]
    fn shift_goes_through_u16() {
        let mut f = Fft::EMPTY;
        f.configure(4).unwrap();
        f.input_mut()[..4].copy_from_slice(&[-1, 0x4001, 3, 0]);
        f.compute(2);
        // -1 << 2 = 0xFFFC = -4; 0x4001 << 2 = 0x10004 -> 4; 3 << 2 = 12.
        assert_eq!(&f.input[..4], &[-4, 4, 12, 0]);
    }

    #[test]
    fn full_scale_inputs_do_not_panic() {
        for pattern in [
            [i16::MIN; 512],
            [i16::MAX; 512],
            core::array::from_fn(|i| if i % 2 == 0 { i16::MIN } else { i16::MAX }),
        ] {
            let f = fft_of(&pattern, 0);
            assert_eq!(f.output().len(), 257);
        }
    }
}
