//! 16 kHz samples to model inputs, continuously, as the Wake word page runs them.
//!
//! Two feature generators:
//!
//! - [`FrontendStream`]: the engine's micro frontend (the microWakeWord configuration: 30 ms
//!   window, 10 ms step, 40 channels) runs on every sample — its noise estimate and gain adapt
//!   as on a device — and each frame is quantized for the model, `f = raw · 0.0390625` (the
//!   value pymicro-features returns) then `q = clamp(round_half_even(f / scale) + zero_point)`
//!   in f32, as the project's keyword pipeline (numpy) and pymicro-wakeword compute it.
//! - [`WindowStream`]: 30 ms windows every 20 ms for TFLM's micro_speech, whose features come
//!   from `audio_preprocessor_int8.tflite` run in the runner (window after window in one slot,
//!   so its noise estimate carries over, as conformance/audio_preprocessor.py feeds it); its
//!   int8 outputs are the model's feature frames as they are.
//!
//! [`FrameWindow`] then makes the model's input from the frames: the last `frames` of them
//! every `every` new frames (the keyword model: 98 frames every 10, one second every 100 ms;
//! micro_speech: 49 frames every 5; microWakeWord streaming models: `stride` new frames every
//! `stride`, their state holding the past).

use std::collections::VecDeque;

use tinyml_engine::frontend::{Frontend, FrontendConfig};

/// pymicro-features returns the frontend's `u16` features times this.
pub const FEATURE_SCALE: f32 = 0.0390625;

/// How a model's input tensor holds one feature value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FeatureEncoding {
    /// int8 with the tensor's scale and zero point.
    Int8 {
        /// Scale.
        scale: f32,
        /// Zero point.
        zero_point: i32,
    },
    /// uint8 likewise.
    UInt8 {
        /// Scale.
        scale: f32,
        /// Zero point.
        zero_point: i32,
    },
    /// float32, little-endian.
    Float32,
}

impl FeatureEncoding {
    /// The encoding for a tensor of this schema type name and quantization.
    pub fn for_tensor(dtype: &str, scale: Option<f32>, zero_point: Option<i32>) -> Option<Self> {
        let q = scale.filter(|s| s.is_finite() && *s > 0.0);
        match (dtype, q) {
            ("INT8", Some(scale)) => Some(FeatureEncoding::Int8 {
                scale,
                zero_point: zero_point.unwrap_or(0),
            }),
            ("UINT8", Some(scale)) => Some(FeatureEncoding::UInt8 {
                scale,
                zero_point: zero_point.unwrap_or(0),
            }),
            ("FLOAT32", _) => Some(FeatureEncoding::Float32),
            _ => None,
        }
    }

    /// Appends the frame's features, encoded, to `out`.
    pub fn encode(&self, raw: &[u16], out: &mut Vec<u8>) {
        for &r in raw {
            let f = f32::from(r) * FEATURE_SCALE;
            match *self {
                FeatureEncoding::Int8 { scale, zero_point } => {
                    let q = (f / scale).round_ties_even() + zero_point as f32;
                    out.push(q.clamp(-128.0, 127.0) as i8 as u8);
                }
                FeatureEncoding::UInt8 { scale, zero_point } => {
                    let q = (f / scale).round_ties_even() + zero_point as f32;
                    out.push(q.clamp(0.0, 255.0) as u8);
                }
                FeatureEncoding::Float32 => out.extend_from_slice(&f.to_le_bytes()),
            }
        }
    }
}

/// The micro frontend over a stream of 16 kHz samples.
pub struct FrontendStream {
    frontend: Box<Frontend>,
}

impl FrontendStream {
    /// A fresh frontend with the microWakeWord settings.
    pub fn new() -> Self {
        let mut frontend = Box::new(Frontend::EMPTY);
        // The preset is a constant the engine's tests check; it configures.
        let _ = frontend.configure(&FrontendConfig::MICRO_WAKEWORD);
        FrontendStream { frontend }
    }

    /// Features per frame.
    pub fn channels(&self) -> usize {
        self.frontend.num_channels()
    }

    /// Feeds samples; calls `on_frame` with each frame's raw features, in order.
    pub fn push(&mut self, samples: &[i16], mut on_frame: impl FnMut(&[u16])) {
        let mut rest = samples;
        while !rest.is_empty() {
            let (taken, frame) = self.frontend.process_samples(rest);
            if let Some(f) = frame {
                on_frame(f);
            }
            if taken == 0 {
                break;
            }
            rest = rest.get(taken..).unwrap_or(&[]);
        }
    }
}

impl Default for FrontendStream {
    fn default() -> Self {
        Self::new()
    }
}

/// Fixed windows of `i16` samples at a fixed hop (TFLM's audio preprocessor: 480 every 320).
pub struct WindowStream {
    size: usize,
    hop: usize,
    buffer: VecDeque<i16>,
}

impl WindowStream {
    /// Windows of `size` samples every `hop` (both at least 1).
    pub fn new(size: usize, hop: usize) -> Self {
        WindowStream {
            size: size.max(1),
            hop: hop.max(1),
            buffer: VecDeque::new(),
        }
    }

    /// Feeds samples; calls `on_window` with each complete window's little-endian bytes.
    pub fn push(&mut self, samples: &[i16], mut on_window: impl FnMut(Vec<u8>)) {
        self.buffer.extend(samples.iter().copied());
        while self.buffer.len() >= self.size {
            let bytes = self
                .buffer
                .iter()
                .take(self.size)
                .flat_map(|s| s.to_le_bytes())
                .collect();
            on_window(bytes);
            self.buffer.drain(..self.hop.min(self.buffer.len()));
        }
    }
}

/// The model's input from a stream of encoded frames: the last `frames`, every `every` new.
pub struct FrameWindow {
    frame_bytes: usize,
    frames: usize,
    every: usize,
    buffer: VecDeque<u8>,
    since: usize,
}

impl FrameWindow {
    /// A window of `frames` frames of `frame_bytes` bytes, ready every `every` frames.
    pub fn new(frame_bytes: usize, frames: usize, every: usize) -> Self {
        FrameWindow {
            frame_bytes,
            frames: frames.max(1),
            every: every.max(1),
            buffer: VecDeque::new(),
            since: 0,
        }
    }

    /// Adds one frame; the model's input when one is due.
    pub fn push(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        if frame.len() != self.frame_bytes {
            return None;
        }
        self.buffer.extend(frame.iter().copied());
        let full = self.frames * self.frame_bytes;
        if self.buffer.len() > full {
            self.buffer.drain(..self.buffer.len() - full);
        }
        self.since += 1;
        if self.buffer.len() == full && self.since >= self.every {
            self.since = 0;
            return Some(self.buffer.iter().copied().collect());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizes_as_numpy_does() {
        let mut out = Vec::new();
        // raw 64 -> 2.5; / 0.5 = 5 -> + (-128) = -123. raw 0 -> -128; raw 60000 -> clamps 127.
        FeatureEncoding::Int8 {
            scale: 0.5,
            zero_point: -128,
        }
        .encode(&[64, 0, 60000], &mut out);
        assert_eq!(out, vec![(-123i8) as u8, 128, 127]);
        // Ties go to even: raw 16 -> 0.625 / 0.25 = 2.5 -> 2; raw 48 -> 1.875/0.25 = 7.5 -> 8.
        out.clear();
        FeatureEncoding::UInt8 {
            scale: 0.25,
            zero_point: 0,
        }
        .encode(&[16, 48], &mut out);
        assert_eq!(out, vec![2, 8]);
        out.clear();
        FeatureEncoding::Float32.encode(&[128], &mut out);
        assert_eq!(out, 5.0f32.to_le_bytes().to_vec());
        assert_eq!(
            FeatureEncoding::for_tensor("INT16", Some(1.0), Some(0)),
            None
        );
        assert_eq!(FeatureEncoding::for_tensor("INT8", None, None), None);
    }

    #[test]
    fn frame_window_slides_and_strides() {
        let mut w = FrameWindow::new(1, 3, 2);
        let got: Vec<_> = (1..=7u8).map(|i| w.push(&[i])).collect();
        assert_eq!(
            got,
            vec![
                None,
                None,
                Some(vec![1, 2, 3]),
                None,
                Some(vec![3, 4, 5]),
                None,
                Some(vec![5, 6, 7])
            ]
        );
        // Strided (microWakeWord): the new frames only.
        let mut w = FrameWindow::new(2, 2, 2);
        let got: Vec<_> = [[1, 1], [2, 2], [3, 3], [4, 4]]
            .iter()
            .map(|f| w.push(f))
            .collect();
        assert_eq!(
            got,
            vec![None, Some(vec![1, 1, 2, 2]), None, Some(vec![3, 3, 4, 4])]
        );
        assert_eq!(w.push(&[1]), None);
    }

    #[test]
    fn windows_overlap_by_size_minus_hop() {
        let mut s = WindowStream::new(3, 2);
        let mut got = Vec::new();
        s.push(&[1, 2], |w| got.push(w));
        s.push(&[3, 4, 5, 6], |w| got.push(w));
        let le = |v: &[i16]| v.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<u8>>();
        assert_eq!(got, vec![le(&[1, 2, 3]), le(&[3, 4, 5])]);
    }

    #[test]
    fn frontend_frames_every_160_samples_after_the_first_480() {
        let mut s = FrontendStream::new();
        assert_eq!(s.channels(), 40);
        let mut frames = 0;
        // In odd pieces: the frame count depends on the samples only.
        for piece in [0i16; 16000].chunks(333) {
            s.push(piece, |f| {
                assert_eq!(f.len(), 40);
                frames += 1;
            });
        }
        assert_eq!(frames, (16000 - 480) / 160 + 1);
    }
}
