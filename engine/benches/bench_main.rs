//! Criterion benchmarks: a whole invoke of each TFLM example model, throughput in MACs; and
//! one frame of the audio micro frontend (microWakeWord configuration), throughput in frames.
//!
//! `cargo bench -p tinyml-engine` (models from `../shared/models/tflm`, or `$TINYML_SHARED`).
//! For the side-by-side comparison with TFLM itself, see `conformance/bench_vs_tflm.py` and
//! BENCHMARKS.md.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tinyml_engine::frontend::{Frontend, FrontendConfig};
use tinyml_engine::{Interpreter, Model};

fn shared() -> PathBuf {
    std::env::var("TINYML_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

fn models(c: &mut Criterion) {
    let mut group = c.benchmark_group("invoke");
    for name in [
        "hello_world_int8",
        "micro_speech_quantized",
        "person_detect",
        "keyword_scrambled_8bit",
        "trained_lstm_int8",
    ] {
        let path = shared().join("models/tflm").join(format!("{name}.tflite"));
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("skipping {name}: {} not found", path.display());
            continue;
        };
        let model = match Model::load(&bytes) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("skipping {name}: {e}");
                continue;
            }
        };
        let size = Interpreter::arena_bytes(&model).expect("plannable model");
        let mut arena = vec![0u8; size];
        let mut interp = Interpreter::new(&model, &mut arena).expect("arena of the planned size");
        let macs: u64 = (0..model.op_count(0).unwrap_or(0))
            .map(|i| interp.op_macs(0, i).unwrap_or(0))
            .sum();
        group.throughput(Throughput::Elements(macs.max(1)));
        group.bench_function(name, |b| b.iter(|| interp.invoke().expect("invoke")));
    }
    group.finish();
}

/// One 10 ms step of audio in, one 40-channel frame out (steady state: the window is full).
fn frontend(c: &mut Criterion) {
    let mut fe = Box::new(Frontend::EMPTY);
    fe.configure(&FrontendConfig::MICRO_WAKEWORD)
        .expect("preset configures");
    // A tone in pseudo-random noise, one second long.
    let mut seed = 1u32;
    let audio: Vec<i16> = (0..16_000)
        .map(|i| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 20) as i32 - 2048;
            let tone = (8000.0 * (i as f32 * 0.2).sin()) as i32;
            (tone + noise) as i16
        })
        .collect();
    let (_, first) = fe.process_samples(&audio[..480]);
    assert!(first.is_some());
    let mut group = c.benchmark_group("frontend");
    group.throughput(Throughput::Elements(1));
    let mut pos = 480;
    group.bench_function("micro_wakeword_frame", |b| {
        b.iter(|| {
            if pos + 160 > audio.len() {
                pos = 0;
            }
            let (taken, out) = fe.process_samples(&audio[pos..pos + 160]);
            pos += taken;
            out.map(|f| f[0])
        })
    });
    group.finish();
}

criterion_group!(benches, models, frontend);
criterion_main!(benches);
