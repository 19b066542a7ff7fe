"""CAST cases: every type pair TFLM micro's cast.cc converts (from int8, int16, int32, uint32,
float32, bool to int8, int16, int32, uint32, float32), shapes of several ranks; floats scaled
past every integer range first (MUL by a constant) so the oracle's saturating conversion is
pinned down, and int32 scaled up so narrowing wraps."""
import numpy as np

from opbuilder import Graph

FROM = ["INT8", "INT16", "INT32", "UINT32", "FLOAT32", "BOOL"]
TO = ["INT8", "INT16", "INT32", "UINT32", "FLOAT32"]
SHAPES = [[7], [2, 3], [1, 2, 2, 3], [2, 1, 1, 2, 3]]


def version(src, dst):
    if "INT8" in (src, dst):
        return 3
    if "UINT32" in (src, dst):
        return 2
    return 1


def cast_case(src, dst, shape, scale=None):
    """CAST of an input of type `src`; with `scale`, the input (float32 or int32) is first
    multiplied by that constant, so values reach past the target type's range."""
    g = Graph()
    x = g.tensor(src, shape)
    src_of_cast = x
    if scale is not None:
        k = g.const(src, [], [scale])
        src_of_cast = g.tensor(src, shape)
        g.op("MUL", [x, k], [src_of_cast], options=("MulOptions", dict(fusedActivationFunction=0)))
    y = g.tensor(dst, shape)
    g.op("CAST", [src_of_cast], [y], version=version(src, dst))
    g.inputs, g.outputs = [x], [y]
    return g.build()


def cases(rng):
    out = []
    for i, src in enumerate(FROM):
        for j, dst in enumerate(TO):
            shape = SHAPES[(i + j) % len(SHAPES)]
            out.append((f"{src.lower()}_to_{dst.lower()}", cast_case(src, dst, shape)))
    for dst in TO:
        if dst == "FLOAT32":
            continue
        # Floats in (-4e9, 4e9): past int32 and uint32, far past int8 and int16.
        out.append((f"float32_to_{dst.lower()}_saturating",
                    cast_case("FLOAT32", dst, [4, 5], scale=1e9)))
        # int32 in +-1000 * 2^21: wraps when narrowed, negative to uint32.
        out.append((f"int32_to_{dst.lower()}_wide", cast_case("INT32", dst, [3, 4], scale=1 << 21)))
    out.append(("int32_to_float32_rounding", cast_case("INT32", "FLOAT32", [16], scale=(1 << 21) + 1)))
    return out
