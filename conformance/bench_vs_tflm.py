#!/usr/bin/env python3
"""Times our engine and TFLM side by side in one run and prints the ratio.

    python3 conformance/bench_vs_tflm.py --tinyml target/release/tinyml MODEL.tflite [..]

TFLM: PyPI `tflite-micro` (reference kernels), `invoke()` timed with perf_counter_ns around each
call (the Python call costs about a microsecond, which matters only for the tiniest models).
Ours: `tinyml bench --json` (the Rust engine timed in-process). Same inputs kind (random int8),
same machine, same moment. Medians over the given number of runs.
"""
import argparse
import sys
import json
import os
import subprocess
import time

import numpy as np
from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema


def tflm_median_us(path, iterations):
    interp = runtime.Interpreter.from_file(path, arena_size=8 << 20)
    m = schema.Model.GetRootAsModel(open(path, "rb").read(), 0)
    rng = np.random.default_rng(0)
    for i in range(m.Subgraphs(0).InputsLength()):
        d = interp.get_input_details(i)
        if d["dtype"] == np.float32:
            interp.set_input(rng.uniform(-1, 1, d["shape"]).astype(np.float32), i)
        else:
            info = np.iinfo(d["dtype"])
            interp.set_input(rng.integers(info.min, info.max, d["shape"], endpoint=True).astype(d["dtype"]), i)
    for _ in range(min(10, iterations)):
        interp.invoke()
    times = []
    for _ in range(iterations):
        t = time.perf_counter_ns()
        interp.invoke()
        times.append((time.perf_counter_ns() - t) / 1e3)
    return float(np.median(times)), float(np.min(times))


def tflm_arena(path):
    """TFLM's arena total (RecordingMicroAllocator), read from print_allocations()."""
    code = ("from tflite_micro.python.tflite_micro import runtime; import sys; "
            "runtime.Interpreter.from_file(sys.argv[1], arena_size=8 << 20).print_allocations()")
    r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True)
    out = r.stdout + r.stderr
    for line in out.splitlines():
        if "Arena allocation total" in line:
            return int(line.split("total")[1].split()[0])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyml", required=True)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    print("| model | TFLM median (us) | tinyml median (us) | speed-up | TFLM arena (B) | tinyml arena (B) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for path in a.models:
        ours = json.loads(subprocess.run(
            [a.tinyml, "bench", path, "--iterations", str(a.iterations), "--json"],
            check=True, capture_output=True, text=True).stdout)
        tflm, _ = tflm_median_us(path, a.iterations)
        arena = tflm_arena(path)
        print(f"| {os.path.basename(path)} | {tflm:.1f} | {ours['median_us']:.1f} | "
              f"{tflm / max(ours['median_us'], 1e-9):.2f}x | {arena:,} | {ours['arena_bytes']:,} |")


if __name__ == "__main__":
    main()
