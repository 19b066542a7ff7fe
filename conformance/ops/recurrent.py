"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM cases.

SVDF: full-integer with int8 and with int16 time weights / state (zero points on the state,
input and output), float32 with every fused activation TFLM evaluates; rank 1..3, batches 1..2,
several filter, unit and memory sizes. compare.py runs each model several times in sequence,
so the activation state carries over. (TFLM crashes on an SVDF without bias, so every case has
one.)

LSTM: the LSTM of /work/shared/models/tflm/trained_lstm_int8.tflite extracted into one-op
models at generation time (when that file is present; its data never enters the repository),
batch- and time-major, with more batches; random int8 (int32 bias) and int16 (int64 bias)
integer LSTMs with several cell-state scales, zero points and clips; float32 LSTMs.
"""
import os

import numpy as np

from edges import boundary_accs, log_uniform_f32, mbqm, mbqm64, qm
from opbuilder import Graph

TRAINED_LSTM = "/work/shared/models/tflm/trained_lstm_int8.tflite"
KEYWORD = "/work/shared/models/tflm/keyword_scrambled_8bit.tflite"

# Float LSTMs and float SVDF with TANH go through expf/tanhf, which TFLM takes from the C
# library (glibc for the oracle). Set True once the engine's float exp/tanh are glibc-exact
# (kernels/lstm.rs `exp_f32`/`tanh_f32` pointed at quant::glibc_expf/glibc_tanhf); with the
# libm crate's they differ by an ulp on some inputs.
FLOAT_TRANSCENDENTAL_CASES = True


def extract_ops(path, first, last):
    """Ops `first..=last` of subgraph 0 of the model at `path` as a model of their own: the
    tensors they use (constants with their data, variables kept variable); its inputs are the
    non-constant, non-variable tensors the ops read but do not produce, its output the last op's
    output. Reads the model at generation time; its data never enters the repository."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s
    src = s.ModelT.InitFromObj(s.Model.GetRootAsModel(open(path, "rb").read(), 0))
    sg = src.subgraphs[0]
    names = {v: k for k, v in s.TensorType.__dict__.items() if not k.startswith("_")}
    g = Graph()
    remap, produced, inputs = {}, set(), []

    def copy(i):
        if i < 0:
            return -1
        if i in remap:
            return remap[i]
        t = sg.tensors[i]
        q = t.quantization
        kw = {}
        if q is not None and q.scale is not None:
            kw = dict(scale=list(q.scale), zero_point=list(q.zeroPoint), axis=q.quantizedDimension)
        data = src.buffers[t.buffer].data
        dtype = names[t.type]
        if data is not None and len(data):
            from opbuilder import NP_TYPES
            arr = np.frombuffer(bytes(bytearray(data)), NP_TYPES[dtype]).reshape(list(t.shape))
            remap[i] = g.const(dtype, list(t.shape), arr, **kw)
        else:
            remap[i] = g.tensor(dtype, list(t.shape), variable=bool(t.isVariable), **kw)
            if not t.isVariable and i not in produced:
                inputs.append(remap[i])
        return remap[i]

    opnames = {v: k for k, v in s.BuiltinOperator.__dict__.items() if not k.startswith("_")}
    last_out = None
    for op in sg.operators[first:last + 1]:
        oc = src.operatorCodes[op.opcodeIndex]
        code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
        ins = [copy(i) for i in op.inputs]
        for o in op.outputs:
            produced.add(o)
        outs = [copy(o) for o in op.outputs]
        o = g.op(opnames[code], ins, outs, version=oc.version)
        o.builtinOptionsType, o.builtinOptions = op.builtinOptionsType, op.builtinOptions
        last_out = outs[0]
    g.inputs, g.outputs = inputs, [last_out]
    return g.build()


# ----------------------------------------------------------------------------------------------
# SVDF
# ----------------------------------------------------------------------------------------------

def svdf_int(rng, batches, input_size, units, rank, memory, state_type, act, zero_points):
    g = Graph()
    filters = units * rank
    in_scale = float(rng.uniform(0.01, 0.1))
    in_zp = int(rng.integers(-30, 30)) if zero_points else 0
    wf_scale = float(rng.uniform(0.003, 0.02))
    x = g.tensor("INT8", [batches, input_size], scale=in_scale, zero_point=in_zp)
    wf = g.const("INT8", [filters, input_size],
                 rng.integers(-127, 128, (filters, input_size)), scale=wf_scale, zero_point=0)
    # State scale sized so the projected features use the state's range without all saturating.
    feat = np.sqrt(input_size) * 64 * in_scale * 64 * wf_scale
    state_range = 40 if state_type == "INT8" else 6000
    state_scale = float(feat / state_range * rng.uniform(0.5, 2))
    state_zp = int(rng.integers(-40, 40)) if (zero_points and state_type == "INT8") else 0
    if state_type == "INT8":
        wt_vals = rng.integers(-127, 128, (filters, memory))
        wt_scale = float(rng.uniform(0.003, 0.02))
    else:
        wt_vals = rng.integers(-32767, 32768, (filters, memory))
        wt_scale = float(rng.uniform(0.00002, 0.0002))
    wt = g.const(state_type, [filters, memory], wt_vals, scale=wt_scale, zero_point=0)
    bias_scale = float(np.float32(state_scale) * np.float32(wt_scale))
    bias_mag = int(np.sqrt(memory * rank) * state_range * 64 * (64 if state_type == "INT8" else 16384) / 4)
    b = g.const("INT32", [units], rng.integers(-bias_mag, bias_mag + 1, units),
                scale=bias_scale, zero_point=0)
    state = g.tensor(state_type, [batches, memory * filters], scale=state_scale,
                     zero_point=state_zp, variable=True)
    tsum = np.sqrt(memory * rank) * state_range * state_scale * 64 * (
        wt_scale * (1 if state_type == "INT8" else 256))
    out_scale = float(tsum / 50 * rng.uniform(0.5, 2))
    out_zp = int(rng.integers(-20, 20)) if zero_points else 0
    y = g.tensor("INT8", [batches, units], scale=out_scale, zero_point=out_zp)
    g.op("SVDF", [x, wf, wt, b, state], [y],
         options=("SVDFOptions", dict(rank=rank, fusedActivationFunction=act)), version=3)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def svdf_float(rng, batches, input_size, units, rank, memory, act):
    g = Graph()
    filters = units * rank
    x = g.tensor("FLOAT32", [batches, input_size])
    wf = g.const("FLOAT32", [filters, input_size], rng.normal(0, 0.5, (filters, input_size)))
    wt = g.const("FLOAT32", [filters, memory], rng.normal(0, 0.5, (filters, memory)))
    b = g.const("FLOAT32", [units], rng.normal(0, 0.5, units))
    state = g.tensor("FLOAT32", [batches, memory * filters], variable=True)
    y = g.tensor("FLOAT32", [batches, units])
    g.op("SVDF", [x, wf, wt, b, state], [y],
         options=("SVDFOptions", dict(rank=rank, fusedActivationFunction=act)), version=1)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def svdf_cases(rng):
    out = []
    if os.path.exists(KEYWORD):
        # Each of the keyword model's SVDFs alone, and its SVDF / FULLY_CONNECTED stack
        # (everything between its QUANTIZE and SOFTMAX), int8 time weights and state.
        for k in [1, 3, 5, 7, 9, 10, 11]:
            out.append((f"svdf_keyword_op{k}", extract_ops(KEYWORD, k, k)))
        out.append(("svdf_keyword_ops1to12", extract_ops(KEYWORD, 1, 12)))
    shapes = [  # batches, input_size, units, rank, memory
        (1, 96, 64, 1, 8), (1, 16, 8, 2, 4), (2, 10, 4, 1, 3), (2, 7, 3, 3, 1),
        (1, 5, 1, 1, 10), (2, 33, 6, 2, 5),
    ]
    for i, (bt, n_in, units, rank, mem) in enumerate(shapes):
        for st in ["INT8", "INT16"]:
            for act in [0, 1]:
                zps = (i + act) % 3 != 0
                name = f"svdf_{st.lower()}_b{bt}_in{n_in}_u{units}_r{rank}_m{mem}_act{act}_zp{int(zps)}"
                out.append((name, svdf_int(rng, bt, n_in, units, rank, mem, st, act, zps)))
    for i, (bt, n_in, units, rank, mem) in enumerate(shapes[1:]):
        for act in [0, 1, 2, 3, 4, 5] if FLOAT_TRANSCENDENTAL_CASES else [0, 1, 2, 3, 5]:
            name = f"svdf_float_b{bt}_in{n_in}_u{units}_r{rank}_m{mem}_act{act}"
            out.append((name, svdf_float(rng, bt, n_in, units, rank, mem, act)))
    return out


# ----------------------------------------------------------------------------------------------
# UNIDIRECTIONAL_SEQUENCE_LSTM
# ----------------------------------------------------------------------------------------------

def lstm_op(g, inputs, out, cell_clip, time_major, version):
    g.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [out],
         options=("UnidirectionalSequenceLSTMOptions",
                  dict(fusedActivationFunction=4, cellClip=cell_clip, projClip=0.0,
                       timeMajor=time_major)),
         version=version)


def lstm_random(rng, kind, batches, steps, n_in, n_state, time_major, cell_scale, cell_clip,
                zero_points):
    g = Graph()
    seq_shape = [steps, batches] if time_major else [batches, steps]
    if kind == "float":
        x = g.tensor("FLOAT32", seq_shape + [n_in])
        ws = [g.const("FLOAT32", [n_state, n_in if k < 4 else n_state],
                      rng.normal(0, 0.4, (n_state, n_in if k < 4 else n_state)))
              for k in range(8)]
        bs = [g.const("FLOAT32", [n_state], rng.normal(0, 0.3, n_state)) for _ in range(4)]
        h = g.tensor("FLOAT32", [batches, n_state], variable=True)
        c = g.tensor("FLOAT32", [batches, n_state], variable=True)
        y = g.tensor("FLOAT32", seq_shape + [n_state])
        version = 1
    else:
        act_t, bias_t = ("INT8", "INT32") if kind == "int8" else ("INT16", "INT64")
        qmax = 127 if act_t == "INT8" else 32767
        in_scale = float(rng.uniform(0.5, 2) / qmax)
        in_zp = int(rng.integers(-20, 20)) if (zero_points and act_t == "INT8") else 0
        h_scale = float(rng.uniform(0.8, 1.2) / qmax)
        h_zp = int(rng.integers(-10, 10)) if (zero_points and act_t == "INT8") else 0
        x = g.tensor(act_t, seq_shape + [n_in], scale=in_scale, zero_point=in_zp)
        ws = []
        for k in range(8):
            cols = n_in if k < 4 else n_state
            w_scale = float(rng.uniform(0.5, 1.5) * 2.0 / np.sqrt(cols) / 127)
            ws.append(g.const("INT8", [n_state, cols], rng.integers(-127, 128, (n_state, cols)),
                              scale=w_scale, zero_point=0))
        bs = []
        for k in range(4):
            w_scale = g.sg.tensors[ws[k]].quantization.scale[0]
            b_scale = float(np.float32(in_scale) * np.float32(w_scale))
            lim = int(0.5 / b_scale)
            bs.append(g.const(bias_t, [n_state], rng.integers(-lim, lim + 1, n_state),
                              scale=b_scale, zero_point=0))
        h = g.tensor(act_t, [batches, n_state], scale=h_scale, zero_point=h_zp, variable=True)
        c = g.tensor("INT16", [batches, n_state], scale=cell_scale, zero_point=0, variable=True)
        y = g.tensor(act_t, seq_shape + [n_state], scale=h_scale, zero_point=h_zp)
        version = 4
    inputs = [x] + ws[:4] + ws[4:] + [-1, -1, -1] + bs + [-1, -1, h, c, -1, -1, -1, -1]
    lstm_op(g, inputs, y, cell_clip, time_major, version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def lstm_from_trained(batches, time_major, cell_clip=None):
    """The trained model's LSTM as a one-op model (weights and quantization copied), with its
    sequence laid out batch- or time-major and `batches` sequences."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s
    src = s.ModelT.InitFromObj(s.Model.GetRootAsModel(open(TRAINED_LSTM, "rb").read(), 0))
    sg = src.subgraphs[0]
    op = sg.operators[0]
    opts = op.builtinOptions
    g = Graph()
    np_type = {s.TensorType.INT8: ("INT8", np.int8), s.TensorType.INT16: ("INT16", np.int16),
               s.TensorType.INT32: ("INT32", np.int32)}

    def copy(i, shape=None, variable=False):
        if i < 0:
            return -1
        t = sg.tensors[i]
        name, dt = np_type[t.type]
        q = t.quantization
        kw = dict(scale=list(q.scale), zero_point=list(q.zeroPoint)) if q is not None and q.scale is not None else {}
        data = src.buffers[t.buffer].data
        if data is not None and len(data):
            arr = np.frombuffer(bytes(bytearray(data)), dt).reshape(list(t.shape))
            return g.const(name, list(t.shape), arr, **kw)
        return g.tensor(name, shape or list(t.shape), variable=variable, **kw)

    _, steps, n_in = [int(d) for d in sg.tensors[op.inputs[0]].shape]
    n_state = int(sg.tensors[op.outputs[0]].shape[2])
    seq = [steps, batches] if time_major else [batches, steps]
    ins = []
    for k, i in enumerate(op.inputs):
        if k == 0:
            ins.append(copy(i, seq + [n_in]))
        elif k in (18, 19):
            ins.append(copy(i, [batches, n_state], variable=True))
        else:
            ins.append(copy(i))
    y = copy(op.outputs[0], seq + [n_state])
    clip = opts.cellClip if cell_clip is None else cell_clip
    lstm_op(g, ins, y, clip, time_major, 1)
    g.inputs, g.outputs = [ins[0]], [y]
    return g.build()


def lstm_cases(rng):
    out = []
    if os.path.exists(TRAINED_LSTM):
        for batches, tm in [(1, False), (1, True), (2, False), (3, True)]:
            out.append((f"lstm_trained_b{batches}_tm{int(tm)}", lstm_from_trained(batches, tm)))
        out.append(("lstm_trained_b1_tm0_clip0.5", lstm_from_trained(1, False, 0.5)))
        out.append(("lstm_trained_b2_tm1_noclip", lstm_from_trained(2, True, 0.0)))
        # The trained model up to its SOFTMAX: LSTM, RESHAPE, FULLY_CONNECTED.
        out.append(("lstm_trained_ops0to2", extract_ops(TRAINED_LSTM, 0, 2)))
    shapes = [  # batches, steps, input, state
        (1, 3, 4, 5), (2, 4, 6, 3), (3, 2, 1, 7), (1, 6, 9, 2), (2, 1, 5, 8),
    ]
    cell_scales = [2.0 ** -11, 2.0 ** -12, 2.0 ** -15, 2.0 ** -10, 0.0003]
    for kind in ["int8", "int16"]:
        for i, (bt, st, n_in, n_state) in enumerate(shapes):
            for tm in [False, True]:
                cs = cell_scales[(i + int(tm)) % len(cell_scales)]
                clip = [0.0, 1.5, 3.0][(i + 2 * int(tm)) % 3]
                zps = (i + int(tm)) % 2 == 0
                name = (f"lstm_{kind}_b{bt}_t{st}_in{n_in}_s{n_state}_tm{int(tm)}"
                        f"_cs{np.log2(cs):.1f}_clip{clip}_zp{int(zps)}")
                out.append((name, lstm_random(rng, kind, bt, st, n_in, n_state, tm, cs, clip,
                                              zps)))
    for i, (bt, st, n_in, n_state) in enumerate(shapes if FLOAT_TRANSCENDENTAL_CASES else []):
        for tm in [False, True]:
            clip = [0.0, 0.8][(i + int(tm)) % 2]
            name = f"lstm_float_b{bt}_t{st}_in{n_in}_s{n_state}_tm{int(tm)}_clip{clip}"
            out.append((name, lstm_random(rng, "float", bt, st, n_in, n_state, tm, 1.0, clip,
                                          False)))
    return out


def fast_path_cases(rng):
    """Sizes for the engine's fast int8 loops: SVDF memories and inputs that are not multiples
    of 8 (and more than 32 filters), LSTM inputs and states that are not multiples of 8 or 4."""
    out = []
    for i, (bt, n_in, units, rank, mem) in enumerate([(1, 70, 20, 2, 13), (2, 300, 33, 1, 9)]):
        name = f"svdf_int8_fast_b{bt}_in{n_in}_u{units}_r{rank}_m{mem}"
        out.append((name, svdf_int(rng, bt, n_in, units, rank, mem, "INT8", 0, i == 0)))
    for i, (bt, st, n_in, n_state, tm) in enumerate([(1, 3, 33, 21, False), (2, 2, 70, 37, True)]):
        name = f"lstm_int8_fast_b{bt}_t{st}_in{n_in}_s{n_state}_tm{int(tm)}"
        out.append((name, lstm_random(rng, "int8", bt, st, n_in, n_state, tm, 2.0 ** -11,
                                      [0.0, 2.0][i], i == 0)))
    return out


def cases(rng):
    erng = np.random.default_rng(int(rng.integers(1 << 30)))
    return (svdf_cases(rng) + lstm_cases(rng) + fast_path_cases(rng) + svdf_multiplier_edges(erng)
            + lstm_gate_bias_edges(erng))


def _svdf_model(x_scale, zi, wf, wf_scale, wt, wt_scale, bias, state_scale, out_scale):
    """A one-batch, rank-1, memory-1 int8 SVDF (state zero point 0, no activation)."""
    units = len(wf)
    g = Graph()
    x = g.tensor("INT8", [64, 1], scale=x_scale, zero_point=zi)
    w1 = g.const("INT8", [units, 1], np.array(wf).reshape(units, 1), scale=wf_scale, zero_point=0)
    w2 = g.const("INT8", [units, 1], np.array(wt).reshape(units, 1), scale=wt_scale, zero_point=0)
    b = g.const("INT32", [units], bias, scale=float(np.float32(state_scale) * np.float32(wt_scale)),
                zero_point=0)
    state = g.tensor("INT8", [64, units], scale=state_scale, zero_point=0, variable=True)
    y = g.tensor("INT8", [64, units], scale=out_scale, zero_point=0)
    g.op("SVDF", [x, w1, w2, b, state], [y],
         options=("SVDFOptions", dict(rank=1, fusedActivationFunction=0)), version=3)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def svdf_multiplier_edges(rng):
    """int8 SVDFs whose outputs depend on forming the two multipliers in double (the oracle)
    or in float (the mirrored reference's form).
    `scale1`: input_size 1 and memory 1, so each state is one input times a feature weight
    requantized by in * wf / state; time weights 1 and out = state * 2^-7 make the output that
    state exactly. Scales where some of the 256 inputs requantize apart.
    `scale2`: zero time weights, so each output is its bias requantized by
    state * wt / out; biases that the two multipliers round apart."""
    out = []
    wf = np.array([127, 113, 97, 71], np.int64)
    zi = 0
    x = np.arange(-128, 128, dtype=np.int64)
    dots = (wf[:, None] * (x[None, :] - zi)).reshape(-1)[None, :]
    while True:
        n = 5000
        a = log_uniform_f32(rng, 0.01, 0.1, n)
        f = log_uniform_f32(rng, 0.003, 0.02, n)
        s = (a * f * 127 * 128 / rng.uniform(100, 130, n)).astype(np.float32)
        qd, sd = qm(a.astype(np.float64) * f / s)
        qf, sf = qm(((a * f) / s).astype(np.float64))
        od = np.clip(mbqm(dots, qd[:, None], sd[:, None]), -128, 127)
        of = np.clip(mbqm(dots, qf[:, None], sf[:, None]), -128, 127)
        rows = np.nonzero((od != of).any(axis=1))[0]
        if len(rows):
            i = rows[0]
            ss = float(s[i])
            out.append(("svdf_int8_scale1_multiplier_edge", _svdf_model(
                float(a[i]), zi, wf, float(f[i]), [1] * 4, 2.0 ** -7, [0] * 4, ss,
                float(np.float32(ss) * np.float32(2.0 ** -7)))))
            break
    while True:
        n = 4000
        s = log_uniform_f32(rng, 0.01, 0.1, n)
        t = log_uniform_f32(rng, 0.003, 0.02, n)
        o = (s * t / log_uniform_f32(rng, 1e-3, 5e-2, n)).astype(np.float32)
        qd, sd = qm(s.astype(np.float64) * t / o)
        qf, sf = qm(((s * t) / o).astype(np.float64))
        keep = (qd != qf) | (sd != sf)
        accs = boundary_accs((s.astype(np.float64) * t / o)[keep], -128, 127)
        od = np.clip(mbqm(accs, qd[keep][:, None], sd[keep][:, None]), -128, 127)
        of = np.clip(mbqm(accs, qf[keep][:, None], sf[keep][:, None]), -128, 127)
        hit = od != of
        rows = np.nonzero(hit.sum(axis=1) >= 4)[0]
        if len(rows):
            r = rows[0]
            i = np.nonzero(keep)[0][r]
            bias = [int(v) for v in accs[r][hit[r]][:4]]
            out.append(("svdf_int8_scale2_multiplier_edge", _svdf_model(
                0.05, 0, [0] * 4, 0.01, [0] * 4, float(t[i]), bias, float(s[i]), float(o[i]))))
            break
    return out


def lstm_gate_bias_edges(rng):
    """Integer LSTMs whose gate inputs are their biases alone (all weights zero), requantized by
    the gate multiplier input_scale * weight_scale / 2^-12: scales whose double and float
    products give different multipliers, and biases (one per gate and unit) that the two
    multipliers round to different gate inputs inside the sigmoid's and tanh's working range,
    so the cell and hidden states tell the forms apart. The oracle takes the double product
    (the engine with the float product fails this case)."""
    out = []
    # int16 only: an int8 LSTM's int8 hidden state is too coarse to show a one-step change of
    # a gate input (such cases pass either way, so they are not kept).
    for kind in ["int16"]:
        qmax = 127 if kind == "int8" else 32767
        act_t, bias_t = ("INT8", "INT32") if kind == "int8" else ("INT16", "INT64")
        n_state, n_in = 16, 2
        while True:
            n = 2000
            a = np.full(n, np.float32(rng.uniform(0.5, 2) / qmax), np.float32)
            w = log_uniform_f32(rng, 0.002, 0.02, n)
            m = a.astype(np.float64) * w / 2.0 ** -12
            qd, sd = qm(m)
            qf, sf = qm((a * w).astype(np.float64) / 2.0 ** -12)
            keep = np.nonzero((qd != qf) | (sd != sf))[0]
            accs = boundary_accs(m[keep], -12000, 12000, step=7)
            # 16x8 gates requantize with the multiplier reduced to 16 bits.
            requant = mbqm if kind == "int8" else mbqm64
            od = requant(accs, qd[keep][:, None], sd[keep][:, None])
            of = requant(accs, qf[keep][:, None], sf[keep][:, None])
            hit = od != of
            rows = np.nonzero(hit.sum(axis=1) >= 4 * n_state)[0]
            if len(rows):
                r = rows[0]
                break
        i = keep[r]
        # Spread over the range (not just its negative end), shuffled across gates and units.
        found = accs[r][hit[r]]
        pick = found[np.linspace(0, len(found) - 1, 4 * n_state).astype(int)]
        biases = rng.permutation(pick).reshape(4, n_state)
        in_scale, w_scale = float(a[i]), float(w[i])
        g = Graph()
        x = g.tensor(act_t, [1, 16, n_in], scale=in_scale, zero_point=0)
        ws = [g.const("INT8", [n_state, n_in if k < 4 else n_state],
                      np.zeros((n_state, n_in if k < 4 else n_state)), scale=w_scale, zero_point=0)
              for k in range(8)]
        bscale = float(np.float32(in_scale) * np.float32(w_scale))
        bs = [g.const(bias_t, [n_state], biases[k], scale=bscale, zero_point=0) for k in range(4)]
        h_scale = float(np.float32(rng.uniform(0.8, 1.2) / qmax))
        h = g.tensor(act_t, [1, n_state], scale=h_scale, zero_point=0, variable=True)
        # A fine cell scale keeps a one-step change of a gate visible in the cell state.
        c = g.tensor("INT16", [1, n_state], scale=2.0 ** -15, zero_point=0, variable=True)
        y = g.tensor(act_t, [1, 16, n_state], scale=h_scale, zero_point=0)
        inputs = [x] + ws + [-1, -1, -1] + bs + [-1, -1, h, c, -1, -1, -1, -1]
        lstm_op(g, inputs, y, 0.0, False, 4)
        g.inputs, g.outputs = [x], [y]
        out.append((f"lstm_{kind}_gate_bias_multiplier_edge", g.build()))
    return out
