"""QUANTIZE and DEQUANTIZE cases: float32 to int8/int16 (random, tiny and huge scales, extreme
zero points — including scales so small that the quotient leaves int32), every integer
requantization pair TFLM micro runs (int8/uint8/int16/int32 in, int8/uint8/int16/int32 out),
the int8<->uint8 shift by 128, the keyword model's int16->int8 head and int16->int32 tail, and
DEQUANTIZE from int8, int16 and uint8."""
import numpy as np

from edges import log_uniform_f32, mbqm, qm
from opbuilder import Graph

RANGE = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (-32768, 32767),
         "INT32": (-(2 ** 31), 2 ** 31 - 1)}
# The pairs EvalQuantizeReference runs besides float input.
REQUANT = [("INT8", "INT8"), ("INT8", "UINT8"), ("UINT8", "INT8"), ("INT8", "INT16"),
           ("INT8", "INT32"), ("INT16", "INT8"), ("INT16", "INT16"), ("INT16", "INT32"),
           ("INT32", "INT8"), ("INT32", "INT16")]


def shape_for(rng, dtype):
    total = {"INT8": 512, "UINT8": 512, "INT16": 4096, "INT32": 1024, "FLOAT32": 512}[dtype]
    rank = int(rng.integers(1, 5))
    dims = [1] * rank
    for k in range(rank - 1):
        dims[k] = int(rng.choice([1, 2, 4]))
    dims[-1] = total // int(np.prod(dims[:-1]))
    return dims


def one_op(op, shape, t_in, q_in, t_out, q_out, version=1):
    g = Graph()
    x = g.tensor(t_in, shape, *(q_in or (None, None)))
    y = g.tensor(t_out, shape, *(q_out or (None, None)))
    g.op(op, [x], [y], version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def rand_q(rng, dtype, lo=1e-4, hi=1.0):
    scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    if dtype == "INT16":
        zp = int(rng.choice([0, 0, int(rng.integers(-200, 200))]))
    elif dtype == "INT32":
        zp = int(rng.choice([0, int(rng.integers(-1000, 1000))]))
    else:
        zp = int(rng.integers(*RANGE[dtype]) if dtype != "INT32" else 0)
    return scale, zp


def quantize_cases(rng):
    out = []
    # float32 -> int8/int16. compare.py's float inputs lie in [-4, 4].
    fixed = [(0.03125, 0), (0.02, -128), (0.02, 127), (1e-3, 5), (1.0, -3), (100.0, 0),
             (1e-9, -100), (1e-12, 5), (1e-12, 0)]
    for t_out, version in [("INT8", 1), ("INT16", 2)]:
        for k, (scale, zp) in enumerate(fixed):
            if t_out == "INT16" and zp == -100:
                zp = -3  # any negative zero point wraps INT_MIN around to a large positive
            out.append((f"quantize_f32_{t_out.lower()}_fixed{k}",
                        one_op("QUANTIZE", shape_for(rng, "FLOAT32"), "FLOAT32", None, t_out,
                               (scale, zp), version)))
        for k in range(5):
            q = rand_q(rng, t_out, 1e-4 if t_out == "INT16" else 1e-2, 0.1)
            out.append((f"quantize_f32_{t_out.lower()}_rand{k}",
                        one_op("QUANTIZE", shape_for(rng, "FLOAT32"), "FLOAT32", None, t_out, q,
                               version)))
    for t_in, t_out in REQUANT:
        version = 2 if t_out == "INT16" else 1
        for k in range(4):
            q_in, q_out = rand_q(rng, t_in), rand_q(rng, t_out)
            if t_in == "INT32":
                # compare.py's int32 inputs span +-1000: keep the output scale comparable.
                q_in = (float(rng.uniform(1e-4, 1e-2)), q_in[1])
                q_out = (q_in[0] * float(np.exp(rng.uniform(-1, 3))), q_out[1])
            name = f"requant_{t_in.lower()}_{t_out.lower()}_{k}"
            out.append((name, one_op("QUANTIZE", shape_for(rng, t_in), t_in, q_in, t_out, q_out,
                                     version)))
        # Same scale (multiplier exactly 1) and scale ratios of exactly 2 and 1/2.
        for k, (ratio, zin, zout) in enumerate([(1.0, 0, 0), (2.0, 0, 0), (0.5, 0, 0)]):
            s = 0.0125
            out.append((f"requant_{t_in.lower()}_{t_out.lower()}_exact{k}",
                        one_op("QUANTIZE", shape_for(rng, t_in), t_in, (s, zin), t_out,
                               (s / ratio, zout), version)))
    # int8 <-> uint8 with equal scales and zero points 128 apart (TFLM's XOR fast path), and
    # the same pair off by one zero point (general path).
    for k, (zi, zo) in enumerate([(-128, 0), (0, 128), (5, 133), (5, 132)]):
        out.append((f"requant_int8_uint8_shift{k}",
                    one_op("QUANTIZE", [4, 128], "INT8", (0.05, zi), "UINT8", (0.05, zo))))
        out.append((f"requant_uint8_int8_shift{k}",
                    one_op("QUANTIZE", [4, 128], "UINT8", (0.05, zo), "INT8", (0.05, zi))))
    # The keyword_scrambled model's QUANTIZE ops, same parameters.
    out.append(("keyword_head_int16_int8",
                one_op("QUANTIZE", [1, 96], "INT16", (0.000625, 0), "INT8", (0.059208333, -128))))
    out.append(("keyword_tail_int16_int32",
                one_op("QUANTIZE", [1, 2], "INT16", (1.5259022e-05, -32768), "INT32",
                       (3.051851e-05, 0))))
    out.append(("keyword_tail_int16_int32_wide",
                one_op("QUANTIZE", [16, 256], "INT16", (1.5259022e-05, -32768), "INT32",
                       (3.051851e-05, 0))))
    # microWakeWord's tail: int8 probabilities (scale 1/256, zero point -128) to uint8.
    out.append(("mww_tail_int8_uint8",
                one_op("QUANTIZE", [1, 256], "INT8", (0.00390625, -128), "UINT8",
                       (0.00390625, 0))))
    # Extreme ratios: requantization multipliers far above and far below 1.
    for k, (si, so) in enumerate([(1.0, 1e-4), (1e-4, 10.0), (0.5, 1e-9)]):
        out.append((f"requant_int8_int8_extreme{k}",
                    one_op("QUANTIZE", [512], "INT8", (si, 3), "INT8", (so, -7))))
        out.append((f"requant_int16_int16_extreme{k}",
                    one_op("QUANTIZE", [4096], "INT16", (si, 0), "INT16", (so, 0), 2)))
    return out


def dequantize_cases(rng):
    out = []
    for t_in, version in [("INT8", 2), ("INT16", 3), ("UINT8", 1)]:
        fixed = [(0.05, 0), (1e-3, RANGE[t_in][0]), (0.1, RANGE[t_in][1]), (3.7e-7, 1),
                 (1234.5, -1 if t_in != "UINT8" else 1)]
        for k, q in enumerate(fixed):
            out.append((f"dequantize_{t_in.lower()}_fixed{k}",
                        one_op("DEQUANTIZE", shape_for(rng, t_in), t_in, q, "FLOAT32", None,
                               version)))
        for k in range(4):
            q = rand_q(rng, t_in, 1e-5, 10.0)
            out.append((f"dequantize_{t_in.lower()}_rand{k}",
                        one_op("DEQUANTIZE", shape_for(rng, t_in), t_in, q, "FLOAT32", None,
                               version)))
    return out


def cases(rng):
    return quantize_cases(rng) + dequantize_cases(rng)


def requant_edge(rng, t_in, t_out):
    """An int8 -> int8/int16 requantization whose output depends on forming
    in_scale / out_scale in double (the oracle) rather than in float: scales for which the
    two multipliers round at least two of the 256 inputs apart. 4096 random inputs cover all
    256 values."""
    lo, hi = RANGE[t_out]
    zi, zo = 3, (-7 if t_out == "INT8" else 0)
    x = np.arange(-128, 128, dtype=np.int64)[None, :] - zi
    while True:
        n = 20000
        a = log_uniform_f32(rng, 0.01, 0.1, n)
        # Output scales giving ratios of 0.3..1 (int8) or 10..120 (int16).
        r = rng.uniform(0.3, 1.0, n) if t_out == "INT8" else rng.uniform(10, 120, n)
        b = (a / r).astype(np.float32)
        qd, sd = qm(a.astype(np.float64) / b)
        qf, sf = qm((a / b).astype(np.float64))
        od = np.clip(mbqm(x, qd[:, None], sd[:, None]) + zo, lo, hi)
        of = np.clip(mbqm(x, qf[:, None], sf[:, None]) + zo, lo, hi)
        rows = np.nonzero((od != of).sum(axis=1) >= 2)[0]
        if len(rows):
            i = rows[0]
            return one_op("QUANTIZE", [4096], t_in, (float(a[i]), zi), t_out,
                          (float(b[i]), zo))


def float_to_int8_edge(rng):
    """float32 -> int8 where val / scale rounds to a different integer when divided in float
    (the oracle's AffineQuantize) than in double: values that land on a half in float. Random
    float inputs almost never do, so the values are constants made from the runtime input as
    x * 0 + c (exact in float) before the QUANTIZE."""
    while True:
        s = log_uniform_f32(rng, 0.005, 0.05, 20000)
        k = rng.integers(-120, 120, 20000).astype(np.float32)
        c = ((k + np.float32(0.5)) * s).astype(np.float32)
        nudged = np.nextafter(c, np.where(rng.random(20000) < 0.5, -np.inf, np.inf).astype(np.float32))
        for v in (c, nudged):
            qf = np.sign(v / s) * np.floor(np.abs(v / s) + np.float32(0.5))
            vd = v.astype(np.float64) / s.astype(np.float64)
            qd = np.sign(vd) * np.floor(np.abs(vd) + 0.5)
            idx = np.nonzero(qf != qd)[0]
            if len(idx) >= 8:
                break
        else:
            continue
        scale = float(s[idx[0]])
        # Several values at one scale: keep those that differ at that scale.
        vals = v[idx][np.isclose(s[idx], s[idx[0]])]
        same_s = np.float32(scale)
        extra = ((k[:64] + np.float32(0.5)) * same_s).astype(np.float32)
        vals = np.concatenate([vals, extra])
        fq = np.sign(vals / same_s) * np.floor(np.abs(vals / same_s) + np.float32(0.5))
        dq = np.sign(vals.astype(np.float64) / scale) * np.floor(np.abs(vals.astype(np.float64) / scale) + 0.5)
        vals = vals[fq != dq]
        if len(vals) == 0:
            continue
        n = len(vals)
        g = Graph()
        x = g.tensor("FLOAT32", [n])
        zero = g.const("FLOAT32", [n], np.zeros(n))
        cst = g.const("FLOAT32", [n], vals)
        t0 = g.tensor("FLOAT32", [n])
        t1 = g.tensor("FLOAT32", [n])
        y = g.tensor("INT8", [n], scale=scale, zero_point=0)
        g.op("MUL", [x, zero], [t0], options=("MulOptions", dict(fusedActivationFunction=0)))
        g.op("ADD", [t0, cst], [t1], options=("AddOptions", dict(fusedActivationFunction=0)))
        g.op("QUANTIZE", [t1], [y])
        g.inputs, g.outputs = [x], [y]
        return g.build()


_plain_cases = cases


def cases(rng):  # noqa: F811 - extends the plain cases with the multiplier edge cases
    erng = np.random.default_rng(int(rng.integers(1 << 30)))
    return _plain_cases(rng) + [
        ("requant_int8_int8_multiplier_edge", requant_edge(erng, "INT8", "INT8")),
        ("requant_int8_int16_multiplier_edge", requant_edge(erng, "INT8", "INT16")),
        ("quantize_f32_int8_half_edge", float_to_int8_edge(erng)),
    ]
