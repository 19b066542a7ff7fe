"""FULLY_CONNECTED cases: int8 per-tensor and per-channel, 16x8 (int64 and int32 bias),
float32; with and without bias; every fused activation; batches; keep_num_dims shapes."""
import numpy as np

from opbuilder import Graph

ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6


def fc_case(rng, kind, batches, depth, units, act, bias, per_channel):
    g = Graph()
    if kind == "float":
        x = g.tensor("FLOAT32", [batches, depth])
        w = g.const("FLOAT32", [units, depth], rng.normal(0, 0.5, (units, depth)))
        b = g.const("FLOAT32", [units], rng.normal(0, 0.5, units)) if bias else -1
        y = g.tensor("FLOAT32", [batches, units])
        version = 1
    else:
        act_t, bias_t = ("INT8", "INT32") if kind == "int8" else ("INT16", kind.split("_")[1])
        in_scale = float(rng.uniform(0.005, 0.1))
        in_zp = int(rng.integers(-20, 20)) if act_t == "INT8" else 0
        x = g.tensor(act_t, [batches, depth], scale=in_scale, zero_point=in_zp)
        n = units if per_channel else 1
        w_scale = rng.uniform(0.002, 0.02, n)
        w = g.const("INT8", [units, depth], rng.integers(-127, 128, (units, depth)),
                    scale=w_scale, zero_point=[0] * n, axis=0)
        if bias:
            bscale = (in_scale * w_scale).astype(np.float32)
            bvals = rng.integers(-3000, 3000, units)
            b = g.const(bias_t, [units], bvals, scale=bscale, zero_point=[0] * n)
        else:
            b = -1
        out_scale = float(rng.uniform(0.02, 0.3)) * (1 if act_t == "INT8" else 0.01)
        out_zp = int(rng.integers(-10, 10)) if act_t == "INT8" else 0
        y = g.tensor(act_t, [batches, units], scale=out_scale, zero_point=out_zp)
        version = 4 if act_t == "INT8" else 7
    g.op("FULLY_CONNECTED", [x, w, b], [y],
         options=("FullyConnectedOptions", dict(fusedActivationFunction=act)), version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def cases(rng):
    out = []
    for kind in ["int8", "int16_INT64", "int16_INT32", "float"]:
        for act in ACTS:
            for per_channel in ([False, True] if kind != "float" else [False]):
                for bias in [True, False]:
                    batches = int(rng.integers(1, 4))
                    depth = int(rng.integers(1, 40))
                    units = int(rng.integers(1, 20))
                    name = f"{kind}_act{act}_pc{int(per_channel)}_b{int(bias)}"
                    out.append((name, fc_case(rng, kind, batches, depth, units, act, bias, per_channel)))
    return out


def multiplier_edge_cases(rng, count=6):
    """Cases whose output depends on whether the requantization multiplier is computed from a
    float or a double product of the scales: scales where the two multipliers differ, and a
    bias that puts the accumulator on a rounding boundary between them. TFLM (the oracle)
    uses the double product."""
    import math

    def qm(m):
        q, e = math.frexp(m)
        qf = round(q * (1 << 31))
        if qf == 1 << 31:
            qf //= 2
            e += 1
        return qf, e

    def mbqm(x, q, s):
        """TFLM's double-rounding MultiplyByQuantizedMultiplier over an int64 array."""
        x = x * (1 << max(s, 0))
        ab = x * q
        v = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
        hi = np.where(v >= 0, v >> 31, -((-v) >> 31))
        e = max(-s, 0)
        mask = (1 << e) - 1
        threshold = (mask >> 1) + (hi < 0)
        return (hi >> e) + ((hi & mask) > threshold)

    span = np.arange(-60000, 60000, dtype=np.int64)
    out = []
    while len(out) < count:
        a, b, c = (np.float32(rng.uniform(lo, hi)) for lo, hi in ((0.001, 0.1), (0.001, 0.05), (0.001, 0.1)))
        f = qm(float(np.float32(a * b)) / float(c))
        d = qm(float(a) * float(b) / float(c))
        if f == d:
            continue
        vf, vd = mbqm(span, *f), mbqm(span, *d)
        accs = [int(v) for v in span[(vf != vd) & (vd >= -128) & (vd <= 127)]]
        if len(accs) < 4:
            continue
        g = Graph()
        units = 4
        x = g.tensor("INT8", [1, 1], scale=float(a), zero_point=0)
        w = g.const("INT8", [units, 1], np.zeros((units, 1)), scale=float(b), zero_point=0)
        bias = g.const("INT32", [units], accs[:units], scale=float(a * b), zero_point=0)
        y = g.tensor("INT8", [1, units], scale=float(c), zero_point=0)
        g.op("FULLY_CONNECTED", [x, w, bias], [y], version=4)
        g.inputs, g.outputs = [x], [y]
        out.append((f"int8_multiplier_edge{len(out)}", g.build()))
    return out


_plain_cases = cases


def large_cases(rng):
    """Shapes past the engine's fast-loop blocks: more than 32 rows, inputs longer than its
    64- and 256-value widening chunks (and the 128-value int64 partial sums), micro_speech's
    4000-deep layer, row counts that are not multiples of 4."""
    out = []
    for kind, batches, depth, units in [
            ("int8", 1, 4000, 4), ("int8", 2, 300, 41), ("int8", 1, 65, 33),
            ("int16_INT64", 2, 300, 37), ("int16_INT32", 1, 513, 35), ("int16_INT64", 1, 129, 5),
            ("float", 2, 70, 9)]:
        for per_channel in ([False, True] if kind != "float" else [False]):
            name = f"{kind}_large_b{batches}_d{depth}_u{units}_pc{int(per_channel)}"
            out.append((name, fc_case(rng, kind, batches, depth, units, 1, True, per_channel)))
    return out


def cases(rng):  # noqa: F811 - extends the plain cases with the multiplier edge cases
    return _plain_cases(rng) + multiplier_edge_cases(rng) + large_cases(rng)
