"""AVERAGE_POOL_2D and MAX_POOL_2D cases: int8, int16 and float32; SAME and VALID padding;
square, rectangular, global and input-sized filters; strides from 1 to 3; every fused
activation; batches; extreme scales and zero points; a VALID window wider than the input
(TFLM's padding error path, which leaves the padding at zero)."""
import numpy as np

from opbuilder import Graph

ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6
SAME, VALID = 0, 1


def out_dim(n, f, s, padding):
    return (n + s - 1) // s if padding == SAME else (n - f) // s + 1


def pool_case(op, kind, shape, filt, stride, padding, act, scale=None, zp=None, out_hw=None):
    b, h, w, c = shape
    fh, fw = filt
    sh, sw = stride
    oh, ow = out_hw or (out_dim(h, fh, sh, padding), out_dim(w, fw, sw, padding))
    g = Graph()
    if kind == "float":
        x = g.tensor("FLOAT32", shape)
        y = g.tensor("FLOAT32", [b, oh, ow, c])
        version = 1
    else:
        t = "INT8" if kind == "int8" else "INT16"
        x = g.tensor(t, shape, scale=scale, zero_point=zp)
        y = g.tensor(t, [b, oh, ow, c], scale=scale, zero_point=zp)
        version = 2 if kind == "int8" else 3
    g.op(op, [x], [y], options=("Pool2DOptions", dict(
        padding=padding, strideW=sw, strideH=sh, filterWidth=fw, filterHeight=fh,
        fusedActivationFunction=act)), version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def quant(rng, kind):
    if kind == "int8":
        return float(rng.uniform(0.005, 0.2)), int(rng.integers(-30, 30))
    if kind == "int16":
        return float(rng.uniform(1e-4, 5e-3)), 0
    return None, None


GEOMETRIES = [
    # (input shape, filter, stride, padding)
    ([1, 8, 8, 3], (2, 2), (2, 2), VALID),
    ([1, 8, 8, 3], (2, 2), (2, 2), SAME),
    ([1, 7, 9, 4], (3, 3), (1, 1), SAME),
    ([1, 7, 9, 4], (3, 3), (2, 2), SAME),
    ([2, 6, 5, 2], (3, 2), (1, 2), VALID),
    ([1, 10, 6, 5], (5, 4), (3, 2), SAME),
    ([1, 5, 5, 8], (5, 5), (1, 1), VALID),  # global pooling
    ([1, 6, 6, 1], (1, 1), (1, 1), SAME),
    ([1, 9, 9, 2], (4, 4), (3, 3), SAME),
    ([3, 4, 7, 3], (2, 3), (2, 1), SAME),
    ([1, 1, 12, 6], (1, 3), (1, 3), VALID),
]


def cases(rng):
    out = []
    for op, tag in [("AVERAGE_POOL_2D", "avg"), ("MAX_POOL_2D", "max")]:
        for kind in ["int8", "int16", "float"]:
            for gi, (shape, filt, stride, padding) in enumerate(GEOMETRIES):
                act = ACTS[gi % 4]
                scale, zp = quant(rng, kind)
                name = f"{tag}_{kind}_g{gi}_act{act}"
                out.append((name, pool_case(op, kind, shape, filt, stride, padding, act, scale, zp)))
            for act in ACTS:
                scale, zp = quant(rng, kind)
                out.append((f"{tag}_{kind}_acts_{act}",
                            pool_case(op, kind, [1, 6, 6, 4], (3, 3), (2, 2), SAME, act, scale, zp)))
        # Extreme quantization: scales that put RELU6 past the type's range, or make RELU_N1_TO_1
        # a narrow band; zero points at the ends of the range.
        for act in ACTS:
            for scale, zp in [(1e-4, -128), (2.0, 127), (0.03, -128), (0.5, 100)]:
                out.append((f"{tag}_int8_extreme_s{scale}_z{zp}_act{act}",
                            pool_case(op, "int8", [1, 5, 5, 3], (2, 2), (1, 1), SAME, act, scale, zp)))
            for scale, zp in [(1e-6, 0), (0.05, 0), (3e-4, 1000)]:
                out.append((f"{tag}_int16_extreme_s{scale}_z{zp}_act{act}",
                            pool_case(op, "int16", [1, 5, 5, 3], (2, 2), (1, 1), SAME, act, scale, zp)))
        # The person detection model's final average pool (3x3 over a 3x3x256 map).
        out.append((f"{tag}_int8_person_detect",
                    pool_case(op, "int8", [1, 3, 3, 256], (3, 3), (2, 2), VALID, 0,
                              0.01860933, -128)))
        # A VALID filter taller than the input plus a stride: TFLM's output-size error, padding 0.
        for kind in ["int8", "float"]:
            scale, zp = quant(rng, kind)
            out.append((f"{tag}_{kind}_valid_oversized",
                        pool_case(op, kind, [1, 3, 6, 2], (5, 2), (1, 2), VALID, 0, scale, zp,
                                  out_hw=(1, 3))))
    return out
