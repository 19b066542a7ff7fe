"""MAXIMUM and MINIMUM cases: float32, int8, int16, int32 and int64; same shapes and every
broadcast pattern (scalar either side, outer products, rank 5 and 6); quantized operands
(compared raw, as TFLM does)."""
import numpy as np

from opbuilder import Graph

SHAPES = [
    ([2, 3, 4], [2, 3, 4]),
    ([1, 4, 4, 3], [3]),
    ([], [2, 3]),
    ([2, 3], []),
    ([3, 1], [1, 4]),
    ([2, 1, 3, 1, 4], [3, 2, 4]),
    ([2, 3, 1, 4, 1, 5], [1, 3, 2, 1, 3, 1]),
]
TYPES = ["FLOAT32", "INT8", "INT16", "INT32", "INT64"]


def version(dtype, a, b):
    if dtype == "INT16":
        return 4
    if list(a) != list(b) and max(len(a), len(b)) > 4:
        return 3
    return 2 if dtype == "INT8" else 1


def case(op, dtype, a, b, const_second=False, rng=None):
    g = Graph()
    q = dict(scale=0.05, zero_point=3) if dtype == "INT8" else {}
    if dtype == "INT16":
        q = dict(scale=0.001, zero_point=0)
    x = g.tensor(dtype, a, **q)
    if const_second:
        y = g.const(dtype, b, rng.integers(-100, 100, size=b), **q)
    else:
        y = g.tensor(dtype, b, **q)
    z = g.tensor(dtype, list(np.broadcast_shapes(tuple(a), tuple(b))), **q)
    g.op(op, [x, y], [z], version=version(dtype, a, b))
    g.inputs = [x] if const_second else [x, y]
    g.outputs = [z]
    return g.build()


def cases(rng):
    out = []
    for op in ["MAXIMUM", "MINIMUM"]:
        for t, dtype in enumerate(TYPES):
            for k, (a, b) in enumerate(SHAPES):
                if (k + t) % 2 and k not in (0, 5, 6):
                    continue
                out.append((f"{op.lower()}_{dtype.lower()}_{k}", case(op, dtype, a, b)))
            out.append((f"{op.lower()}_{dtype.lower()}_const",
                        case(op, dtype, [2, 5], [5], const_second=True, rng=rng)))
    return out
