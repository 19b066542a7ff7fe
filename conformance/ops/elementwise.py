"""ADD, SUB, MUL cases: int8, int16, float32, int32; same shapes, every broadcast pattern TFLM's
BroadcastBinaryOpSimple walks (channel bias, outer products, scalar either side, rank 5 and 6,
equal element counts with different ranks); every fused activation; random, extreme and
power-of-two quantization; a constant operand and the same tensor on both sides.

TFLM aborts (TFLITE_CHECK) when an ADD/SUB rescale multiplier is not below 1, so scales are
drawn to keep 2 * max(s1, s2) / (2^left_shift * s_out) < 1."""
import numpy as np

from edges import mbqm, qm
from opbuilder import Graph

ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6
OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}
SHAPES = [
    ([1, 4, 4, 3], [1, 4, 4, 3]),
    ([1, 4, 4, 3], [3]),
    ([2, 1, 3], [1, 5, 1]),
    ([], [2, 3]),
    ([2, 3], []),
    ([1], [3, 1, 2]),
    ([3, 1], [1, 4]),
    ([1, 1, 1, 8], [8]),
    ([5], [5]),
    ([2, 3, 1, 4, 1, 5], [1, 3, 2, 1, 3, 1]),
    ([2, 1, 3, 1, 4], [3, 2, 4]),
    ([4, 1, 1, 6], [4, 5, 2, 1]),
    ([1, 7, 9, 2], [1, 1, 9, 1]),
]


def out_shape(a, b):
    return list(np.broadcast_shapes(tuple(a), tuple(b)))


def op_version(op, dtype, a, b, pot):
    broadcast_rank = max(len(a), len(b)) if list(a) != list(b) else 0
    if op == "ADD":
        if dtype == "INT16":
            return 1 if pot else 3
        return 2 if dtype == "INT8" else 1
    if op == "SUB":
        if dtype == "INT16" and not pot:
            return 5
        if broadcast_rank > 4:
            return 3
        return 2 if dtype == "INT8" else 1
    if dtype == "INT16":
        return 4
    return 2 if dtype == "INT8" else 1


def log_uniform(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def quant_params(rng, op, dtype, style):
    """(s1, z1, s2, z2, so, zo) for a quantized case."""
    int8 = dtype == "INT8"
    zp = (lambda: int(rng.integers(-100, 100))) if int8 else (lambda: 0)
    if style == "pot":
        s1, s2 = 2.0 ** -int(rng.integers(6, 12)), 2.0 ** -int(rng.integers(6, 12))
        so = 2.0 ** -int(rng.integers(5, 11)) if op != "MUL" else s1 * s2 * 2.0 ** int(rng.integers(5, 9))
        return s1, 0, s2, 0, so, 0
    if style == "extreme":
        s1 = log_uniform(rng, 1e-5, 1e-3)
        s2 = log_uniform(rng, 1.0, 50.0)
    else:
        s1 = log_uniform(rng, 0.002, 0.2)
        s2 = log_uniform(rng, 0.002, 0.2)
    if op == "MUL":
        span = 127.0 if int8 else 32767.0
        so = s1 * s2 * span * log_uniform(rng, 0.05, 2.0)
        if style == "extreme":
            so = s1 * s2 * log_uniform(rng, 0.2, 4.0)  # real multiplier around 1: version 3
    else:
        left = 20 if int8 else 15
        floor = 2 * max(s1, s2) / 2 ** left
        so = max((s1 + s2) * log_uniform(rng, 0.3, 3.0), 4 * floor)
        if style == "extreme":
            so = max(log_uniform(rng, 1e-4, 1e-2) * max(s1, s2), 4 * floor)
    return s1, zp(), s2, zp(), so, zp()


def binary_case(rng, op, dtype, a, b, act, style="random", pot=True, const_b=False, same=False):
    g = Graph()
    o = out_shape(a, b)
    if dtype in ("FLOAT32", "INT32"):
        x = g.tensor(dtype, a)
        if same:
            y = x
        elif const_b:
            data = (rng.uniform(-3, 3, b) if dtype == "FLOAT32"
                    else rng.integers(-1000, 1000, b))
            y = g.const(dtype, b, data)
        else:
            y = g.tensor(dtype, b)
        z = g.tensor(dtype, o)
    else:
        s1, z1, s2, z2, so, zo = quant_params(rng, op, dtype, style)
        if same:
            s2, z2 = s1, z1
        x = g.tensor(dtype, a, scale=s1, zero_point=z1)
        if same:
            y = x
        elif const_b:
            lo, hi = (-128, 127) if dtype == "INT8" else (-32768, 32767)
            y = g.const(dtype, b, rng.integers(lo, hi + 1, b), scale=s2, zero_point=z2)
        else:
            y = g.tensor(dtype, b, scale=s2, zero_point=z2)
        z = g.tensor(dtype, o, scale=so, zero_point=zo)
    fields = dict(fusedActivationFunction=act)
    if op != "MUL":
        fields["potScaleInt16"] = pot
    g.op(op, [x, y], [z], options=(OPTIONS[op], fields),
         version=op_version(op, dtype, a, b, pot))
    g.inputs = [x] if (same or const_b) else [x, y]
    g.outputs = [z]
    return g.build()


# int8 (s1, z1, s2, z2, so, zo) where forming the ADD/SUB rescale multipliers in float instead
# of double changes a few outputs (found by simulating both over all 256 x 256 input pairs): the
# first four through the output multiplier, the last three through the input multipliers. A
# grid case reaches those pairs: a const [1, 256] operand holding every int8 value against a
# [512, 1] runtime operand.
SENSITIVE_SCALES = [
    (0.07799098640680313, 39, 0.0025097383186221123, -16, 0.06288525462150574, 46),
    (0.07447303086519241, -14, 0.10532911866903305, 28, 0.16855831444263458, 3),
    (0.22550827264785767, -19, 0.005505169741809368, -1, 0.22881591320037842, -48),
    (0.014114304445683956, -19, 0.007515362463891506, 46, 0.026092082262039185, 32),
    (0.17040890455245972, 12, 0.2688518166542053, -18, 0.26417332887649536, -10),
    (0.10122217237949371, 43, 0.25782620906829834, -23, 0.27321216464042664, -45),
    (0.15718141198158264, 8, 0.13524062931537628, 7, 0.2833602726459503, 45),
]

# The same for MUL: scales where s1 * s2 formed in float instead of double changes outputs.
MUL_SENSITIVE_SCALES = [
    (0.2653077244758606, 39, 0.07599303871393204, 29, 1.0598485469818115, -35),
    (0.09557602554559708, -42, 0.012726065702736378, 6, 0.04508410766720772, -17),
    (0.01592247188091278, 12, 0.020662706345319748, 22, 0.003054521046578884, -47),
]


def grid_case(op, q):
    s1, z1, s2, z2, so, zo = q
    g = Graph()
    x = g.tensor("INT8", [512, 1], scale=s1, zero_point=z1)
    y = g.const("INT8", [1, 256], np.arange(-128, 128), scale=s2, zero_point=z2)
    z = g.tensor("INT8", [512, 256], scale=so, zero_point=zo)
    fields = dict(fusedActivationFunction=0)
    if op != "MUL":
        fields["potScaleInt16"] = True
    g.op(op, [x, y], [z], options=(OPTIONS[op], fields), version=2)
    g.inputs, g.outputs = [x], [z]
    return g.build()


def cases(rng):
    out = []
    for op in ["ADD", "SUB", "MUL"]:
        for k, q in enumerate(MUL_SENSITIVE_SCALES if op == "MUL" else SENSITIVE_SCALES):
            out.append((f"{op.lower()}_int8_grid{k}", grid_case(op, q)))
    for op in ["ADD", "SUB", "MUL"]:
        for dtype in ["INT8", "INT16", "FLOAT32", "INT32"]:
            short = dtype.lower()
            for si, (a, b) in enumerate(SHAPES):
                act = ACTS[(si + len(out)) % 4]
                out.append((f"{op.lower()}_{short}_s{si}_act{act}",
                            binary_case(rng, op, dtype, a, b, act)))
            # Every activation on a broadcast shape.
            for act in ACTS:
                out.append((f"{op.lower()}_{short}_bcast_act{act}",
                            binary_case(rng, op, dtype, [2, 3, 4], [3, 1], act)))
            out.append((f"{op.lower()}_{short}_const",
                        binary_case(rng, op, dtype, [1, 5, 5, 4], [4], act=0, const_b=True)))
            out.append((f"{op.lower()}_{short}_same",
                        binary_case(rng, op, dtype, [3, 7], [3, 7], act=0, same=True)))
            if dtype in ("INT8", "INT16"):
                for style in ["extreme", "pot"]:
                    for k, (a, b) in enumerate([([2, 8], [2, 8]), ([4, 1, 3], [5, 1])]):
                        act = ACTS[k * 3 % 4]
                        out.append((f"{op.lower()}_{short}_{style}{k}_act{act}",
                                    binary_case(rng, op, dtype, a, b, act, style=style)))
            if dtype == "INT16" and op != "MUL":
                # pot_scale_int16 = false (version 3 ADD / 5 SUB): TFLM micro runs the same
                # general path either way.
                for k, (a, b) in enumerate([([3, 6], [3, 6]), ([2, 1, 4], [3, 1])]):
                    out.append((f"{op.lower()}_int16_general{k}",
                                binary_case(rng, op, dtype, a, b, act=k, pot=False)))
    return out


def _add_i16(x1, x2, s1, s2, so, double):
    """TFLM's int16 ADD (left shift 15, zero points 0) with its three multipliers formed in
    double (the oracle) or in float (the older reference form), over int64 grids."""
    if double:
        tm = 2 * max(float(s1), float(s2))
        r1, r2, ro = float(s1) / tm, float(s2) / tm, tm / ((1 << 15) * float(so))
    else:
        tm = np.float32(2) * max(s1, s2)
        r1, r2, ro = float(s1 / tm), float(s2 / tm), float(tm / (np.float32(1 << 15) * so))
    (q1, e1), (q2, e2), (qo, eo) = (qm(np.array([r])) for r in (r1, r2, ro))
    total = mbqm(x1 << 15, q1, e1) + mbqm(x2 << 15, q2, e2)
    return np.clip(mbqm(total, qo, eo), -32768, 32767)


def _mul_i16(x1, x2, s1, s2, so, double):
    """TFLM's int16 MUL: s1 * s2 / so in double (the oracle) or the product in float."""
    r = float(s1) * float(s2) / float(so) if double else float(s1 * s2) / float(so)
    q, e = qm(np.array([r]))
    return np.clip(mbqm(x1 * x2, q, e), -32768, 32767)


GRID16 = np.linspace(-32768, 32767, 256).astype(np.int64)


def int16_sensitive_scales(rng, op, count):
    """(s1, s2, so) for int16 ADD or MUL where the double and float multiplier forms give
    different outputs on many pairs of a 512 x 256 grid (checked with the models above)."""
    model = _add_i16 if op == "ADD" else _mul_i16
    x1 = np.linspace(-32768, 32767, 512).astype(np.int64)[:, None]
    x2 = GRID16[None, :]
    found = []
    while len(found) < count:
        s1, s2 = (np.float32(log_uniform(rng, 1e-4, 1e-2)) for _ in range(2))
        if op == "ADD":
            so = np.float32(max(s1, s2) * rng.uniform(1.0, 3.0))
        else:
            so = np.float32(s1 * s2 * 32768 * rng.uniform(0.3, 3.0))
        differ = int((model(x1, x2, s1, s2, so, True) != model(x1, x2, s1, s2, so, False)).sum())
        if differ >= 20:
            found.append((float(s1), float(s2), float(so)))
    return found


def int16_grid_case(op, s1, s2, so):
    g = Graph()
    x = g.tensor("INT16", [512, 1], scale=s1, zero_point=0)
    y = g.const("INT16", [1, 256], GRID16, scale=s2, zero_point=0)
    z = g.tensor("INT16", [512, 256], scale=so, zero_point=0)
    fields = dict(fusedActivationFunction=0)
    if op != "MUL":
        fields["potScaleInt16"] = False
    g.op(op, [x, y], [z], options=(OPTIONS[op], fields),
         version=op_version(op, "INT16", [512, 1], [1, 256], pot=False))
    g.inputs, g.outputs = [x], [z]
    return g.build()


_plain_cases = cases


def cases(rng):  # noqa: F811 - extends the plain cases with the int16 multiplier edge cases
    out = _plain_cases(rng)
    # int16 ADD and MUL whose outputs depend on forming the multipliers in double (as the
    # oracle does) rather than float: a const operand spanning int16 against a runtime one.
    erng = np.random.default_rng(int(rng.integers(1 << 30)))
    for op in ["ADD", "MUL"]:
        for k, (s1, s2, so) in enumerate(int16_sensitive_scales(erng, op, 2)):
            out.append((f"{op.lower()}_int16_grid{k}", int16_grid_case(op, s1, s2, so)))
    return out
