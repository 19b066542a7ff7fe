#!/usr/bin/env python3
"""Bit-exact conformance: our engine (`tinyml run`) against TFLM (PyPI `tflite-micro`).

For each model: several seeds, full-range and narrow-range random inputs, and several
invocations in sequence (state carried, for streaming models). Every output byte must match.

    python3 conformance/compare.py --tinyml target/release/tinyml MODEL.tflite [MODEL..]

Prints one line per model and a closing 'N passed, N failed' line; exits non-zero on failure.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

RANGES = {
    np.int8: (-128, 127),
    np.uint8: (0, 255),
    np.int16: (-32768, 32767),
    np.int32: (-1000, 1000),
    np.int64: (-1000, 1000),
    np.uint32: (0, 2**32 - 1),
    np.uint64: (0, 2**62),
}


def make_inputs(details, rng, narrow, invocations):
    """A list (per input) of arrays shaped (invocations, *shape)."""
    out = []
    for d in details:
        dtype = d["dtype"]
        shape = (invocations, *d["shape"])
        if dtype == np.float32:
            lim = 0.5 if narrow else 4.0
            out.append(rng.uniform(-lim, lim, size=shape).astype(np.float32))
        elif dtype == np.bool_:
            out.append(rng.integers(0, 2, size=shape).astype(np.bool_))
        else:
            lo, hi = RANGES[dtype]
            if narrow:
                zp = int(d["quantization_parameters"]["zero_points"][0]) if len(
                    d["quantization_parameters"]["zero_points"]) else 0
                span = 12 if dtype in (np.int8, np.uint8) else 600
                lo, hi = max(lo, zp - span), min(hi, zp + span)
            out.append(rng.integers(lo, hi + 1, size=shape, dtype=np.int64).astype(dtype))
    return out


def io_counts(path):
    """(inputs, outputs) of subgraph 0, read from the schema (the runtime has no count call)."""
    m = schema.Model.GetRootAsModel(open(path, "rb").read(), 0)
    sg = m.Subgraphs(0)
    return sg.InputsLength(), sg.OutputsLength()


def tflm_outputs(path, inputs, invocations):
    interp = runtime.Interpreter.from_file(path, arena_size=8 << 20)
    n_out = io_counts(path)[1]
    outs = [[] for _ in range(n_out)]
    for k in range(invocations):
        for i, arr in enumerate(inputs):
            interp.set_input(arr[k], i)
        interp.invoke()
        for o in range(n_out):
            outs[o].append(np.array(interp.get_output(o)).tobytes())
    return [b"".join(o) for o in outs]


def ours(tinyml, path, inputs, n_out, tmp):
    args = [tinyml, "run", path]
    for i, arr in enumerate(inputs):
        f = os.path.join(tmp, f"in{i}.bin")
        arr.tofile(f)
        args += ["--input", f]
    files = [os.path.join(tmp, f"out{o}.bin") for o in range(n_out)]
    for f in files:
        args += ["--output", f]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return [open(f, "rb").read() for f in files]


def input_details(path):
    interp = runtime.Interpreter.from_file(path, arena_size=8 << 20)
    return [interp.get_input_details(i) for i in range(io_counts(path)[0])]


def check(tinyml, path, seeds, invocations):
    details = input_details(path)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for narrow in (False, True):
                rng = np.random.default_rng(seed)
                inputs = make_inputs(details, rng, narrow, invocations)
                want = tflm_outputs(path, inputs, invocations)
                got = ours(tinyml, path, inputs, len(want), tmp)
                for o, (w, g) in enumerate(zip(want, got)):
                    if w != g:
                        wa = np.frombuffer(w, np.uint8)
                        ga = np.frombuffer(g, np.uint8) if len(g) == len(w) else None
                        diff = "size differs" if ga is None else f"{int((wa != ga).sum())} bytes differ, first at {int(np.argmax(wa != ga))}"
                        failures.append(f"seed {seed} narrow={narrow} output {o}: {diff}")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyml", required=True)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--invocations", type=int, default=3)
    ap.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    passed = failed = 0
    for m in a.models:
        try:
            failures = check(a.tinyml, m, list(range(a.seeds)), a.invocations)
        except Exception as e:  # noqa: BLE001 - report any failure against the model
            failures = [f"error: {e}"]
        name = os.path.basename(m)
        if failures:
            failed += 1
            print(f"FAIL {name}")
            for f in failures[:6]:
                print(f"     {f}")
        else:
            passed += 1
            if not a.quiet:
                print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
