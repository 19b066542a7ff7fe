//! The Wake word page's streaming path on the host: TFLM's recordings through the resampler,
//! the micro frontend, the frame window, the project's keyword model and the recogniser, as the
//! page runs them (the page only adds the microphone and the worker), must hear "yes" in
//! yes_1000ms.wav and "no" in no_1000ms.wav.

use std::path::PathBuf;

use tinyml_engine::{Interpreter, Model};
use tinyml_web::audio::recognize::{Recognizer, RecognizerConfig};
use tinyml_web::audio::resample::Resampler;
use tinyml_web::audio::stream::{FeatureEncoding, FrameWindow, FrontendStream};
use tinyml_web::audio::wav;

const LABELS: [&str; 4] = ["silence", "unknown", "yes", "no"];

fn shared_dir() -> PathBuf {
    match std::env::var("TINYML_SHARED") {
        Ok(p) if PathBuf::from(&p).is_absolute() => PathBuf::from(p),
        Ok(p) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// The labels the recogniser reports as new detections for `file` played `loops` times at
/// `device_rate` (the file is first resampled to that rate, as a browser's audio graph does).
fn detections(file: &str, device_rate: u32, loops: usize) -> Vec<&'static str> {
    let path = shared_dir().join("data/micro_speech").join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let audio = wav::parse(&bytes).expect("a 16-bit WAV");
    let model_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/keyword/keyword.tflite");
    let model_bytes = std::fs::read(&model_path).expect("the shipped keyword model");
    let model = Model::load(&model_bytes).expect("loads");
    let mut arena = vec![0u8; Interpreter::arena_bytes(&model).expect("plans")];
    let mut interp = Interpreter::new(&model, &mut arena).expect("fits");
    let input = interp.input_info(0).expect("input");
    let q = input.quant.expect("int8 input");
    let encoding = FeatureEncoding::Int8 {
        scale: q.scale,
        zero_point: q.zero_point,
    };
    let out_q = interp
        .output_info(0)
        .expect("output")
        .quant
        .expect("int8 output");

    // The "device": the file at the device's rate, looped.
    let looped: Vec<f32> = audio
        .samples
        .iter()
        .copied()
        .cycle()
        .take(audio.samples.len() * loops)
        .collect();
    let mut device = Vec::new();
    if device_rate == audio.rate {
        device = looped;
    } else {
        let mut up = Vec::new();
        Resampler::new(audio.rate, device_rate)
            .expect("rates")
            .push(&looped, &mut up);
        device.extend(up.iter().map(|&s| f32::from(s) / 32768.0));
    }

    // The page's path: 128-sample blocks (an AudioWorklet's), resampled to 16 kHz.
    let mut resampler = Resampler::new(device_rate, 16000).expect("rates");
    let mut frontend = FrontendStream::new();
    let mut window = FrameWindow::new(40, 98, 10);
    let mut recognizer = Recognizer::new(RecognizerConfig::default());
    let mut found = Vec::new();
    let mut frames = 0u64;
    let mut samples = Vec::new();
    for block in device.chunks(128) {
        samples.clear();
        resampler.push(block, &mut samples);
        let mut inputs = Vec::new();
        frontend.push(&samples, |raw| {
            frames += 1;
            let mut frame = Vec::with_capacity(40);
            encoding.encode(raw, &mut frame);
            if let Some(x) = window.push(&frame) {
                inputs.push((frames * 10, x));
            }
        });
        for (time_ms, x) in inputs {
            interp.set_input(0, &x).expect("input size");
            interp.invoke().expect("runs");
            let scores: Vec<f32> = interp
                .output(0)
                .expect("output")
                .iter()
                .map(|&b| (f32::from(b as i8) - out_q.zero_point as f32) * out_q.scale)
                .collect();
            let d = recognizer.process(&scores, time_ms);
            if d.is_new && d.label != 0 {
                found.push(LABELS[d.label]);
            }
        }
    }
    found
}

/// Heard `word` at least once and nothing else (a word repeats after the suppression time,
/// 1.5 s, and the file loops for 3 s).
fn only(found: &[&str], word: &str) -> bool {
    !found.is_empty() && found.iter().all(|w| *w == word)
}

#[test]
fn hears_yes_in_yes_and_no_in_no_at_16k() {
    let yes = detections("yes_1000ms.wav", 16000, 3);
    assert!(only(&yes, "yes"), "{yes:?}");
    let no = detections("no_1000ms.wav", 16000, 3);
    assert!(only(&no, "no"), "{no:?}");
}

#[test]
fn hears_them_through_a_48k_device_too() {
    let yes = detections("yes_1000ms.wav", 48000, 3);
    assert!(only(&yes, "yes"), "{yes:?}");
    let no = detections("no_1000ms.wav", 48000, 3);
    assert!(only(&no, "no"), "{no:?}");
}

#[test]
fn silence_and_noise_are_not_words() {
    for file in ["silence_1000ms.wav", "noise_1000ms.wav"] {
        let words: Vec<_> = detections(file, 16000, 3)
            .into_iter()
            .filter(|w| *w != "unknown")
            .collect();
        assert!(words.is_empty(), "{file}: {words:?}");
    }
}
