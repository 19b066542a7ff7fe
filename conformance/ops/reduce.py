"""MEAN, SUM, REDUCE_MAX, REDUCE_MIN cases: int8, int16 (MEAN, SUM), float32; the 4-D mean over
axes 1 and 2 (TFLM's special float path) with and without keep_dims, single axes, negative and
duplicate axes, all axes, a scalar axis tensor, ranks 1 to 6; counts that are and are not powers
of two; the same and different input/output quantization, extreme scale ratios."""
import numpy as np

from edges import log_uniform_f32, mbqm, qm
from opbuilder import Graph

OPS = {"MEAN": 40, "SUM": 74, "REDUCE_MAX": 82, "REDUCE_MIN": 89}

# (input shape, axes, axis tensor shape or None for [len(axes)])
SHAPES = [
    ([1, 4, 4, 3], [1, 2], None),
    ([2, 5, 7, 3], [2, 1], None),
    ([1, 8, 8, 16], [1, 2], None),
    ([3, 4, 5], [0], None),
    ([3, 4, 5], [1], None),
    ([3, 4, 5], [-1], None),
    ([3, 4, 5], [2], []),
    ([2, 3, 4, 5], [0, 1, 2, 3], None),
    ([6], [0], None),
    ([2, 3, 4], [0, 2], None),
    ([2, 3, 4], [1, -2], None),
    ([2, 1, 3, 2, 2, 3], [1, 3, 5], None),
    ([2, 3, 2, 4, 3], [4, 0], None),
    ([1, 16, 16, 2], [1, 2], None),
    ([5, 7], [1], None),
]


def reduced_shape(shape, axes, keep):
    r = len(shape)
    ax = {a % r for a in axes}
    if keep:
        return [1 if i in ax else d for i, d in enumerate(shape)]
    return [d for i, d in enumerate(shape) if i not in ax]


def version(op, dtype):
    if dtype == "INT16":
        return 3 if op == "MEAN" else 1
    return 2 if dtype == "INT8" else 1


def reduce_case(rng, op, dtype, shape, axes, axis_shape, keep, style="random"):
    g = Graph()
    n = int(np.prod([shape[a % len(shape)] for a in set(a % len(shape) for a in axes)]))
    oshape = reduced_shape(shape, axes, keep)
    if dtype == "FLOAT32":
        x = g.tensor("FLOAT32", shape)
        y = g.tensor("FLOAT32", oshape)
    else:
        int8 = dtype == "INT8"
        s_in = float(np.exp(rng.uniform(np.log(0.005), np.log(0.5))))
        z_in = int(rng.integers(-60, 60)) if int8 else 0
        if op in ("REDUCE_MAX", "REDUCE_MIN"):
            s_out, z_out = s_in, z_in
        elif style == "same":
            s_out, z_out = s_in, z_in
        elif style == "extreme":
            s_out = s_in * float(np.exp(rng.uniform(np.log(1e-3), np.log(1e3))))
            z_out = int(rng.integers(-128, 128)) if int8 else 0
        else:
            s_out = s_in * float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
            if op == "SUM":
                s_out *= n * float(rng.uniform(0.05, 0.5))
            z_out = int(rng.integers(-60, 60)) if int8 else 0
        x = g.tensor(dtype, shape, scale=s_in, zero_point=z_in)
        y = g.tensor(dtype, oshape, scale=s_out, zero_point=z_out)
    ashape = [len(axes)] if axis_shape is None else axis_shape
    a = g.const("INT32", ashape, np.array(axes, np.int32).reshape(ashape))
    g.op(op, [x, a], [y], options=("ReducerOptions", dict(keepDims=keep)),
         version=version(op, dtype))
    g.inputs, g.outputs = [x], [y]
    return g.build()


def fold_sensitive_case():
    """An int8 mean over 9 elements at scales where TFLM's truncating division of the widened
    multiplier by n (rather than a rounding one) changes the output for a raw sum of 124; found
    by simulating both over every possible sum. 4096 rows make that sum all but certain."""
    g = Graph()
    x = g.tensor("INT8", [4096, 9], scale=0.010188880376517773, zero_point=45)
    y = g.tensor("INT8", [4096], scale=0.004597925115376711, zero_point=25)
    a = g.const("INT32", [1], np.array([1], np.int32))
    g.op("MEAN", [x, a], [y], options=("ReducerOptions", dict(keepDims=False)), version=2)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def cases(rng):
    out = [("mean_int8_fold", fold_sensitive_case())]
    for op in ["MEAN", "SUM"]:
        for dtype in ["INT8", "INT16", "FLOAT32"]:
            short = dtype.lower()
            for si, (shape, axes, ashape) in enumerate(SHAPES):
                for keep in [True, False]:
                    out.append((f"{op.lower()}_{short}_s{si}_k{int(keep)}",
                                reduce_case(rng, op, dtype, shape, axes, ashape, keep)))
            if dtype != "FLOAT32":
                for style in ["same", "extreme"]:
                    for k, si in enumerate([0, 3, 7, 11]):
                        shape, axes, ashape = SHAPES[si]
                        out.append((f"{op.lower()}_{short}_{style}{k}",
                                    reduce_case(rng, op, dtype, shape, axes, ashape,
                                                keep=bool(k % 2), style=style)))
    for op in ["REDUCE_MAX", "REDUCE_MIN"]:
        for dtype in ["INT8", "FLOAT32"]:
            short = dtype.lower()
            for si in [0, 1, 3, 5, 6, 7, 9, 10, 11, 12]:
                shape, axes, ashape = SHAPES[si]
                keep = bool(si % 2)
                out.append((f"{op.lower()}_{short}_s{si}_k{int(keep)}",
                            reduce_case(rng, op, dtype, shape, axes, ashape, keep)))
    return out


def _sum_outputs(acc, a, b, zo, lo, hi, double):
    """QuantizedMeanOrSum's SUM requantization of raw sums less n * zero point: multiplier
    in_scale / out_scale in double (the oracle) or the quotient in float."""
    q, s = qm(a.astype(np.float64) / b) if double else qm((a / b).astype(np.float64))
    return np.clip(mbqm(acc, q[:, None], s[:, None]) + zo, lo, hi)


def sum_int8_edge(rng):
    """An int8 SUM of pairs at scales where the double and float multipliers requantize a
    central pair sum (x1 + x2 within 40 of 2 * zero point, hit hundreds of times by 4096 random
    rows) to different outputs."""
    zi, zo = -60, 0
    acc = np.arange(-40, 41, dtype=np.int64)[None, :] - 2 * zi
    while True:
        a = log_uniform_f32(rng, 0.01, 0.1, 20000)
        b = (a / rng.uniform(0.3, 0.6, 20000)).astype(np.float32)
        hit = (_sum_outputs(acc, a, b, zo, -128, 127, True)
               != _sum_outputs(acc, a, b, zo, -128, 127, False))
        rows = np.nonzero(hit.sum(axis=1) >= 2)[0]
        if len(rows):
            i = rows[0]
            g = Graph()
            x = g.tensor("INT8", [4096, 2], scale=float(a[i]), zero_point=zi)
            y = g.tensor("INT8", [4096], scale=float(b[i]), zero_point=zo)
            ax = g.const("INT32", [1], np.array([1], np.int32))
            g.op("SUM", [x, ax], [y], options=("ReducerOptions", dict(keepDims=False)),
                 version=version("SUM", "INT8"))
            g.inputs, g.outputs = [x], [y]
            return g.build()


def int16_edges(rng):
    """int16 SUM and MEAN of pairs over 16384 rows at scales where the double and float
    multipliers give different outputs for about one pair sum in two thousand (so dozens of
    rows of random inputs)."""
    out = []
    acc = np.arange(-65536, 65536, 7, dtype=np.int64)[None, :]
    for op in ["SUM", "MEAN"]:
        while True:
            a = log_uniform_f32(rng, 1e-4, 1e-2, 200)
            ratio = rng.uniform(0.35, 0.5, 200) * (1 if op == "SUM" else 2)
            b = (a / ratio).astype(np.float32)
            if op == "SUM":
                d = _sum_outputs(acc, a, b, 0, -32768, 32767, True)
                f = _sum_outputs(acc, a, b, 0, -32768, 32767, False)
            else:
                # MEAN folds the divisor 2 into the multiplier: one more bit, halved exactly.
                qd, sd = qm(a.astype(np.float64) / b)
                qf, sf = qm((a / b).astype(np.float64))
                d = np.clip(mbqm(acc, qd[:, None], sd[:, None] - 1), -32768, 32767)
                f = np.clip(mbqm(acc, qf[:, None], sf[:, None] - 1), -32768, 32767)
            rate = (d != f).mean(axis=1)
            i = int(np.argmax(rate))
            if rate[i] >= 1 / 2000:
                break
        g = Graph()
        x = g.tensor("INT16", [16384, 2], scale=float(a[i]), zero_point=0)
        y = g.tensor("INT16", [16384], scale=float(b[i]), zero_point=0)
        ax = g.const("INT32", [1], np.array([1], np.int32))
        g.op(op, [x, ax], [y], options=("ReducerOptions", dict(keepDims=False)),
             version=version(op, "INT16"))
        g.inputs, g.outputs = [x], [y]
        out.append((f"{op.lower()}_int16_multiplier_edge", g.build()))
    return out


_plain_cases = cases


def cases(rng):  # noqa: F811 - extends the plain cases with the multiplier edge cases
    erng = np.random.default_rng(int(rng.integers(1 << 30)))
    return (_plain_cases(rng) + [("sum_int8_multiplier_edge", sum_int8_edge(erng))]
            + int16_edges(erng))
