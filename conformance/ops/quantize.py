"""QUANTIZE and DEQUANTIZE cases: float32 to int8/int16 (random, tiny and huge scales, extreme
zero points — including scales so small that the quotient leaves int32), every integer
requantization pair TFLM micro runs (int8/uint8/int16/int32 in, int8/uint8/int16/int32 out),
the int8<->uint8 shift by 128, the keyword model's int16->int8 head and int16->int32 tail, and
DEQUANTIZE from int8, int16 and uint8."""
import numpy as np

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
