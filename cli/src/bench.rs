//! `tinyml bench`.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::json;
use tinyml_engine::{Interpreter, Model, OpEvent, Profiler};

use crate::read_model;

/// A profiler on the host's monotonic clock, in nanoseconds.
struct Clock {
    start: Instant,
    events: Vec<OpEvent>,
}

impl Profiler for Clock {
    fn now(&mut self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
    fn record(&mut self, event: &OpEvent) {
        self.events.push(*event);
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Benchmarks the model on deterministic pseudo-random inputs.
pub fn bench(path: &Path, iterations: usize, as_json: bool) -> Result<()> {
    if iterations == 0 {
        bail!("--iterations must be at least 1");
    }
    let mut out = String::new();
    let bytes = read_model(path)?;
    let model = Model::load(&bytes).with_context(|| format!("{}", path.display()))?;
    let arena_bytes = Interpreter::arena_bytes(&model)?;
    let mut arena = vec![0u8; arena_bytes];
    let mut interp = Interpreter::new(&model, &mut arena)?;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for i in 0..interp.input_count() {
        for b in interp.input_mut(i)?.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = (seed >> 24) as u8;
        }
    }
    // Warm-up (also runs CALL_ONCE initialisers).
    for _ in 0..iterations.clamp(1, 10) {
        interp.invoke()?;
    }
    let mut totals = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        interp.invoke()?;
        totals.push(t.elapsed().as_secs_f64() * 1e6);
    }
    // Per-op breakdown from separate profiled runs.
    let mut clock = Clock {
        start: Instant::now(),
        events: Vec::new(),
    };
    let profiled = iterations.min(50);
    let mut per_op: Vec<(OpEvent, Vec<f64>)> = Vec::new();
    for _ in 0..profiled {
        clock.events.clear();
        interp.invoke_profiled(&mut clock)?;
        for (k, e) in clock.events.iter().enumerate() {
            if per_op.len() <= k {
                per_op.push((*e, Vec::new()));
            }
            per_op[k].1.push(e.ticks as f64 / 1e3);
        }
    }
    let min_us = totals.iter().cloned().fold(f64::INFINITY, f64::min);
    let median_us = median(&mut totals);
    let op_medians: Vec<f64> = per_op.iter_mut().map(|(_, v)| median(v)).collect();
    let op_total: f64 = op_medians.iter().sum::<f64>().max(1e-9);
    let ops: Vec<_> = per_op
        .iter()
        .zip(&op_medians)
        .map(|((e, _), &us)| {
            json!({
                "subgraph": e.subgraph,
                "index": e.index,
                "op": e.op,
                "median_us": us,
                "macs": e.macs,
                "share": us / op_total,
            })
        })
        .collect();
    if as_json {
        outln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json!({
                "model": path.display().to_string(),
                "iterations": iterations,
                "median_us": median_us,
                "min_us": min_us,
                "arena_bytes": arena_bytes,
                "ops": ops,
            }))?
        );
    } else {
        outln!(
            out,
            "{}: median {:.1} us, min {:.1} us over {} runs",
            path.display(),
            median_us,
            min_us,
            iterations
        );
        for o in &ops {
            outln!(
                out,
                "  [{}:{}] {:<24} {:>10.1} us {:>6.1}%  {} MACs",
                o["subgraph"],
                o["index"],
                o["op"].as_str().unwrap_or(""),
                o["median_us"].as_f64().unwrap_or(0.0),
                100.0 * o["share"].as_f64().unwrap_or(0.0),
                o["macs"]
            );
        }
    }
    crate::emit(&out)
}
