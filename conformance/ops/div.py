"""DIV cases: float32, int32 and int8 as TFLM micro's div.cc runs them; same shapes and every
broadcast pattern (scalar either side, rank 5 and 6); every fused activation.

int32 division traps on a zero divisor (and on INT_MIN / -1), so int32 divisors are constants
without zero. int8 covers TFLM's reciprocal-based quotient, including the cases where its total
shift leaves 0..31 (small dividends over large divisors with an output multiplier near 1), which
the oracle computes with x86 shift semantics; random operands also hit a zero divisor."""
import numpy as np

from opbuilder import Graph

ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6
SHAPES = [
    ([2, 3, 4], [2, 3, 4]),
    ([1, 4, 4, 3], [3]),
    ([], [2, 3]),
    ([2, 3], []),
    ([3, 1], [1, 4]),
    ([2, 1, 3, 1, 4], [3, 2, 4]),
    ([2, 3, 1, 4, 1, 5], [1, 3, 2, 1, 3, 1]),
]


def out_shape(a, b):
    return list(np.broadcast_shapes(tuple(a), tuple(b)))


def version(a, b):
    return 2 if list(a) != list(b) and max(len(a), len(b)) > 4 else 1


def div_case(rng, dtype, a, b, act, const_divisor=False, scales=None):
    g = Graph()
    q1 = q2 = qo = {}
    if dtype == "INT8":
        s1, s2, so = scales
        q1 = dict(scale=s1, zero_point=int(rng.integers(-20, 20)))
        q2 = dict(scale=s2, zero_point=int(rng.integers(-20, 20)))
        qo = dict(scale=so, zero_point=int(rng.integers(-20, 20)))
    x = g.tensor(dtype, a, **q1)
    if const_divisor:
        vals = rng.integers(1, 60, size=int(np.prod(b, dtype=np.int64)))
        vals = vals * rng.choice([-1, 1], size=vals.shape)
        y = g.const(dtype, b, vals.reshape(b), **q2)
    else:
        y = g.tensor(dtype, b, **q2)
    z = g.tensor(dtype, out_shape(a, b), **qo)
    g.op("DIV", [x, y], [z], options=("DivOptions", dict(fusedActivationFunction=act)),
         version=version(a, b))
    g.inputs = [x] if const_divisor else [x, y]
    g.outputs = [z]
    return g.build()


def cases(rng):
    out = []
    for k, (a, b) in enumerate(SHAPES):
        act = ACTS[k % 4]
        out.append((f"float_{k}_act{act}", div_case(rng, "FLOAT32", a, b, act)))
        out.append((f"int32_{k}_act{act}", div_case(rng, "INT32", a, b, act, const_divisor=True)))
        s1 = float(rng.uniform(0.01, 0.1))
        s2 = float(rng.uniform(0.01, 0.1))
        # Output scale near s1 / s2 (a multiplier near 1) and a tenth of it.
        for j, f in enumerate([1.0, 0.1, 0.013]):
            so = s1 / s2 * f * float(rng.uniform(0.8, 1.25))
            out.append((f"int8_{k}_{j}_act{act}",
                        div_case(rng, "INT8", a, b, act, scales=(s1, s2, so))))
    for act in ACTS:
        out.append((f"int32_flat_act{act}", div_case(rng, "INT32", [17], [17], act, const_divisor=True)))
        out.append((f"int8_const_divisor_act{act}",
                    div_case(rng, "INT8", [4, 5], [5], act, const_divisor=True,
                             scales=(0.05, 0.02, 0.1))))
    return out
