"""LOGISTIC and TANH cases: float32, int8 and int16; ranks 1 to 5; input scales from tiny to
large, power-of-two int16 scales (TFLM's multiplier-3 path, and TANH's one-bit shift) and
general ones; zero points across the int8 range; int8 outputs with scales TFLM ignores; float
inputs widened to +-40 by a FULLY_CONNECTED with a diagonal weight (past LOGISTIC's cutoffs at
-9 and 16.6 and TANH's saturation)."""
import numpy as np

from opbuilder import Graph

SHAPES = [[17], [3, 5], [2, 3, 4], [1, 4, 4, 3], [2, 1, 3, 2, 2]]


def act_case(op, kind, shape, in_scale=None, in_zp=0, out_scale=None, out_zp=None):
    g = Graph()
    if kind == "float":
        x = g.tensor("FLOAT32", shape)
        y = g.tensor("FLOAT32", shape)
        version = 1
    elif kind == "int8":
        if out_scale is None:
            out_scale, out_zp = (1 / 256, -128) if op == "LOGISTIC" else (1 / 128, 0)
        x = g.tensor("INT8", shape, scale=in_scale, zero_point=in_zp)
        y = g.tensor("INT8", shape, scale=out_scale, zero_point=out_zp)
        version = 2
    else:
        x = g.tensor("INT16", shape, scale=in_scale, zero_point=0)
        y = g.tensor("INT16", shape, scale=out_scale or 1 / 32768, zero_point=0)
        version = 3
    g.op(op, [x], [y], version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def widened_float_case(op, n, gain):
    """FULLY_CONNECTED by gain * identity (exact in float), then the activation."""
    g = Graph()
    x = g.tensor("FLOAT32", [1, n])
    w = g.const("FLOAT32", [n, n], np.eye(n) * gain)
    h = g.tensor("FLOAT32", [1, n])
    y = g.tensor("FLOAT32", [1, n])
    g.op("FULLY_CONNECTED", [x, w, -1], [h],
         options=("FullyConnectedOptions", dict(fusedActivationFunction=0)))
    g.op(op, [h], [y])
    g.inputs, g.outputs = [x], [y]
    return g.build()


def cases(rng):
    out = []
    for op, tag in [("LOGISTIC", "logistic"), ("TANH", "tanh")]:
        for si, shape in enumerate(SHAPES):
            out.append((f"{tag}_float_s{si}", act_case(op, "float", shape)))
            for k in range(2):
                scale = float(rng.uniform(0.005, 0.3))
                zp = int(rng.integers(-128, 128))
                out.append((f"{tag}_int8_s{si}_{k}", act_case(op, "int8", shape, scale, zp)))
                scale = float(rng.uniform(1e-4, 1e-3))
                out.append((f"{tag}_int16_s{si}_{k}", act_case(op, "int16", shape, scale)))
        for scale in [2.0 ** -27, 1e-6, 1e-3, 0.0625, 0.1, 1.0, 3.0, 50.0]:
            for zp in [-128, 0, 127]:
                out.append((f"{tag}_int8_extreme_{scale}_z{zp}",
                            act_case(op, "int8", [4, 16], scale, zp)))
        for scale in [2.0 ** -12, 2.0 ** -11, 2.0 ** -13, 2.0 ** -10, 2.0 ** -15, 6 / 32768,
                      3e-5, 1e-7, 0.01, 0.5]:
            out.append((f"{tag}_int16_extreme_{scale}", act_case(op, "int16", [4, 16], scale)))
        for gain in [4.0, 10.0, 25.0]:
            out.append((f"{tag}_float_wide_{gain}", widened_float_case(op, 64, gain)))
        # int8 outputs whose quantization TFLM does not check (LOGISTIC checks only the
        # zero point): the kernel writes 1/256 (1/128) steps regardless.
        out.append((f"{tag}_int8_odd_output_scale",
                    act_case(op, "int8", [3, 8], 0.05, 3, out_scale=0.1,
                             out_zp=-128 if op == "LOGISTIC" else 5)))
    return out
