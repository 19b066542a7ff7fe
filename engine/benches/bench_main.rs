//! Criterion benchmarks: a whole invoke of each TFLM example model, throughput in MACs.
//!
//! `cargo bench -p tinyml-engine` (models from `../shared/models/tflm`, or `$TINYML_SHARED`).
//! For the side-by-side comparison with TFLM itself, see `conformance/bench_vs_tflm.py` and
//! BENCHMARKS.md.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

criterion_group!(benches, models);
criterion_main!(benches);
