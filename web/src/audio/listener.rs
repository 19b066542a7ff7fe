//! The Wake word page's whole audio path, minus the browser: device blocks in, runner jobs out,
//! runner outputs in, scores, a spectrogram and detections out. The page forwards microphone
//! (or WAV) blocks to [`Listener::push`], sends each [`Job`] to its runner worker and hands
//! the answers to [`Listener::on_output`]; the host test drives the very same object with an
//! interpreter in place of the worker.
//!
//! Three kinds of model ([`ModelKind`]):
//!
//! - **Commands** (the project's keyword model): micro-frontend features, the last `frames`
//!   frames every `every`, class scores, [`Recognizer`].
//! - **MicroSpeech** (TFLM's micro_speech): 30 ms windows every 20 ms through TFLM's audio
//!   preprocessor model in [`PREPROCESSOR_SLOT`], its int8 frames into the window, then as
//!   Commands.
//! - **WakeWord** (microWakeWord streaming models): micro-frontend features, `stride` new frames
//!   at a time (the model keeps the past in its resource variables), one uint8 probability,
//!   [`WakeDetector`].

use std::collections::VecDeque;

use super::recognize::{Recognizer, RecognizerConfig, WakeDetector};
use super::resample::Resampler;
use super::stream::{FeatureEncoding, FrameWindow, FrontendStream, WindowStream};
use crate::runner::{dtype_size, tensor_bytes, SlotId, SlotInfo};

/// The runner slot of the classifier.
pub const MODEL_SLOT: SlotId = 0;
/// The runner slot of TFLM's audio preprocessor (micro_speech only).
pub const PREPROCESSOR_SLOT: SlotId = 1;
/// The models' sample rate.
pub const RATE: u32 = 16000;
/// Frames of spectrogram kept (4 s of 10 ms frames).
pub const SPECTROGRAM_FRAMES: usize = 400;
/// Score points kept for the strip chart.
pub const SCORE_POINTS: usize = 120;

/// What the model is and how its input is made.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelKind {
    /// A classifier over a sliding window of micro-frontend features.
    Commands {
        /// Class names, in output order (label 0 is silence).
        labels: Vec<String>,
        /// Invoke every this many new frames.
        every: usize,
        /// The recogniser's settings.
        recognizer: RecognizerConfig,
    },
    /// TFLM's micro_speech: features from the audio preprocessor model.
    MicroSpeech {
        /// Class names.
        labels: Vec<String>,
        /// Invoke every this many new frames.
        every: usize,
        /// The recogniser's settings.
        recognizer: RecognizerConfig,
    },
    /// A microWakeWord streaming model.
    WakeWord {
        /// The wake word, for the detections list.
        name: String,
        /// `probability_cutoff` of the model's JSON.
        cutoff: f32,
        /// `sliding_window_size` of the model's JSON.
        window: usize,
    },
}

/// One invocation for the runner.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Which slot.
    pub slot: SlotId,
    /// Milliseconds of audio (at 16 kHz) up to the end of this input: the tag.
    pub time_ms: u64,
    /// The input tensor's bytes.
    pub input: Vec<u8>,
}

/// A detection.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// When (milliseconds of audio).
    pub time_ms: u64,
    /// The label.
    pub label: String,
    /// Its averaged score.
    pub score: f32,
}

enum Features {
    Frontend(FrontendStream, FeatureEncoding),
    Preprocessor(WindowStream),
}

enum Decide {
    Commands(Recognizer),
    Wake(WakeDetector),
}

/// The page's audio path (see the module docs).
pub struct Listener {
    resampler: Resampler,
    features: Features,
    window: FrameWindow,
    decide: Decide,
    labels: Vec<String>,
    output: (String, Option<f32>, Option<i32>),
    /// 16 kHz samples taken so far.
    samples: u64,
    /// Feature frames so far.
    frames: u64,
    /// Preprocessor windows sent so far.
    windows: u64,
    /// Recent frames as 0-255 intensities, oldest first.
    pub spectrogram: VecDeque<Vec<u8>>,
    /// Recent scores (time, one per label), oldest first.
    pub scores: VecDeque<(u64, Vec<f32>)>,
    /// Every detection, oldest first.
    pub detections: Vec<Detection>,
    /// Frames the spectrogram gained since the page last drew it.
    pub new_frames: usize,
}

/// The input shape's frame count: `[1, frames, 40]`, `[1, frames, 40, 1]` or `[1, frames·40]`.
fn frames_of(info: &SlotInfo, channels: usize) -> Result<usize, String> {
    let input = info.inputs.first().ok_or("the model has no input")?;
    let elements = tensor_bytes(input) / dtype_size(&input.dtype);
    if elements == 0 || !elements.is_multiple_of(channels) {
        return Err(format!(
            "the model's input {:?} is not a whole number of {channels}-feature frames",
            input.shape
        ));
    }
    Ok(elements / channels)
}

impl Listener {
    /// A listener for the model in `model` (and, for micro_speech, TFLM's audio preprocessor
    /// in `preprocessor`), fed blocks at `device_rate`.
    pub fn new(
        kind: ModelKind,
        model: &SlotInfo,
        preprocessor: Option<&SlotInfo>,
        device_rate: u32,
    ) -> Result<Listener, String> {
        let resampler = Resampler::new(device_rate, RATE).ok_or("the device reports no rate")?;
        let input = model.inputs.first().ok_or("the model has no input")?;
        let output = model.outputs.first().ok_or("the model has no output")?;
        let output = (output.dtype.clone(), output.scale, output.zero_point);
        let encoding = FeatureEncoding::for_tensor(&input.dtype, input.scale, input.zero_point);
        let frontend = |encoding: Option<FeatureEncoding>| {
            let stream = FrontendStream::new();
            let enc = encoding.ok_or(format!(
                "the model's input is {} without a usable quantization; int8, uint8 or float32 is needed",
                input.dtype
            ))?;
            Ok::<_, String>(Features::Frontend(stream, enc))
        };
        let element = dtype_size(&input.dtype);
        let (features, window, decide, labels) = match &kind {
            ModelKind::Commands {
                labels,
                every,
                recognizer,
            } => {
                let f = frontend(encoding)?;
                let frames = frames_of(model, 40)?;
                check_labels(labels, model)?;
                (
                    f,
                    FrameWindow::new(40 * element, frames, *every),
                    Decide::Commands(Recognizer::new(*recognizer)),
                    labels.clone(),
                )
            }
            ModelKind::MicroSpeech {
                labels,
                every,
                recognizer,
            } => {
                let pre = preprocessor.ok_or("load TFLM's audio_preprocessor_int8.tflite too")?;
                let pin = pre.inputs.first().ok_or("the preprocessor has no input")?;
                let pout = pre
                    .outputs
                    .first()
                    .ok_or("the preprocessor has no output")?;
                if pin.dtype != "INT16" || tensor_bytes(pin) != 960 {
                    return Err(format!(
                        "the preprocessor's input is {} {:?}; TFLM's takes 480 int16 samples",
                        pin.dtype, pin.shape
                    ));
                }
                let frame_bytes = tensor_bytes(pout);
                if input.dtype != pout.dtype || frame_bytes == 0 {
                    return Err(format!(
                        "the preprocessor gives {} frames; the model takes {}",
                        pout.dtype, input.dtype
                    ));
                }
                let frames = tensor_bytes(input) / frame_bytes;
                if frames == 0 || frames * frame_bytes != tensor_bytes(input) {
                    return Err(format!(
                        "the model's input {:?} is not a whole number of the preprocessor's {}-byte frames",
                        input.shape, frame_bytes
                    ));
                }
                check_labels(labels, model)?;
                (
                    Features::Preprocessor(WindowStream::new(480, 320)),
                    FrameWindow::new(frame_bytes, frames, *every),
                    Decide::Commands(Recognizer::new(*recognizer)),
                    labels.clone(),
                )
            }
            ModelKind::WakeWord {
                name,
                cutoff,
                window,
            } => {
                let f = frontend(encoding)?;
                let stride = frames_of(model, 40)?;
                // The model hears the same word for a second or so: one detection per 2 s.
                (
                    f,
                    FrameWindow::new(40 * element, stride, stride),
                    Decide::Wake(WakeDetector::new(*cutoff, *window, 2000)),
                    vec![name.clone()],
                )
            }
        };
        Ok(Listener {
            resampler,
            features,
            window,
            decide,
            labels,
            output,
            samples: 0,
            frames: 0,
            windows: 0,
            spectrogram: VecDeque::new(),
            scores: VecDeque::new(),
            detections: Vec::new(),
            new_frames: 0,
        })
    }

    /// The labels the scores are for.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Milliseconds of 16 kHz audio taken so far.
    pub fn time_ms(&self) -> u64 {
        self.samples / 16
    }

    /// Takes one block of device samples (floats in [-1, 1]); the jobs it makes.
    pub fn push(&mut self, block: &[f32]) -> Vec<Job> {
        let mut samples = Vec::with_capacity(block.len());
        self.resampler.push(block, &mut samples);
        self.push_16k(&samples)
    }

    /// Takes 16 kHz samples; the jobs they make.
    pub fn push_16k(&mut self, samples: &[i16]) -> Vec<Job> {
        self.samples += samples.len() as u64;
        let mut jobs = Vec::new();
        match &mut self.features {
            Features::Frontend(stream, encoding) => {
                let mut frames = Vec::new();
                stream.push(samples, |raw| {
                    let mut frame = Vec::with_capacity(raw.len());
                    encoding.encode(raw, &mut frame);
                    // 0-255 for the spectrogram: raw features run to ~700 in speech.
                    let shade = raw.iter().map(|&r| (r / 3).min(255) as u8).collect();
                    frames.push((frame, shade));
                });
                for (frame, shade) in frames {
                    self.frames += 1;
                    // Frame k (from 1) ends at sample 480 + 160 (k - 1).
                    let time_ms = (480 + 160 * (self.frames - 1)) / 16;
                    self.add_shade(shade);
                    if let Some(input) = self.window.push(&frame) {
                        jobs.push(Job {
                            slot: MODEL_SLOT,
                            time_ms,
                            input,
                        });
                    }
                }
            }
            Features::Preprocessor(stream) => {
                let windows = &mut self.windows;
                stream.push(samples, |input| {
                    *windows += 1;
                    let time_ms = (480 + 320 * (*windows - 1)) / 16;
                    jobs.push(Job {
                        slot: PREPROCESSOR_SLOT,
                        time_ms,
                        input,
                    });
                });
            }
        }
        jobs
    }

    /// Takes the output of a job; the jobs it makes (a model job from a preprocessor frame).
    pub fn on_output(&mut self, slot: SlotId, time_ms: u64, output: &[u8]) -> Vec<Job> {
        if slot == PREPROCESSOR_SLOT {
            self.frames += 1;
            let shade = output
                .iter()
                .map(|&b| (b as i8 as i16 + 128) as u8)
                .collect();
            self.add_shade(shade);
            return self
                .window
                .push(output)
                .map(|input| Job {
                    slot: MODEL_SLOT,
                    time_ms,
                    input,
                })
                .into_iter()
                .collect();
        }
        let scores = decode_scores(output, &self.output);
        self.scores.push_back((time_ms, scores.clone()));
        while self.scores.len() > SCORE_POINTS {
            self.scores.pop_front();
        }
        match &mut self.decide {
            Decide::Commands(r) => {
                let d = r.process(&scores, time_ms);
                if d.is_new && d.label != 0 {
                    if let Some(label) = self.labels.get(d.label) {
                        self.detections.push(Detection {
                            time_ms,
                            label: label.clone(),
                            score: d.score,
                        });
                    }
                }
            }
            Decide::Wake(w) => {
                let p = scores.first().copied().unwrap_or(0.0);
                let (mean, hit) = w.process(p, time_ms);
                if hit {
                    self.detections.push(Detection {
                        time_ms,
                        label: self.labels.first().cloned().unwrap_or_default(),
                        score: mean,
                    });
                }
            }
        }
        Vec::new()
    }

    fn add_shade(&mut self, shade: Vec<u8>) {
        self.spectrogram.push_back(shade);
        while self.spectrogram.len() > SPECTROGRAM_FRAMES {
            self.spectrogram.pop_front();
        }
        self.new_frames += 1;
    }
}

fn check_labels(labels: &[String], model: &SlotInfo) -> Result<(), String> {
    let classes = model
        .outputs
        .first()
        .map_or(0, |o| tensor_bytes(o) / dtype_size(&o.dtype));
    if labels.len() != classes {
        return Err(format!(
            "the model has {classes} output classes but {} labels were given",
            labels.len()
        ));
    }
    Ok(())
}

/// Scores from an output tensor's bytes: int8/uint8 dequantized, float32 as they are.
pub fn decode_scores(
    bytes: &[u8],
    (dtype, scale, zero_point): &(String, Option<f32>, Option<i32>),
) -> Vec<f32> {
    let (s, z) = (scale.unwrap_or(1.0), zero_point.unwrap_or(0) as f32);
    match dtype.as_str() {
        "INT8" => bytes
            .iter()
            .map(|&b| (f32::from(b as i8) - z) * s)
            .collect(),
        "UINT8" => bytes.iter().map(|&b| (f32::from(b) - z) * s).collect(),
        "FLOAT32" => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        _ => Vec::new(),
    }
}
