"""SOFTMAX cases: float32, int8 -> int8, int8 -> int16 and int16 -> int16; ranks 1 to 5;
depths from 1 to 1000; several betas; input scales from tiny (near TFLM's 2^-26 limit on
beta * scale) to large (the multiplier capped at 2^31 - 1); zero points across the range.

TFLM's int8 -> int8 kernel aborts (TFLITE_CHECK) when a row's sum of exponentials reaches 512,
so its longest rows stay below that; the engine returns an error there instead."""
import numpy as np

from opbuilder import Graph

SHAPES = [[10], [1, 12], [3, 7], [2, 3, 5], [1, 2, 2, 16], [2, 1, 2, 3, 4], [4, 1], [1, 1000]]


def softmax_case(kind, shape, beta, in_scale=None, in_zp=0, out_scale=None):
    g = Graph()
    if kind == "float":
        x = g.tensor("FLOAT32", shape)
        y = g.tensor("FLOAT32", shape)
        version = 1
    elif kind == "int8":
        x = g.tensor("INT8", shape, scale=in_scale, zero_point=in_zp)
        y = g.tensor("INT8", shape, scale=1 / 256, zero_point=-128)
        version = 2
    elif kind == "int8_int16":
        x = g.tensor("INT8", shape, scale=in_scale, zero_point=in_zp)
        y = g.tensor("INT16", shape, scale=out_scale or 1 / 65536, zero_point=-32768)
        version = 2
    else:
        x = g.tensor("INT16", shape, scale=in_scale, zero_point=0)
        y = g.tensor("INT16", shape, scale=1 / 32768, zero_point=0)
        version = 3
    g.op("SOFTMAX", [x], [y], options=("SoftmaxOptions", dict(beta=beta)), version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def cases(rng):
    out = []
    for si, shape in enumerate(SHAPES):
        for beta in [1.0, 0.5, 2.7]:
            out.append((f"float_s{si}_b{beta}", softmax_case("float", shape, beta)))
            for kind in ["int8", "int8_int16"]:
                scale = float(rng.uniform(0.002, 0.3))
                zp = int(rng.integers(-128, 128))
                sh = [1, 500] if kind == "int8" and shape == [1, 1000] else shape
                out.append((f"{kind}_s{si}_b{beta}", softmax_case(kind, sh, beta, scale, zp)))
            scale = float(rng.uniform(5e-5, 2e-3))
            out.append((f"int16_s{si}_b{beta}", softmax_case("int16", shape, beta, scale)))
    # Extreme scales and betas.
    for kind in ["int8", "int8_int16"]:
        for scale, beta in [(1.6e-8, 1.0), (3e-8, 0.7), (1e-5, 1.0), (0.0625, 1.0),
                            (1.0, 1.0), (8.0, 1.0), (100.0, 3.0), (0.05, 1e-5)]:
            for zp in [-128, 0, 127]:
                out.append((f"{kind}_extreme_{scale}_{beta}_z{zp}",
                            softmax_case(kind, [2, 20], beta, scale, zp)))
    for scale, beta in [(1e-7, 1.0), (1 / 32768, 1.0), (10 / 32768, 1.0), (3e-3, 1.0),
                        (0.02, 1.0), (0.05, 2.0), (1e-4, 0.3), (1.0, 1.0), (10.0, 1.0)]:
        out.append((f"int16_extreme_{scale}_{beta}", softmax_case("int16", [3, 17], beta, scale)))
    # The quantization of the SOFTMAX ops in the reference models (micro_speech, keyword
    # scrambled, trained LSTM, person detection).
    for name, kind, shape, scale, zp, out_scale in [
        ("micro_speech", "int8", [1, 4], 0.09173192, 14, None),
        ("keyword_scrambled", "int8_int16", [1, 2], 0.06996273, 2, 1.5259022e-05),
        ("trained_lstm", "int8", [1, 10], 0.17366046, 3, None),
        ("person_detect", "int8", [1, 2], 0.012518751, -1, None),
    ]:
        out.append((f"model_{name}", softmax_case(kind, shape, 1.0, scale, zp, out_scale)))
    # Float logits widened to +-100 by a FULLY_CONNECTED with a diagonal weight.
    for gain in [10.0, 25.0]:
        g = Graph()
        x = g.tensor("FLOAT32", [1, 48])
        w = g.const("FLOAT32", [48, 48], np.eye(48) * gain)
        h = g.tensor("FLOAT32", [1, 48])
        y = g.tensor("FLOAT32", [1, 48])
        g.op("FULLY_CONNECTED", [x, w, -1], [h],
             options=("FullyConnectedOptions", dict(fusedActivationFunction=0)))
        g.op("SOFTMAX", [h], [y], options=("SoftmaxOptions", dict(beta=1.0)))
        g.inputs, g.outputs = [x], [y]
        out.append((f"float_wide_{gain}", g.build()))
    for beta in [1e-3, 10.0, 0.0]:
        out.append((f"float_beta_{beta}", softmax_case("float", [2, 9], beta)))
    return out
