//! TensorFlow Lite Micro's audio "micro frontend" in fixed point: 16-bit PCM in, one vector of
//! `u16` log-mel energies per frame out, bit for bit as TFLM's C library
//! (`tensorflow/lite/experimental/microfrontend/lib`) computes them.
//!
//! This is the feature generator of the older micro_speech example and of every microWakeWord
//! model; [`FrontendConfig::MICRO_WAKEWORD`] is the configuration those models were trained with
//! (and the one PyPI `pymicro-features`, the conformance oracle, hard-codes).
//!
//! The stages, each in its own module and each mirroring its C counterpart's integer
//! arithmetic (widths, wrap-around, rounding, shift order):
//!
//! 1. [`window`]: a sliding frame (e.g. 30 ms every 10 ms) times a Hann window in Q12;
//! 2. [`fft`]: the frame, scaled up to use all 16 bits, through KISS FFT's 16-bit fixed-point
//!    real FFT (the exact radix-4/radix-2 butterflies and their rounding);
//! 3. [`filterbank`]: squared magnitudes summed into triangular mel channels (64-bit
//!    accumulators), then an integer square root and the scale undone;
//! 4. [`noise_reduction`]: a per-channel running noise estimate subtracted, with a floor;
//! 5. [`pcan`]: per-channel automatic gain control (PCAN) from that same estimate;
//! 6. [`log_scale`]: a table-driven fixed-point natural log, saturated to `u16`.
//!
//! All state lives in one [`Frontend`] value of fixed size (about 17 KB with the capacities
//! below): nothing is allocated, and it can be placed in a `static`, on the heap or on the
//! stack. Samples are untrusted input and no sample sequence can make processing panic.
//!
//! Configuration ([`Frontend::configure`]) is the only place floating point is used: the
//! window, FFT twiddles, mel weights and PCAN gain table are computed in f32/f64 exactly as
//! TFLM's C computes them, then rounded to integers; processing is integer only. TFLM takes
//! `cosf`, `log1pf`, `powf`, `cos` and `sin` from the C library (glibc for the oracle), this
//! crate from `libm`; the two can differ in the last bit for rare arguments, which would
//! matter only if a value then sat exactly on a rounding boundary. The tables are identical to
//! TFLM's for [`FrontendConfig::MICRO_WAKEWORD`] (checked by the conformance suite) and were
//! for all of several hundred other configurations tried against the C library; `powf` is
//! taken through f64 `pow`, which agrees with glibc's where `libm`'s f32 `powf` often does not.

pub mod fft;
pub mod filterbank;
pub mod log_scale;
pub mod noise_reduction;
pub mod pcan;
pub mod window;

use core::fmt;

/// Longest window, in samples, the fixed-size state holds; also the largest FFT (windows are
/// zero-padded up to a power of two). 1024 samples is 64 ms at 16 kHz.
pub const MAX_WINDOW_SAMPLES: usize = 1024;
/// Largest FFT size, a power of two.
pub const MAX_FFT_SIZE: usize = MAX_WINDOW_SAMPLES;
/// Most mel channels (features per frame) the fixed-size state holds.
pub const MAX_CHANNELS: usize = 64;
/// Most FFT bins (`MAX_FFT_SIZE / 2 + 1`).
pub const MAX_SPECTRUM: usize = MAX_FFT_SIZE / 2 + 1;

/// A configuration [`Frontend::configure`] cannot accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontendError {
    /// A parameter is out of the range TFLM's frontend works in (for example a step longer than
    /// the window, or an upper band limit above the Nyquist frequency).
    InvalidConfig {
        /// What is wrong, in words.
        what: &'static str,
    },
    /// The configuration needs more room than the fixed-size state has.
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// How many the configuration needs.
        needed: usize,
        /// How many fit.
        max: usize,
    },
}

impl FrontendError {
    pub(crate) const fn invalid(what: &'static str) -> Self {
        FrontendError::InvalidConfig { what }
    }
}

impl fmt::Display for FrontendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrontendError::InvalidConfig { what } => {
                write!(f, "invalid audio frontend configuration: {what}")
            }
            FrontendError::TooLarge { what, needed, max } => write!(
                f,
                "audio frontend configuration too large: {what} is {needed}, at most {max}"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FrontendError {}

/// Result with a [`FrontendError`].
pub type Result<T> = core::result::Result<T, FrontendError>;

/// Every parameter of the frontend (TFLM's `FrontendConfig` plus the sample rate), with the
/// same meaning and units as TFLM's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrontendConfig {
    /// Samples per second of the input.
    pub sample_rate: u32,
    /// Frame length in milliseconds.
    pub window_size_ms: u32,
    /// Frame step in milliseconds (at most the frame length).
    pub window_step_ms: u32,
    /// Mel channels, i.e. features per frame.
    pub num_channels: u32,
    /// Lowest frequency, Hz, the filterbank covers.
    pub lower_band_limit: f32,
    /// Highest frequency, Hz, the filterbank covers (below the Nyquist frequency).
    pub upper_band_limit: f32,
    /// The noise estimate is kept with this many extra fractional bits.
    pub smoothing_bits: u32,
    /// Noise estimate update rate for even-numbered channels, in [0, 1].
    pub even_smoothing: f32,
    /// Noise estimate update rate for odd-numbered channels, in [0, 1].
    pub odd_smoothing: f32,
    /// Fraction of the signal noise reduction always leaves, in [0, 1].
    pub min_signal_remaining: f32,
    /// Apply PCAN gain control.
    pub enable_pcan: bool,
    /// PCAN normalisation exponent (0 disables, 1 is full strength).
    pub pcan_strength: f32,
    /// PCAN: added to the noise estimate in the normalisation denominator.
    pub pcan_offset: f32,
    /// PCAN: fractional bits of the gain.
    pub pcan_gain_bits: u32,
    /// Take the log (otherwise the linear values, saturated to `u16`, are output).
    pub enable_log: bool,
    /// The log is scaled by `2^log_scale_shift`.
    pub log_scale_shift: u32,
}

impl FrontendConfig {
    /// microWakeWord's features (and `pymicro-features`'): 16 kHz, 30 ms window every 10 ms,
    /// 40 channels over 125–7500 Hz, noise reduction (10 smoothing bits, 0.025 even / 0.06 odd,
    /// 5% floor), PCAN (strength 0.95, offset 80, 21 gain bits) and log scale shift 6.
    pub const MICRO_WAKEWORD: FrontendConfig = FrontendConfig {
        sample_rate: 16_000,
        window_size_ms: 30,
        window_step_ms: 10,
        num_channels: 40,
        lower_band_limit: 125.0,
        upper_band_limit: 7500.0,
        smoothing_bits: 10,
        even_smoothing: 0.025,
        odd_smoothing: 0.06,
        min_signal_remaining: 0.05,
        enable_pcan: true,
        pcan_strength: 0.95,
        pcan_offset: 80.0,
        pcan_gain_bits: 21,
        enable_log: true,
        log_scale_shift: 6,
    };

    /// The preset of that name (`micro_wakeword`), for command lines.
    pub fn preset(name: &str) -> Option<FrontendConfig> {
        match name {
            "micro_wakeword" => Some(Self::MICRO_WAKEWORD),
            _ => None,
        }
    }

    /// Names accepted by [`FrontendConfig::preset`].
    pub const PRESETS: &'static [&'static str] = &["micro_wakeword"];
}

/// `MostSignificantBit32`: the 1-based index of the highest set bit, 0 for 0.
#[inline(always)]
pub(crate) const fn msb32(n: u32) -> u32 {
    u32::BITS - n.leading_zeros()
}

/// The frontend: configuration-derived tables and streaming state, all in fixed-size arrays.
#[derive(Clone)]
pub struct Frontend {
    window: window::Window,
    fft: fft::Fft,
    filterbank: filterbank::Filterbank,
    noise_reduction: noise_reduction::NoiseReduction,
    pcan: pcan::Pcan,
    log_scale: log_scale::LogScale,
    /// Channel values between stages (TFLM reuses the filterbank's work buffer for this).
    signal: [u32; MAX_CHANNELS],
    /// The last frame's features.
    features: [u16; MAX_CHANNELS],
    num_channels: usize,
}

impl Frontend {
    /// An unconfigured frontend (every call to [`Frontend::process_samples`] consumes nothing
    /// and produces nothing until [`Frontend::configure`] succeeds). `const`, so that it can
    /// initialise a `static`.
    pub const EMPTY: Frontend = Frontend {
        window: window::Window::EMPTY,
        fft: fft::Fft::EMPTY,
        filterbank: filterbank::Filterbank::EMPTY,
        noise_reduction: noise_reduction::NoiseReduction::EMPTY,
        pcan: pcan::Pcan::EMPTY,
        log_scale: log_scale::LogScale::EMPTY,
        signal: [0; MAX_CHANNELS],
        features: [0; MAX_CHANNELS],
        num_channels: 0,
    };

    /// A frontend configured with `config` (see [`Frontend::configure`]). The value is about
    /// 17 KB; to avoid moving it, configure an [`Frontend::EMPTY`] in place instead.
    pub fn new(config: &FrontendConfig) -> Result<Frontend> {
        let mut frontend = Frontend::EMPTY;
        frontend.configure(config)?;
        Ok(frontend)
    }

    /// Builds every table for `config` and resets the streaming state
    /// (`FrontendPopulateState`). On error the frontend is left unconfigured.
    pub fn configure(&mut self, config: &FrontendConfig) -> Result<()> {
        let result = self.try_configure(config);
        if result.is_err() {
            *self = Frontend::EMPTY;
        }
        result
    }

    fn try_configure(&mut self, c: &FrontendConfig) -> Result<()> {
        // WindowPopulateState: sizes in samples, truncated as C's size_t arithmetic does.
        let size = u64::from(c.window_size_ms) * u64::from(c.sample_rate) / 1000;
        let step = u64::from(c.window_step_ms) * u64::from(c.sample_rate) / 1000;
        self.window.configure(size, step)?;
        let window_size = self.window.size();
        self.fft.configure(window_size)?;
        let fft_size = self.fft.fft_size();
        self.filterbank.configure(
            c.num_channels,
            c.lower_band_limit,
            c.upper_band_limit,
            c.sample_rate,
            fft_size / 2 + 1,
        )?;
        let num_channels = self.filterbank.num_channels();
        self.noise_reduction.configure(
            num_channels,
            c.smoothing_bits,
            c.even_smoothing,
            c.odd_smoothing,
            c.min_signal_remaining,
        )?;
        let correction_bits = input_correction_bits(fft_size);
        self.pcan.configure(
            c.enable_pcan,
            c.pcan_strength,
            c.pcan_offset,
            c.pcan_gain_bits,
            c.smoothing_bits,
            correction_bits,
        )?;
        self.log_scale
            .configure(c.enable_log, c.log_scale_shift, correction_bits)?;
        self.num_channels = num_channels;
        self.reset();
        Ok(())
    }

    /// Clears the streaming state (buffered samples, noise estimates) but keeps the tables
    /// (`FrontendReset`).
    pub fn reset(&mut self) {
        self.window.reset();
        self.fft.reset();
        self.noise_reduction.reset();
        self.signal = [0; MAX_CHANNELS];
        self.features = [0; MAX_CHANNELS];
    }

    /// Features per frame (the number of channels).
    pub fn num_channels(&self) -> usize {
        self.num_channels
    }

    /// Samples per frame.
    pub fn window_samples(&self) -> usize {
        self.window.size()
    }

    /// Samples between the starts of consecutive frames.
    pub fn step_samples(&self) -> usize {
        self.window.step()
    }

    /// FFT size (the window zero-padded to a power of two).
    pub fn fft_size(&self) -> usize {
        self.fft.fft_size()
    }

    /// Feeds samples (`FrontendProcessSamples`): takes as many as complete the current frame
    /// and returns how many it took, with the frame's features if it completed one. Call again
    /// with the rest; every frame is returned exactly once, in order. The features slice is
    /// valid until the next call.
    pub fn process_samples(&mut self, samples: &[i16]) -> (usize, Option<&[u16]>) {
        let (taken, max_abs) = self.window.process(samples, self.fft.input_mut());
        let Some(max_abs) = max_abs else {
            return (taken, None);
        };
        // Scale the frame up so that its largest value uses the top bit of an i16: the
        // fixed-point FFT then keeps as much precision as it can. Undone by the filterbank.
        // max_abs is in 0..=32767, so the shift is in 0..=15.
        let input_shift = 15 - msb32(max_abs as u32);
        self.fft.compute(input_shift);
        let n = self.num_channels;
        let (Some(signal), Some(features)) = (self.signal.get_mut(..n), self.features.get_mut(..n))
        else {
            return (taken, None);
        };
        self.filterbank
            .apply(self.fft.output(), input_shift, signal);
        self.noise_reduction.apply(signal);
        self.pcan.apply(signal, self.noise_reduction.estimate());
        self.log_scale.apply(signal, features);
        (taken, Some(features))
    }
}

/// How far the filterbank's output is from the PCAN and log stages' fixed point:
/// `log2(fft_size) - 1 - FILTERBANK_BITS / 2` (negative for FFTs under 128 points).
pub(crate) fn input_correction_bits(fft_size: usize) -> i32 {
    msb32(fft_size as u32) as i32 - 1 - (filterbank::FILTERBANK_BITS / 2) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_size_is_as_documented() {
        let size = core::mem::size_of::<Frontend>();
        assert!((16 * 1024..18 * 1024).contains(&size), "{size}");
    }

    #[test]
    fn micro_wakeword_geometry() {
        let fe = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
        assert_eq!(fe.window_samples(), 480);
        assert_eq!(fe.step_samples(), 160);
        assert_eq!(fe.fft_size(), 512);
        assert_eq!(fe.num_channels(), 40);
        assert_eq!(input_correction_bits(512), 3);
    }

    #[test]
    fn frames_come_every_step_once_the_window_is_full() {
        let mut fe = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
        let chunk = [0i16; 160];
        assert_eq!(fe.process_samples(&chunk), (160, None));
        assert_eq!(fe.process_samples(&chunk), (160, None));
        let (taken, out) = fe.process_samples(&chunk);
        assert_eq!(taken, 160);
        // Silence: every stage yields zero.
        assert_eq!(out, Some(&[0u16; 40][..]));
        // A long buffer is consumed frame by frame.
        let long = [0i16; 1000];
        let (taken, out) = fe.process_samples(&long);
        assert_eq!((taken, out.is_some()), (160, true));
    }

    #[test]
    fn whole_buffer_and_chunked_feeding_agree() {
        let samples: [i16; 4000] =
            core::array::from_fn(|i| ((i as i32 * 7919 % 20011) - 10005) as i16);
        let mut whole = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
        let mut a = [0u16; 40 * 30];
        let mut frames_a = 0;
        let mut pos = 0;
        while pos < samples.len() {
            let (taken, out) = whole.process_samples(&samples[pos..]);
            pos += taken;
            if let Some(f) = out {
                a[frames_a * 40..][..40].copy_from_slice(f);
                frames_a += 1;
            }
        }
        let mut chunked = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
        let mut b = [0u16; 40 * 30];
        let mut frames_b = 0;
        for chunk in samples.chunks(37) {
            let mut pos = 0;
            while pos < chunk.len() {
                let (taken, out) = chunked.process_samples(&chunk[pos..]);
                pos += taken;
                if let Some(f) = out {
                    b[frames_b * 40..][..40].copy_from_slice(f);
                    frames_b += 1;
                }
            }
        }
        // (4000 - 480) / 160 + 1 frames.
        assert_eq!(frames_a, 23);
        assert_eq!(frames_a, frames_b);
        assert_eq!(a, b);
        assert!(a[..frames_a * 40].iter().any(|&v| v != 0));
    }

    #[test]
    fn reset_restarts_the_stream() {
        let samples: [i16; 800] = core::array::from_fn(|i| ((i * 37) % 2000) as i16 - 1000);
        let mut fe = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
        let first = fe.process_samples(&samples).1.map(|f| f.to_vec());
        fe.reset();
        let again = fe.process_samples(&samples).1.map(|f| f.to_vec());
        assert_eq!(first, again);
    }

    #[test]
    fn bad_configs_are_errors_and_leave_the_frontend_empty() {
        let base = FrontendConfig::MICRO_WAKEWORD;
        let cases = [
            FrontendConfig {
                window_step_ms: 40,
                ..base
            },
            FrontendConfig {
                window_size_ms: 0,
                ..base
            },
            FrontendConfig {
                window_size_ms: 100,
                ..base
            },
            FrontendConfig {
                num_channels: 0,
                ..base
            },
            FrontendConfig {
                num_channels: 65,
                ..base
            },
            FrontendConfig {
                upper_band_limit: 9000.0,
                ..base
            },
            FrontendConfig {
                lower_band_limit: 8000.0,
                ..base
            },
            FrontendConfig {
                lower_band_limit: f32::NAN,
                ..base
            },
            FrontendConfig {
                smoothing_bits: 40,
                ..base
            },
            FrontendConfig {
                even_smoothing: 1.5,
                ..base
            },
            FrontendConfig {
                pcan_gain_bits: 40,
                ..base
            },
            FrontendConfig {
                log_scale_shift: 32,
                ..base
            },
            FrontendConfig {
                sample_rate: 0,
                ..base
            },
        ];
        for c in cases {
            let mut fe = Frontend::new(&base).unwrap();
            assert!(fe.configure(&c).is_err(), "{c:?}");
            assert_eq!(fe.num_channels(), 0);
            assert_eq!(fe.process_samples(&[1i16; 2000]), (0, None));
        }
    }

    #[test]
    fn extreme_samples_do_not_panic() {
        let mut fe = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
        for pattern in [
            [i16::MIN; 480],
            [i16::MAX; 480],
            core::array::from_fn(|i| if i % 2 == 0 { i16::MIN } else { i16::MAX }),
        ] {
            let (_, out) = fe.process_samples(&pattern);
            let _ = out;
        }
    }
}
