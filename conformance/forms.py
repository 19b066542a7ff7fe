#!/usr/bin/env python3
"""Model forms beyond the plain one-op cases:

- buffers given by offset and size after the flatbuffer (the form large models use; TFLM micro
  itself does not read it, so the check is that our outputs equal those of the same model in
  the inline form, which are checked against TFLM);
- TFLM's `OfflineMemoryAllocation` metadata: the plan must put tensors at the given offsets and
  the outputs must still match TFLM;
- several invocations of a model whose arena is reused across ops.

    python3 conformance/forms.py --tinyml target/release/tinyml
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from opbuilder import Graph, s

import compare


def chain(rng, layers=3, width=8):
    """A chain of int8 FULLY_CONNECTED layers."""
    g = Graph()
    x = g.tensor("INT8", [1, width], scale=0.05, zero_point=-2)
    g.inputs = [x]
    cur = x
    for i in range(layers):
        w = g.const("INT8", [width, width], rng.integers(-127, 128, (width, width)), scale=0.02, zero_point=0)
        b = g.const("INT32", [width], rng.integers(-500, 500, width), scale=0.001, zero_point=0)
        y = g.tensor("INT8", [1, width], scale=0.08, zero_point=1)
        g.op("FULLY_CONNECTED", [cur, w, b], [y], options=("FullyConnectedOptions", dict(fusedActivationFunction=1)), version=4)
        cur = y
    g.outputs = [cur]
    return g


def to_offset_form(g):
    """Moves every non-empty buffer's bytes after the flatbuffer, addressed by offset/size."""
    datas = []
    for b in g.model.buffers:
        datas.append(bytes(b.data) if b.data is not None and len(b.data) else None)
        if datas[-1] is not None:
            b.data = None
            b.offset, b.size = 1 << 40, len(datas[-1])  # placeholder, same encoded size
    head = g.build()
    pos = (len(head) + 15) // 16 * 16
    tail = b""
    for b, d in zip(g.model.buffers, datas):
        if d is not None:
            b.offset = pos + len(tail)
            tail += d + b"\0" * ((-len(d)) % 16)
    out = g.build()
    assert len(out) == len(head)
    return out + b"\0" * (pos - len(out)) + tail


def run_ours(tinyml, path, inp, tmp):
    i, o = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
    inp.tofile(i)
    subprocess.run([tinyml, "run", path, "--input", i, "--output", o], check=True, capture_output=True)
    return open(o, "rb").read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyml", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(7)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        inp = rng.integers(-128, 128, (4, 1, 8)).astype(np.int8)

        inline = os.path.join(tmp, "inline.tflite")
        open(inline, "wb").write(chain(np.random.default_rng(1)).build())
        offset = os.path.join(tmp, "offset.tflite")
        open(offset, "wb").write(to_offset_form(chain(np.random.default_rng(1))))
        want = compare.tflm_outputs(inline, [inp], 4)[0]
        got_inline = run_ours(a.tinyml, inline, inp, tmp)
        got_offset = run_ours(a.tinyml, offset, inp, tmp)
        results.append(("inline buffers match TFLM", got_inline == want))
        results.append(("offset/size buffers give the same outputs", got_offset == want))

        # Offline plan: tensors in order [x, w0, b0, y0, w1, b1, y1, w2, b2, y2].
        g = chain(np.random.default_rng(2))
        n = len(g.sg.tensors)
        offsets = [-1] * n
        offsets[0], offsets[3], offsets[6], offsets[9] = 64, 0, 32, 16
        meta_buf = s.BufferT()
        meta_buf.data = list(np.array([0, 0, n] + offsets, dtype=np.int32).tobytes())
        g.model.buffers.append(meta_buf)
        md = s.MetadataT()
        md.name, md.buffer = b"OfflineMemoryAllocation", len(g.model.buffers) - 1
        g.model.metadata = [md]
        planned = os.path.join(tmp, "offline.tflite")
        open(planned, "wb").write(g.build())
        info = json.loads(subprocess.run([a.tinyml, "inspect", planned, "--json"], check=True,
                                         capture_output=True, text=True).stdout)
        where = {p["tensor"]: p["offset"] for p in info["plan"] if p["tensor"] is not None}
        results.append(("offline offsets honoured", all(where.get(t) == offsets[t] for t in (0, 3, 6, 9))))
        want = compare.tflm_outputs(planned, [inp], 4)[0]
        results.append(("offline-planned model matches TFLM", run_ours(a.tinyml, planned, inp, tmp) == want))
    for name, ok in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    passed = sum(ok for _, ok in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
