#!/usr/bin/env python3
"""The audio micro frontend against TFLM's own C implementation, as PyPI `pymicro-features`
wraps it (the microWakeWord configuration: 16 kHz, 30 ms window, 10 ms step, 40 channels).

`tinyml features WAV --preset micro_wakeword --output F` must write exactly the oracle's
features: the oracle returns each raw u16 value times 0.0390625 (= 5/128, so the float is
exact and dividing it back gives the integer; the script checks that it does).

Inputs: every WAV in the micro_speech data folder (`--data`, default
`$TINYML_SHARED/data/micro_speech` or `../shared/data/micro_speech`), those recordings scaled
quietly and loudly (with clipping) and concatenated, and synthetic signals (silence, tones,
chirps, noise at several levels, clipping, full-scale square waves, impulses, DC) of several
lengths, including ones shorter than a frame and ones that are not a whole number of steps.
Also checks that WAVs the frontend cannot take are refused with an error, not a crash.

Prints one line per case (with --quiet, failures only) and a closing 'N passed, N failed';
exits non-zero on failure.

    python3 conformance/frontend.py --tinyml target/release/tinyml
"""
import argparse
import os
import subprocess
import sys
import tempfile
import wave

import numpy as np
from pymicro_features import MicroFrontend

RATE = 16000
CHANNELS = 40
STEP = 160  # samples per 10 ms; the oracle takes exactly one step per call
SCALE = 0.0390625


def oracle(samples):
    """Raw u16 features from pymicro-features, fed 10 ms at a time as microWakeWord does."""
    pcm = samples.astype("<i2").tobytes()
    fe = MicroFrontend()
    frames = []
    for i in range(0, len(samples) - STEP + 1, STEP):
        out = fe.process_samples(pcm[2 * i : 2 * i + 2 * STEP])
        assert out.samples_read == STEP, out.samples_read
        if out.features:
            raw = np.array(out.features, dtype=np.float64) / SCALE
            assert np.array_equal(raw, np.round(raw)), "oracle value not a multiple of 5/128"
            assert len(raw) == CHANNELS
            frames.append(raw.astype(np.int64))
    return np.array(frames, dtype=np.int64).reshape(-1, CHANNELS)


def write_wav(path, samples, rate=RATE, channels=1, width=2):
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE), path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def ours(tinyml, wav_path, out_path):
    r = subprocess.run(
        [tinyml, "features", wav_path, "--preset", "micro_wakeword", "--output", out_path],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"tinyml failed: {r.stderr.strip()}")
    data = np.fromfile(out_path, dtype="<u2").astype(np.int64)
    if len(data) % CHANNELS:
        raise RuntimeError(f"{len(data)} values is not a whole number of {CHANNELS}-value frames")
    return data.reshape(-1, CHANNELS)


def clip16(x):
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def synthetic(rng):
    """(name, samples) pairs."""
    t = lambda n: np.arange(n) / RATE  # noqa: E731
    cases = []
    for n in [0, 159, 479, 480, 481, 640, 1000, 4321, 16000]:
        cases.append((f"silence_{n}", np.zeros(n, np.int16)))
    for freq, amp in [(100, 8000), (440, 3000), (1000, 32767), (3000, 12000), (7000, 20000), (7900, 16000)]:
        for n in [480, 1700, 16000]:
            cases.append((f"tone_{freq}Hz_amp{amp}_{n}", clip16(amp * np.sin(2 * np.pi * freq * t(n)))))
    for n in [480, 16000]:
        # chirp 50 Hz -> 8 kHz
        ph = 2 * np.pi * (50 * t(n) + (7950 / (2 * t(n)[-1] if n > 1 else 1)) * t(n) ** 2)
        cases.append((f"chirp_{n}", clip16(20000 * np.sin(ph))))
    for amp in [1, 3, 30, 300, 3000, 30000]:
        for n in [480, 2345, 16000]:
            cases.append((f"noise_amp{amp}_{n}", clip16(rng.normal(0, amp, n))))
    for n in [480, 5000, 16000]:
        cases.append((f"noise_uniform_fullscale_{n}", rng.integers(-32768, 32768, n, dtype=np.int64).astype(np.int16)))
    for gain in [2, 10, 100]:
        cases.append((f"clipped_tone_x{gain}", clip16(gain * 32767 * np.sin(2 * np.pi * 523 * t(8000)))))
    square = np.where((np.arange(16000) // 8) % 2 == 0, 32767, -32768).astype(np.int16)
    cases.append(("square_1kHz_fullscale", square))
    alt = np.where(np.arange(4800) % 2 == 0, 32767, -32768).astype(np.int16)
    cases.append(("alternating_nyquist_fullscale", alt))
    cases.append(("min_value_constant", np.full(4800, -32768, np.int16)))
    cases.append(("max_value_constant", np.full(4800, 32767, np.int16)))
    cases.append(("dc_1000", np.full(4800, 1000, np.int16)))
    imp = np.zeros(16000, np.int16)
    imp[::1234] = 32767
    imp[617::1234] = -32768
    cases.append(("impulses", imp))
    # noise that turns into a loud tone and back: noise estimate and PCAN adaptation
    n = 48000
    sig = rng.normal(0, 200, n)
    sig[16000:32000] += 25000 * np.sin(2 * np.pi * 1200 * t(16000))
    cases.append(("noise_tone_noise_3s", clip16(sig)))
    return cases


def random_signals(rng, count):
    """Random mixtures: tones, noise, bursts and silences, at random gains (often clipping)."""
    cases = []
    for i in range(count):
        n = int(rng.integers(0, 24000))
        t = np.arange(n) / RATE
        x = np.zeros(n)
        for _ in range(int(rng.integers(0, 4))):
            x += rng.uniform(0, 20000) * np.sin(2 * np.pi * rng.uniform(20, 8000) * t + rng.uniform(0, 6.3))
        x += rng.normal(0, 10 ** rng.uniform(0, 4.5), n)
        envelope = np.repeat(rng.uniform(0, 1, n // 400 + 1) ** 2, 400)[:n]
        x *= envelope * 10 ** rng.uniform(-2, 1)
        cases.append((f"random_{i}_{n}", clip16(x)))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tinyml", default="target/release/tinyml")
    shared = os.environ.get("TINYML_SHARED", "../shared")
    ap.add_argument("--data", default=os.path.join(shared, "data", "micro_speech"))
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--random", type=int, default=20, help="random mixed signals to add")
    ap.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = ap.parse_args()

    cases = []
    if not os.path.isdir(args.data):
        print(f"FAIL data folder {args.data} not found")
        print("0 passed, 1 failed")
        sys.exit(1)
    real = []
    for name in sorted(os.listdir(args.data)):
        if name.endswith(".wav"):
            x = read_wav(os.path.join(args.data, name))
            real.append(x)
            cases.append((name, x))
    if not real:
        print(f"FAIL no WAV files in {args.data}")
        print("0 passed, 1 failed")
        sys.exit(1)
    joined = np.concatenate(real)
    cases.append(("micro_speech_all_concatenated", joined))
    cases.append(("micro_speech_all_x0.01", clip16(joined * 0.01)))
    cases.append(("micro_speech_all_x8_clipped", clip16(joined.astype(np.float64) * 8)))
    rng = np.random.default_rng(args.seed)
    cases += synthetic(rng)
    cases += random_signals(rng, args.random)

    passed = failed = 0
    frames_total = 0
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = os.path.join(tmp, "in.wav")
        out_path = os.path.join(tmp, "out.u16")
        for name, samples in cases:
            samples = np.ascontiguousarray(samples, dtype="<i2")
            write_wav(wav_path, samples)
            want = oracle(samples)
            try:
                got = ours(args.tinyml, wav_path, out_path)
            except RuntimeError as e:
                print(f"FAIL {name}: {e}")
                failed += 1
                continue
            if got.shape == want.shape and np.array_equal(got, want):
                if not args.quiet:
                    print(f"ok   {name} ({len(want)} frames)")
                passed += 1
                frames_total += len(want)
                continue
            failed += 1
            if got.shape != want.shape:
                print(f"FAIL {name}: {len(got)} frames, oracle {len(want)}")
            else:
                f, c = np.argwhere(got != want)[0]
                n = int((got != want).sum())
                print(f"FAIL {name}: {n} values differ; first at frame {f} channel {c}: ours {got[f, c]}, oracle {want[f, c]}")

        # Formats the frontend cannot take: refused with a message, never a crash.
        tone = clip16(8000 * np.sin(2 * np.pi * 440 * np.arange(4800) / RATE))
        bad = [
            ("rejects_8kHz", lambda p: write_wav(p, tone, rate=8000), "sample rate"),
            ("rejects_stereo", lambda p: write_wav(p, np.repeat(tone, 2), channels=2), "channels"),
            ("rejects_8bit", lambda p: write_wav(p, (tone // 256 + 128).astype(np.uint8), width=1), "8-bit"),
            ("rejects_not_wav", lambda p: open(p, "wb").write(b"not a wav file at all"), "not a WAV"),
        ]
        for name, make, expect in bad:
            make(wav_path)
            r = subprocess.run(
                [args.tinyml, "features", wav_path, "--preset", "micro_wakeword", "--output", out_path],
                capture_output=True,
                text=True,
            )
            msg = r.stderr.strip()
            if r.returncode == 1 and expect in msg and "panicked" not in msg:
                if not args.quiet:
                    print(f"ok   {name}: {msg}")
                passed += 1
            else:
                print(f"FAIL {name}: exit {r.returncode}, stderr {msg!r}")
                failed += 1

    print(f"({frames_total} frames of {CHANNELS} features compared)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
