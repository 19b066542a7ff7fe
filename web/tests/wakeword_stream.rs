//! The Wake word page's audio path on the host, end to end: TFLM's recordings, looped as
//! Chromium's fake microphone loops them, in 128-sample blocks (an AudioWorklet's) at the
//! device's rate, through the page's own [`Listener`] (resampler, micro frontend, frame window,
//! recogniser) and the page's own runner (the worker's code, on a local executor) with the
//! project's keyword model: "yes" in yes_1000ms.wav, "no" in no_1000ms.wav, no word in silence
//! or noise. Also TFLM's micro_speech through its audio preprocessor model, the same way, and a
//! microWakeWord streaming model (its state carried in the runner's slot) on its wake word.

mod common;

use std::path::PathBuf;

use common::{shared_dir, LocalRunner};
use tinyml_web::audio::listener::{Listener, ModelKind, MODEL_SLOT, PREPROCESSOR_SLOT};
use tinyml_web::audio::recognize::RecognizerConfig;
use tinyml_web::audio::resample::Resampler;
use tinyml_web::audio::wav;
use tinyml_web::runner::{RunnerRequest, RunnerResponse, SlotInfo};

const LABELS: [&str; 4] = ["silence", "unknown", "yes", "no"];

/// The page's runner, on a local pool, loading models from files.
struct Worker(LocalRunner);

impl Worker {
    fn new() -> Self {
        Worker(LocalRunner::new())
    }

    fn send(&mut self, request: RunnerRequest) -> Vec<RunnerResponse> {
        self.0.send(request)
    }

    fn load(&mut self, slot: u32, path: PathBuf) -> SlotInfo {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.0
            .load(slot, bytes, None)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// Which model the page runs.
enum Kind {
    Keyword,
    MicroSpeech,
    /// A microWakeWord model: its .tflite (the .json beside it).
    WakeWord(PathBuf),
}

/// The detections the page would list for `file` looped `loops` times on a device at
/// `device_rate` (the file is first resampled to it, as a browser's audio graph does).
fn listen(file: &str, device_rate: u32, loops: usize, micro_speech: bool) -> Vec<String> {
    let path = shared_dir().join("data/micro_speech").join(file);
    let kind = if micro_speech {
        Kind::MicroSpeech
    } else {
        Kind::Keyword
    };
    listen_to(&path, device_rate, loops, kind)
}

fn listen_to(path: &std::path::Path, device_rate: u32, loops: usize, kind: Kind) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let audio = wav::parse(&bytes).expect("a 16-bit WAV");
    let looped: Vec<f32> = audio
        .samples
        .iter()
        .copied()
        .cycle()
        .take(audio.samples.len() * loops)
        .collect();
    let device: Vec<f32> = if device_rate == audio.rate {
        looped
    } else {
        let mut up = Vec::new();
        Resampler::new(audio.rate, device_rate)
            .expect("rates")
            .push(&looped, &mut up);
        up.iter().map(|&s| f32::from(s) / 32768.0).collect()
    };

    let mut worker = Worker::new();
    let labels: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
    let recognizer = RecognizerConfig::default();
    let mut listener = match kind {
        Kind::MicroSpeech => {
            let tflm = shared_dir().join("models/tflm");
            let model = worker.load(MODEL_SLOT, tflm.join("micro_speech_quantized.tflite"));
            let pre = worker.load(
                PREPROCESSOR_SLOT,
                tflm.join("audio_preprocessor_int8.tflite"),
            );
            let kind = ModelKind::MicroSpeech {
                labels,
                every: 5,
                recognizer,
            };
            Listener::new(kind, &model, Some(&pre), device_rate).expect("listener")
        }
        Kind::Keyword => {
            let path =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/keyword/keyword.tflite");
            let model = worker.load(MODEL_SLOT, path);
            Listener::new(
                ModelKind::Commands {
                    labels,
                    every: 10,
                    recognizer,
                },
                &model,
                None,
                device_rate,
            )
            .expect("listener")
        }
        Kind::WakeWord(tflite) => {
            let json: serde_json::Value = serde_json::from_slice(
                &std::fs::read(tflite.with_extension("json")).expect("the model's .json"),
            )
            .expect("JSON");
            let kind = ModelKind::WakeWord {
                name: json["wake_word"].as_str().expect("wake_word").to_string(),
                cutoff: json["micro"]["probability_cutoff"]
                    .as_f64()
                    .expect("cutoff") as f32,
                window: json["micro"]["sliding_window_size"]
                    .as_u64()
                    .expect("window") as usize,
            };
            let model = worker.load(MODEL_SLOT, tflite);
            Listener::new(kind, &model, None, device_rate).expect("listener")
        }
    };
    for block in device.chunks(128) {
        let mut jobs = listener.push(block);
        while let Some(job) = jobs.pop() {
            let answers = worker.send(RunnerRequest::Invoke {
                slot: job.slot,
                tag: job.time_ms,
                inputs: vec![job.input],
            });
            for a in answers {
                let RunnerResponse::Invoked {
                    slot,
                    tag,
                    result: Ok(inv),
                } = a
                else {
                    panic!("invoke: {a:?}");
                };
                jobs.extend(listener.on_output(slot, tag, &inv.outputs[0].raw));
            }
        }
    }
    listener
        .detections
        .iter()
        .map(|d| d.label.clone())
        .collect()
}

/// Heard `word` at least once and nothing else (a word repeats after the suppression time,
/// 1.5 s, and the file loops for 3 s).
fn only(found: &[String], word: &str) -> bool {
    !found.is_empty() && found.iter().all(|w| w == word)
}

#[test]
fn keyword_hears_yes_and_no_at_16k() {
    let yes = listen("yes_1000ms.wav", 16000, 3, false);
    assert!(only(&yes, "yes"), "{yes:?}");
    let no = listen("no_1000ms.wav", 16000, 3, false);
    assert!(only(&no, "no"), "{no:?}");
}

#[test]
fn keyword_hears_them_through_a_48k_device_too() {
    let yes = listen("yes_1000ms.wav", 48000, 3, false);
    assert!(only(&yes, "yes"), "{yes:?}");
    let no = listen("no_1000ms.wav", 48000, 3, false);
    assert!(only(&no, "no"), "{no:?}");
}

#[test]
fn keyword_hears_no_word_in_silence_or_noise() {
    for file in ["silence_1000ms.wav", "noise_1000ms.wav"] {
        let words: Vec<_> = listen(file, 16000, 3, false)
            .into_iter()
            .filter(|w| w != "unknown")
            .collect();
        assert!(words.is_empty(), "{file}: {words:?}");
    }
}

#[test]
fn micro_speech_through_its_audio_preprocessor() {
    let yes = listen("yes_1000ms.wav", 16000, 3, true);
    assert!(only(&yes, "yes"), "{yes:?}");
    let no = listen("no_1000ms.wav", 16000, 3, true);
    assert!(only(&no, "no"), "{no:?}");
}

/// pymicro-wakeword's models folder (`$WAKEWORD_MODELS`, which scripts/test sets).
fn wake_models() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("WAKEWORD_MODELS")?);
    dir.join("okay_nabu.tflite").exists().then_some(dir)
}

#[test]
fn micro_wake_word_streams_with_its_state_and_wakes_on_its_word_only() {
    let Some(models) = wake_models() else {
        eprintln!("skipped: WAKEWORD_MODELS (pymicro-wakeword's models folder) is not set");
        return;
    };
    let model = models.join("okay_nabu.tflite");
    // "okay nabu" by espeak-ng (tests/fixtures/make_okay_nabu.sh), which pymicro-wakeword
    // (TFLite) detects too; through a 48 kHz device as a browser would play it.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/okay_nabu.wav");
    assert_eq!(
        listen_to(&fixture, 48000, 1, Kind::WakeWord(model.clone())),
        vec!["Okay Nabu"]
    );
    assert_eq!(
        listen_to(&fixture, 16000, 1, Kind::WakeWord(model.clone())),
        vec!["Okay Nabu"]
    );
    for file in ["yes_1000ms.wav", "no_1000ms.wav", "noise_1000ms.wav"] {
        let path = shared_dir().join("data/micro_speech").join(file);
        let heard = listen_to(&path, 16000, 3, Kind::WakeWord(model.clone()));
        assert!(heard.is_empty(), "{file}: {heard:?}");
    }
}
