//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the repository (or `$TINYML_SHARED`).
pub fn shared_dir() -> PathBuf {
    if let Ok(p) = std::env::var("TINYML_SHARED") {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            return p;
        }
        return PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// The TFLM example models the engine must run, with TFLM's own arena figure for each
/// (RecordingMicroAllocator, PyPI tflite-micro, as listed in shared/README.md; the audio
/// preprocessor's measured the same way).
pub const TFLM_MODELS: &[(&str, usize)] = &[
    ("hello_world_int8.tflite", 1504),
    ("audio_preprocessor_int8.tflite", 10216),
    ("hello_world_float.tflite", usize::MAX),
    ("micro_speech_quantized.tflite", 7584),
    ("person_detect.tflite", 85264),
    ("keyword_scrambled_8bit.tflite", 10032),
    ("trained_lstm_int8.tflite", 4208),
];

/// Reads a model from shared/models/tflm.
pub fn model_bytes(name: &str) -> Vec<u8> {
    let path = shared_dir().join("models/tflm").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small xorshift generator: deterministic tests without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}
