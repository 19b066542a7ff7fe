"""RELU, RELU6, LEAKY_RELU, HARD_SWISH and PRELU cases: every type TFLM micro runs for each
(float32, int8, int16 where supported), shapes of ranks 1-5, random and extreme scales and zero
points (requantizing ReLU, ReLU6 whose 6.0 falls inside or outside the type, negative and >1
LeakyReLU alphas, HARD_SWISH scale ratios that reach its 16-bit fixed point's corner cases),
and PRELU alpha broadcasting."""
import numpy as np

from opbuilder import Graph

QTYPES = {"int8": ("INT8", -128, 127), "int16": ("INT16", -32768, 32767)}


def rand_shape(rng, max_rank=4):
    rank = int(rng.integers(1, max_rank + 1))
    return [int(d) for d in rng.integers(1, 6, rank)]


def qshape(rng, dtype):
    """A shape of rank 1-4 with enough elements that the random inputs of compare.py visit
    (nearly) every int8 value, and thousands of int16 values, per run."""
    total = 512 if dtype == "int8" else 4096
    rank = int(rng.integers(1, 5))
    dims = [1] * rank
    for k in range(rank - 1):
        dims[k] = int(rng.choice([1, 2, 4]))
    dims[-1] = total // int(np.prod(dims[:-1]))
    return dims


def unary(op, dtype, shape, iq=None, oq=None, options=None, version=1):
    g = Graph()
    if dtype == "float":
        x = g.tensor("FLOAT32", shape)
        y = g.tensor("FLOAT32", shape)
    else:
        t = QTYPES[dtype][0]
        x = g.tensor(t, shape, scale=iq[0], zero_point=iq[1])
        y = g.tensor(t, shape, scale=oq[0], zero_point=oq[1])
    g.op(op, [x], [y], options=options, version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def qparams(rng, dtype, scale_lo=1e-3, scale_hi=0.5, zp=None):
    scale = float(np.exp(rng.uniform(np.log(scale_lo), np.log(scale_hi))))
    if dtype == "int16":
        return scale, 0 if zp is None else zp
    if zp is None:
        zp = int(rng.integers(-128, 128))
    return scale, zp


def relu_cases(rng):
    out = []
    for rank_case in range(3):
        out.append((f"relu_float_{rank_case}", unary("RELU", "float", rand_shape(rng, 5))))
        out.append((f"relu6_float_{rank_case}", unary("RELU6", "float", rand_shape(rng, 5))))
    # int8: scale ratios below, at and above 1; extreme zero points.
    int8_params = [
        ((0.05, 0), (0.05, 0)),
        ((0.05, -128), (0.05, -128)),
        ((0.1, 127), (0.02, -128)),
        ((0.02, -128), (0.1, 127)),
        ((1e-4, 3), (1e-2, -5)),
        ((2.0, -7), (0.01, 0)),  # large upscale: saturates
    ]
    for k, (iq, oq) in enumerate(int8_params):
        out.append((f"relu_int8_fixed{k}", unary("RELU", "int8", qshape(rng, "int8"), iq, oq, version=2)))
    for k in range(8):
        iq, oq = qparams(rng, "int8"), qparams(rng, "int8")
        out.append((f"relu_int8_rand{k}", unary("RELU", "int8", qshape(rng, "int8"), iq, oq, version=2)))
    for k in range(5):
        iq, oq = qparams(rng, "int16", 1e-5, 1e-2), qparams(rng, "int16", 1e-5, 1e-2)
        out.append((f"relu_int16_rand{k}", unary("RELU", "int16", qshape(rng, "int16"), iq, oq, version=3)))
    # RELU6: TFLM clamps on the input's own scale; 6.0 lands inside or beyond the type range.
    # 0.24489796 and 0.11881188: 6 / scale rounds differently in float and in double.
    relu6_int8 = [(0.05, 0), (0.05, -128), (0.01, -128), (0.1, 100), (1.0, 127), (0.5, -128),
                  (0.03, 27), (0.2448979616165161, 0), (0.11881188303232193, -20)]
    for k, iq in enumerate(relu6_int8):
        out.append((f"relu6_int8_fixed{k}", unary("RELU6", "int8", qshape(rng, "int8"), iq, iq, version=2)))
    for k in range(5):
        iq = qparams(rng, "int8", 1e-3, 0.2)
        out.append((f"relu6_int8_rand{k}", unary("RELU6", "int8", qshape(rng, "int8"), iq, iq, version=2)))
    # Scales so small that round(6 / scale) leaves int32: C's conversion gives INT_MIN, so the
    # upper bound collapses to the type's minimum.
    out.append(("relu6_int8_tiny_scale", unary("RELU6", "int8", qshape(rng, "int8"), (1e-12, 0),
                                               (1e-12, 0), version=2)))
    out.append(("relu6_int8_tiny_scale_zp", unary("RELU6", "int8", qshape(rng, "int8"),
                                                  (2e-9, -128), (1e-3, 0), version=2)))
    out.append(("relu6_int16_tiny_scale", unary("RELU6", "int16", qshape(rng, "int16"),
                                                (1e-12, 0), (1e-12, 0), version=3)))
    for k, s in enumerate([6.0 / 32767, 1e-4, 2e-4, 1e-3, 0.01]):
        iq = (s, 0)
        out.append((f"relu6_int16_{k}", unary("RELU6", "int16", qshape(rng, "int16"), iq, iq, version=3)))
    return out


def leaky_relu_cases(rng):
    out = []
    for k, alpha in enumerate([0.2, 0.0, -0.5, 1.5, 0.01]):
        opts = ("LeakyReluOptions", dict(alpha=alpha))
        out.append((f"leaky_float_{k}", unary("LEAKY_RELU", "float", rand_shape(rng, 5),
                                              options=opts)))
    fixed = [((0.05, 0), (0.05, 0), 0.2), ((0.1, -128), (0.05, 127), 0.1),
             ((0.02, 127), (0.1, -128), 0.3), ((0.05, 10), (0.04, -20), -0.5),
             ((0.05, 0), (0.02, 0), 1.5), ((0.05, -3), (0.05, 5), 0.0),
             ((1e-3, -100), (0.5, 100), 0.25),
             ((0.5, 0), (0.5, 0), -0.75)]  # exact multiplier: ties of a negative alpha
    for k, (iq, oq, alpha) in enumerate(fixed):
        opts = ("LeakyReluOptions", dict(alpha=alpha))
        out.append((f"leaky_int8_fixed{k}", unary("LEAKY_RELU", "int8", qshape(rng, "int8"), iq, oq,
                                                  options=opts)))
    for k in range(6):
        iq, oq = qparams(rng, "int8"), qparams(rng, "int8")
        alpha = float(rng.uniform(-1, 2))
        opts = ("LeakyReluOptions", dict(alpha=alpha))
        out.append((f"leaky_int8_rand{k}", unary("LEAKY_RELU", "int8", qshape(rng, "int8"), iq, oq,
                                                 options=opts)))
    opts = ("LeakyReluOptions", dict(alpha=-0.75))
    out.append(("leaky_int16_exact_negative", unary("LEAKY_RELU", "int16", qshape(rng, "int16"),
                                                    (0.5, 0), (0.5, 0), options=opts, version=2)))
    for k in range(5):
        iq, oq = qparams(rng, "int16", 1e-5, 1e-2), qparams(rng, "int16", 1e-5, 1e-2)
        alpha = float(rng.uniform(-0.5, 1.5))
        opts = ("LeakyReluOptions", dict(alpha=alpha))
        out.append((f"leaky_int16_rand{k}", unary("LEAKY_RELU", "int16", qshape(rng, "int16"), iq, oq,
                                                  options=opts, version=2)))
    return out


def hard_swish_cases(rng):
    out = []
    for k in range(3):
        out.append((f"hswish_float_{k}", unary("HARD_SWISH", "float", rand_shape(rng, 5))))
    fixed = [
        ((0.05, 0), (0.05, 0)),
        ((0.05, -128), (0.03, -100)),
        ((0.1, 127), (0.05, -128)),
        ((0.02, 10), (0.02, 10)),
        ((0.5, 0), (0.3, -20)),          # wide input range: reluish left shift saturates
        ((4.0, 0), (2.0, 0)),            # reluish exponent well above 0
        ((60.0, -5), (40.0, 3)),
        ((1e-4, 0), (1e-4, 0)),          # reluish exponent below -16 (narrow int16 mask)
        ((0.01, 0), (100.0, 0)),         # output exponent below -16
        ((0.05, 0), (10.0, 0)),          # output exponent -14
        ((0.05, 30), (0.0004, -128)),    # output multiplier just under 1
        # Scales whose output multiplier differs in its last bit between a float and a double
        # quotient, enough to change an output.
        ((0.0015235792379826307, 0), (0.00015462674491573125, 0)),
        ((0.3637616038322449, 0), (0.3683536648750305, 0)),
        ((0.1470753401517868, 0), (0.08838492631912231, 0)),
        ((0.0030648494139313698, 0), (0.002350590657442808, 0)),
    ]
    for k, (iq, oq) in enumerate(fixed):
        out.append((f"hswish_int8_fixed{k}", unary("HARD_SWISH", "int8", qshape(rng, "int8"), iq, oq)))
    for k in range(8):
        iq = qparams(rng, "int8", 1e-3, 1.0)
        oq = qparams(rng, "int8", iq[0] / 100, 1.0)
        out.append((f"hswish_int8_rand{k}", unary("HARD_SWISH", "int8", qshape(rng, "int8"), iq, oq)))
    return out


def prelu_case(rng, dtype, in_shape, alpha_shape, out_shape, const_alpha=True, qp=None):
    g = Graph()
    if dtype == "float":
        x = g.tensor("FLOAT32", in_shape)
        adata = rng.uniform(-1.0, 1.5, alpha_shape).astype(np.float32)
        a = (g.const("FLOAT32", alpha_shape, adata) if const_alpha
             else g.tensor("FLOAT32", alpha_shape))
        y = g.tensor("FLOAT32", out_shape)
    else:
        t = QTYPES[dtype][0]
        iq, aq, oq = qp
        x = g.tensor(t, in_shape, scale=iq[0], zero_point=iq[1])
        if const_alpha:
            a = g.const("INT8", alpha_shape, rng.integers(-128, 128, alpha_shape),
                        scale=aq[0], zero_point=aq[1])
        else:
            a = g.tensor("INT8", alpha_shape, scale=aq[0], zero_point=aq[1])
        y = g.tensor(t, out_shape, scale=oq[0], zero_point=oq[1])
    g.op("PRELU", [x, a], [y])
    g.inputs = [x] if const_alpha else [x, a]
    g.outputs = [y]
    return g.build()


def prelu_cases(rng):
    out = []
    shapes = [
        ([1, 4, 4, 3], [3], [1, 4, 4, 3]),
        ([1, 4, 4, 3], [1, 1, 3], [1, 4, 4, 3]),
        ([2, 3, 5], [2, 3, 5], [2, 3, 5]),
        ([2, 3, 5], [3, 1], [2, 3, 5]),
        ([7], [1], [7]),
        ([1, 2, 3, 4], [2, 1, 4], [1, 2, 3, 4]),
        ([3, 1, 4], [2, 1], [3, 2, 4]),  # input broadcasts too
    ]
    q5 = ([2, 2, 3, 2, 3], [3, 1, 3], [2, 2, 3, 2, 3])
    for k, (si, sa, so) in enumerate(shapes):
        out.append((f"prelu_float_{k}", prelu_case(rng, "float", si, sa, so)))
    out.append(("prelu_float_input_alpha", prelu_case(rng, "float", [2, 3, 4], [4], [2, 3, 4],
                                                       const_alpha=False)))
    for k, (si, sa, so) in enumerate(shapes + [q5]):
        qp = (qparams(rng, "int8", 0.01, 0.2), qparams(rng, "int8", 0.002, 0.02),
              qparams(rng, "int8", 0.01, 0.2))
        out.append((f"prelu_int8_{k}", prelu_case(rng, "int8", si, sa, so, qp=qp)))
    extreme = [((0.05, -128), (0.01, 127), (0.05, 127)), ((0.1, 127), (0.02, -128), (0.02, -128)),
               ((0.5, 0), (0.5, 0), (0.001, 0)), ((1e-3, 5), (1e-3, 0), (1.0, 0))]
    for k, qp in enumerate(extreme):
        out.append((f"prelu_int8_extreme{k}", prelu_case(rng, "int8", [2, 5, 3], [3],
                                                         [2, 5, 3], qp=qp)))
    out.append(("prelu_int8_input_alpha", prelu_case(
        rng, "int8", [2, 3, 4], [3, 4], [2, 3, 4], const_alpha=False,
        qp=((0.05, 3), (0.01, -7), (0.04, -2)))))
    out.append(("prelu_int8_wide_input_alpha", prelu_case(
        rng, "int8", [8, 64], [8, 64], [8, 64], const_alpha=False,
        qp=((0.03, -10), (0.004, 20), (0.05, 7)))))
    out.append(("prelu_int16_wide", prelu_case(
        rng, "int16", [16, 256], [256], [16, 256],
        qp=((3e-4, 0), (0.01, -3), (2e-4, 0)))))
    for k, (si, sa, so) in enumerate(shapes[:4] + [q5]):
        qp = (qparams(rng, "int16", 1e-4, 1e-2), qparams(rng, "int8", 0.002, 0.02),
              qparams(rng, "int16", 1e-4, 1e-2))
        out.append((f"prelu_int16_{k}", prelu_case(rng, "int16", si, sa, so, qp=qp)))
    return out


def cases(rng):
    return relu_cases(rng) + leaky_relu_cases(rng) + hard_swish_cases(rng) + prelu_cases(rng)
