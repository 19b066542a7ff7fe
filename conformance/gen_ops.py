#!/usr/bin/env python3
"""Writes the one-op conformance models: every module in conformance/ops/ contributes
`cases(rng)`, a list of (name, model bytes) covering its ops' parameters (types, shapes,
strides, padding, activations, quantization). Deterministic for a given seed.

    python3 conformance/gen_ops.py OUT_DIR [--only FAMILY]
"""
import argparse
import importlib
import os
import pkgutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ops  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    count = 0
    for m in sorted(pkgutil.iter_modules(ops.__path__), key=lambda m: m.name):
        if a.only and m.name not in a.only:
            continue
        module = importlib.import_module(f"ops.{m.name}")
        rng = np.random.default_rng(a.seed)
        for name, data in module.cases(rng):
            with open(os.path.join(a.out, f"{m.name}__{name}.tflite"), "wb") as f:
                f.write(data)
            count += 1
    print(f"wrote {count} models to {a.out}")


if __name__ == "__main__":
    main()
