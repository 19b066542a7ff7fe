"""Search helpers for multiplier edge cases: scales for which a requantization multiplier
computed from a float product/quotient of the tensor scales and one computed in double give
different `QuantizeMultiplier` results, and accumulators that the two multipliers round to
different outputs. The ops/ modules use them to build cases that tell the oracle's choice apart
(the engine must make the same choice, bit for bit).

Everything is vectorised numpy over int64/float64 arrays and deterministic for a given rng.
"""
import numpy as np

f32 = np.float32


def qm(m):
    """TFLM `QuantizeMultiplier` over an array of positive doubles: (q, shift) int64 arrays."""
    m = np.asarray(m, np.float64)
    mant, e = np.frexp(m)
    q = np.floor(mant * float(1 << 31) + 0.5).astype(np.int64)  # exact: round half away
    e = e.astype(np.int64)
    top = q == (1 << 31)
    q = np.where(top, q // 2, q)
    e = np.where(top, e + 1, e)
    small = e < -31
    return np.where(small, 0, q), np.where(small, 0, e)


def trunc_div_pot(v, n):
    """C's `v / 2^n` (truncating toward zero) on int64."""
    return np.where(v >= 0, v >> n, -((-v) >> n))


def rdbpot(x, e):
    """gemmlowp `RoundingDivideByPOT` (half away from zero) on int64, exponent array >= 0."""
    e = np.asarray(e, np.int64)
    mask = (np.int64(1) << e) - 1
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + ((x & mask) > threshold)


def srdhm(a, b):
    """gemmlowp `SaturatingRoundingDoublingHighMul` on int64 holding int32 values."""
    ab = a * b
    return trunc_div_pot(ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30)), 31)


def mbqm(x, q, s):
    """TFLM's double-rounding `MultiplyByQuantizedMultiplier(int32, q, shift)` (x int64)."""
    s = np.asarray(s, np.int64)
    x = x * (np.int64(1) << np.maximum(s, 0))
    return rdbpot(srdhm(x, q), np.maximum(-s, 0))


def mbqm64(x, q, s):
    """TFLM `MultiplyByQuantizedMultiplier(int64, q, shift)`: q reduced to 16 bits first."""
    q = np.asarray(q, np.int64)
    reduced = np.where(q < 0x7FFF0000, (q + (1 << 15)) >> 16, 0x7FFF)
    total = 15 - np.asarray(s, np.int64)
    return (x * reduced + (np.int64(1) << (total - 1))) >> total


def boundary_accs(m, lo, hi, spread=1, step=1):
    """For each multiplier in `m` (shape [n]), the accumulators next to the rounding boundaries
    (every `step`-th) whose output lands in [lo, hi]: an int64 array [n, k]. Near (y + 1/2) / m
    the two candidate multipliers are most likely to round apart."""
    ys = np.arange(lo, hi, step, dtype=np.float64) + 0.5
    centre = np.round(ys[None, :] / np.asarray(m, np.float64)[:, None]).astype(np.int64)
    offs = np.arange(-spread, spread + 1, dtype=np.int64)
    return (centre[:, :, None] + offs[None, None, :]).reshape(len(m), -1)


def log_uniform_f32(rng, lo, hi, n):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n)).astype(np.float32)
