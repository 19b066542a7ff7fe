#!/usr/bin/env python3
"""Bit-exact conformance of TFLM's audio front end, `audio_preprocessor_int8.tflite` (TFLM
Signal custom ops), on real speech: every 30 ms window (480 samples at 16 kHz, hop 320 — 20 ms)
of each WAV in ../shared/data/micro_speech, fed in sequence to one interpreter (the noise
estimate of the spectral subtraction is state carried from window to window), through our
engine (`tinyml run`) and through TFLM (PyPI `tflite-micro`). Also all files back to back in
one stream, and synthetic streams for the edge cases: digital silence (FftAutoScale of all
zeros), full-scale square waves (-32768 samples) and a sweep.

    python3 conformance/audio_preprocessor.py --tinyml target/debug/tinyml [--data DIR] [--model M]

Prints one line per stream and 'N passed, N failed'; exits non-zero on any difference.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np
from tflite_micro.python.tflite_micro import runtime

WINDOW = 480
HOP = 320


def read_wav(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


def windows(samples):
    """(k, 1, 480) int16: 480-sample windows every 320 samples."""
    if len(samples) < WINDOW:
        samples = np.concatenate([samples, np.zeros(WINDOW - len(samples), np.int16)])
    starts = range(0, len(samples) - WINDOW + 1, HOP)
    return np.stack([samples[s:s + WINDOW] for s in starts]).reshape(-1, 1, WINDOW)


def tflm(model, frames):
    interp = runtime.Interpreter.from_file(model)
    out = []
    for f in frames:
        interp.set_input(f, 0)
        interp.invoke()
        out.append(np.array(interp.get_output(0)).tobytes())
    return b"".join(out)


def ours(tinyml, model, frames, tmp):
    src, dst = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
    frames.astype("<i2").tofile(src)
    r = subprocess.run([tinyml, "run", model, "--input", src, "--output", dst],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return open(dst, "rb").read()


def synthetic():
    t = np.arange(16000)
    square = np.where((t // 16) % 2 == 0, 32767, -32768).astype(np.int16)
    sweep = (20000 * np.sin(2 * np.pi * (50 + 7950 * t / 16000) * t / 16000)).astype(np.int16)
    quiet = (np.random.default_rng(7).integers(-3, 4, 16000)).astype(np.int16)
    return {
        "digital silence": np.zeros(16000, np.int16),
        "silence then speech-level noise": np.concatenate(
            [np.zeros(4000, np.int16),
             np.random.default_rng(3).integers(-3000, 3000, 12000).astype(np.int16)]),
        "full-scale square wave": square,
        "sweep 50 Hz to 8 kHz": sweep,
        "quiet dither (+-3)": quiet,
        "all -32768": np.full(4000, -32768, np.int16),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("TINYML_SHARED", os.path.join(here, "..", "..", "shared"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyml", required=True)
    ap.add_argument("--data", default=os.path.join(shared, "data", "micro_speech"))
    ap.add_argument("--model", default=os.path.join(shared, "models", "tflm",
                                                    "audio_preprocessor_int8.tflite"))
    a = ap.parse_args()
    streams = {}
    wavs = sorted(glob.glob(os.path.join(a.data, "*.wav")))
    if not wavs:
        print(f"no WAV files in {a.data}", file=sys.stderr)
        sys.exit(1)
    for path in wavs:
        streams[os.path.basename(path)] = windows(read_wav(path))
    streams["all files, one stream"] = np.concatenate(list(streams.values()))
    for name, samples in synthetic().items():
        streams[name] = windows(samples)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, frames in streams.items():
            want = tflm(a.model, frames)
            try:
                got = ours(a.tinyml, a.model, frames, tmp)
            except RuntimeError as e:
                got = None
                detail = f"error: {e}"
            if got == want:
                passed += 1
                print(f"ok   {name} ({len(frames)} windows)")
                continue
            failed += 1
            if got is not None:
                w, g = np.frombuffer(want, np.int8), np.frombuffer(got, np.int8)
                if len(w) != len(g):
                    detail = "size differs"
                else:
                    bad = np.nonzero(w != g)[0]
                    detail = (f"{len(bad)} of {len(w)} features differ, first in window "
                              f"{bad[0] // 40} channel {bad[0] % 40}")
            print(f"FAIL {name}: {detail}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
