"""Array-shaping ops: PAD, PADV2, CONCATENATION, STRIDED_SLICE, SLICE, SPLIT, SPLIT_V,
TRANSPOSE. Every element type TFLM's micro kernel takes for each, ranks 1 to its limit,
negative axes, masks, negative strides, clamped indices, int32 and int64 index tensors, many
inputs/outputs, constant inputs, and a microWakeWord-style ring buffer (resource variable,
CONCATENATION, STRIDED_SLICE) run over several invocations."""
import numpy as np

from opbuilder import Graph
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s

I32MIN, I32MAX = -2**31, 2**31 - 1


def data_tensor(g, rng, dtype, shape, const=False, q=None):
    """An activation tensor (graph input unless `const`), quantized for int8/int16."""
    kw = {}
    if dtype in ("INT8", "INT16"):
        scale, zp = q if q is not None else (0.05, int(rng.integers(-10, 10)) if dtype == "INT8" else 0)
        kw = dict(scale=scale, zero_point=zp)
    if const:
        n = int(np.prod(shape))
        if dtype == "FLOAT32":
            vals = rng.normal(0, 2, n)
        elif dtype == "BOOL":
            vals = rng.integers(0, 2, n)
        else:
            vals = rng.integers(-100, 100, n)
        return g.const(dtype, shape, vals, **kw)
    return g.tensor(dtype, shape, **kw)


# ----------------------------------------------------------------------------------------- PAD

def pad_case(rng, dtype, in_shape, pads, v2=False, value_input=False, q=None, version=1):
    g = Graph()
    x = data_tensor(g, rng, dtype, in_shape, q=q)
    p = g.const("INT32", [len(pads), 2], pads)
    out_shape = [d + l + r for d, (l, r) in zip(in_shape, pads)]
    qkw = {}
    if dtype in ("INT8", "INT16"):
        scale, zp = q if q is not None else (0.05, 0)
        qkw = dict(scale=scale, zero_point=zp)
    y = g.tensor(dtype, out_shape, **qkw)
    inputs = [x, p]
    graph_inputs = [x]
    if v2:
        if value_input:
            v = g.tensor(dtype, [], **qkw)
            graph_inputs.append(v)
        elif dtype == "FLOAT32":
            v = g.const(dtype, [], [float(rng.normal(0, 3))])
        else:
            v = g.const(dtype, [], [int(rng.integers(-100, 100))], **qkw)
        inputs.append(v)
    g.op("PADV2" if v2 else "PAD", inputs, [y], version=version)
    g.inputs, g.outputs = graph_inputs, [y]
    return g.build()


def pad_cases(rng):
    out = []
    versions = {"FLOAT32": 1, "INT32": 1, "INT8": 2, "INT16": 3}
    for dtype in ["FLOAT32", "INT8", "INT16", "INT32"]:
        for rank in range(1, 6):
            for v2 in (False, True):
                shape = [int(rng.integers(1, 4)) for _ in range(rank)]
                pads = [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(rank)]
                q = (0.05, int(rng.integers(-128, 128))) if dtype == "INT8" else None
                version = 4 if rank > 4 else versions[dtype]
                name = f"pad{'v2' if v2 else ''}_{dtype}_r{rank}"
                out.append((name, pad_case(rng, dtype, shape, pads, v2=v2, q=q, version=version)))
        # Image style (no batch or channel padding), which TFLM routes separately.
        out.append((f"pad_{dtype}_image", pad_case(
            rng, dtype, [2, 3, 4, 3], [[0, 0], [1, 2], [2, 1], [0, 0]], version=versions[dtype])))
        # The pad value fed at run time.
        out.append((f"padv2_{dtype}_value_input", pad_case(
            rng, dtype, [2, 3], [[1, 1], [0, 2]], v2=True, value_input=True,
            version=versions[dtype])))
    # int8 zero points at the extremes: PAD pads with the zero point.
    for zp in (-128, 127):
        out.append((f"pad_INT8_zp{zp}", pad_case(rng, "INT8", [1, 3, 3, 2],
                                                  [[0, 0], [1, 1], [1, 1], [0, 0]],
                                                  q=(0.1, zp), version=2)))
    # int16 with a non-zero zero point: TFLM pads with 0 regardless.
    out.append(("pad_INT16_zp5", pad_case(rng, "INT16", [2, 2], [[1, 1], [1, 1]], q=(0.01, 5),
                                          version=3)))
    # Paddings of zero and an empty-ish edge.
    out.append(("pad_FLOAT32_nopad", pad_case(rng, "FLOAT32", [3, 2], [[0, 0], [0, 0]])))
    # Negative paddings: TFLM accepts them and copies the input in order.
    out.append(("pad_INT8_negative", pad_case(rng, "INT8", [4, 5], [[-1, 0], [1, -2]],
                                              version=2)))
    return out


# ------------------------------------------------------------------------------- CONCATENATION

def concat_case(rng, dtype, shapes, axis, consts=(), q=None, version=1):
    g = Graph()
    ins = [data_tensor(g, rng, dtype, sh, const=(i in consts), q=q) for i, sh in enumerate(shapes)]
    rank = len(shapes[0])
    ax = axis % rank
    out_shape = list(shapes[0])
    out_shape[ax] = sum(sh[ax] for sh in shapes)
    qkw = {}
    if dtype in ("INT8", "INT16"):
        qkw = dict(scale=q[0], zero_point=q[1])
    y = g.tensor(dtype, out_shape, **qkw)
    g.op("CONCATENATION", ins, [y],
         options=("ConcatenationOptions", dict(axis=axis, fusedActivationFunction=0)),
         version=version)
    g.inputs = [t for i, t in enumerate(ins) if i not in consts]
    g.outputs = [y]
    return g.build()


def concat_cases(rng):
    out = []
    versions = {"FLOAT32": 1, "INT32": 1, "INT64": 1, "BOOL": 1, "INT8": 2, "INT16": 3}
    for dtype in ["FLOAT32", "INT8", "INT16", "INT32", "INT64", "BOOL"]:
        for rank in range(1, 7):
            axis = int(rng.integers(-rank, rank))
            n = int(rng.integers(2, 5))
            base = [int(rng.integers(1, 4)) for _ in range(rank)]
            shapes = []
            for _ in range(n):
                sh = list(base)
                sh[axis % rank] = int(rng.integers(1, 4))
                shapes.append(sh)
            q = (0.07, int(rng.integers(-20, 20))) if dtype == "INT8" else (0.001, 0)
            out.append((f"concat_{dtype}_r{rank}_ax{axis}_n{n}",
                        concat_case(rng, dtype, shapes, axis, q=q, version=versions[dtype])))
    # Ten inputs (TFLM's most), along each axis of a 3-D tensor, one of them constant.
    for axis in (0, 1, 2, -1):
        shapes = []
        for i in range(10):
            sh = [2, 3, 2]
            sh[axis % 3] = 1 + i % 3
            shapes.append(sh)
        out.append((f"concat_INT8_ten_ax{axis}", concat_case(
            rng, "INT8", shapes, axis, consts=(3,), q=(0.02, -5), version=2)))
    # The microWakeWord shape: [1,n,1,c] along axis 1.
    out.append(("concat_INT8_mww", concat_case(
        rng, "INT8", [[1, 2, 1, 40], [1, 3, 1, 40]], 1, q=(0.1, -128), version=2)))
    return out


# ------------------------------------------------------------------------------ STRIDED_SLICE

def _clamp(v, lo, hi):
    if hi < v:
        return hi
    if v < lo:
        return lo
    return v


def ss_output_shape(shape, begin, end, strides, bmask, emask, smask):
    """TFLM's prepare (CheckOutputSize with StartForAxis/StopForAxis), in Python."""
    out = []
    for a, size in enumerate(shape):
        st = strides[a]
        if size == 0:
            b = e = 0
        else:
            b = begin[a]
            if bmask >> a & 1:
                b = I32MIN if st > 0 else I32MAX
            if b < 0:
                b += size
            b = _clamp(b, 0, size) if st > 0 else _clamp(b, -1, size - 1)
            if smask >> a & 1:
                e = b + 1
            else:
                e = end[a]
                if emask >> a & 1:
                    e = I32MAX if st > 0 else I32MIN
                if e < 0:
                    e += size
                e = _clamp(e, 0, size) if st > 0 else _clamp(e, -1, size - 1)
        if smask >> a & 1:
            e = b + 1
            continue
        d = int(np.ceil(np.float32(e - b) / np.float32(st)))
        out.append(max(d, 0))
    return out


def ss_eval_count(shape, begin, end, strides, bmask, emask, smask):
    """How many elements TFLM's eval (StridedSliceStartForAxis/EndForAxis) writes."""
    total = 1
    for a, size in enumerate(shape):
        st = strides[a]
        b = begin[a]
        if b < 0:
            b += size
        b = _clamp(b, 0, size) if st > 0 else _clamp(b, -1, size - 1)
        if bmask >> a & 1:
            b = 0 if st > 0 else size - 1
        if smask >> a & 1:
            e = b if b >= size else b + 1
        else:
            e = end[a]
            if e < 0:
                e += size
            e = _clamp(e, 0, size) if st > 0 else _clamp(e, -1, size - 1)
            if emask >> a & 1:
                e = size if st > 0 else -1
        n = len(range(b, e, st))
        total *= n
    return total


def ss_case(rng, dtype, shape, begin, end, strides, bmask=0, emask=0, smask=0, version=1):
    out_shape = ss_output_shape(shape, begin, end, strides, bmask, emask, smask)
    if int(np.prod(out_shape)) != ss_eval_count(shape, begin, end, strides, bmask, emask, smask):
        return None  # TFLM would leave part of the output unwritten; the engine refuses.
    g = Graph()
    x = data_tensor(g, rng, dtype, shape, q=(0.05, 3) if dtype == "INT8" else None)
    n = len(shape)
    b = g.const("INT32", [n], begin)
    e = g.const("INT32", [n], end)
    st = g.const("INT32", [n], strides)
    qkw = dict(scale=0.05, zero_point=3 if dtype == "INT8" else 0) if dtype in ("INT8", "INT16") else {}
    y = g.tensor(dtype, out_shape, **qkw)
    g.op("STRIDED_SLICE", [x, b, e, st], [y], options=("StridedSliceOptions", dict(
        beginMask=bmask, endMask=emask, shrinkAxisMask=smask)), version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def strided_slice_cases(rng):
    out = []
    versions = {"FLOAT32": 1, "INT32": 1, "INT16": 1, "INT8": 2, "BOOL": 3}
    for dtype in ["FLOAT32", "INT8", "INT16", "INT32", "BOOL"]:
        made = 0
        tries = 0
        while made < 14 and tries < 500:
            tries += 1
            rank = 1 + made % 4
            shape = [int(rng.integers(1, 7)) for _ in range(rank)]
            strides = [int(rng.choice([1, 1, 2, 3, -1, -2])) for _ in range(rank)]
            begin = [int(rng.integers(-d - 2, d + 3)) for d in shape]
            end = [int(rng.integers(-d - 2, d + 3)) for d in shape]
            bmask = int(rng.integers(0, 1 << rank))
            emask = int(rng.integers(0, 1 << rank))
            smask = int(rng.integers(0, 1 << rank)) if made % 3 == 2 else 0
            out_shape = ss_output_shape(shape, begin, end, strides, bmask, emask, smask)
            if 0 in out_shape:
                continue
            case = ss_case(rng, dtype, shape, begin, end, strides, bmask, emask, smask,
                           versions[dtype])
            if case is None:
                continue
            out.append((f"strided_slice_{dtype}_{made}_r{rank}", case))
            made += 1
    # The microWakeWord ring-buffer slices: keep the last k rows.
    for k, c in ((2, 40), (4, 32), (20, 64)):
        out.append((f"strided_slice_INT8_mww_{k}", ss_case(
            rng, "INT8", [1, k + 1, 1, c], [0, -k, 0, 0], [0, 0, 0, c], [1, 1, 1, 1],
            bmask=13, emask=15, version=2)))
    # Full reversal, every axis.
    out.append(("strided_slice_FLOAT32_reverse", ss_case(
        rng, "FLOAT32", [2, 3, 4], [0, 0, 0], [0, 0, 0], [-1, -1, -1], bmask=7, emask=7)))
    # Shrink every axis down to a scalar-like [].
    out.append(("strided_slice_INT32_shrink_all", ss_case(
        rng, "INT32", [3, 4], [1, -1], [2, 0], [1, 1], smask=3)))
    # Indices far past the ends (clamped).
    out.append(("strided_slice_INT16_clamped", ss_case(
        rng, "INT16", [5, 6], [-100, 2], [100, 1000], [2, 3])))
    return out


# -------------------------------------------------------------------------------------- SLICE

def slice_case(rng, dtype, shape, begin, size, idx_type="INT32", version=1):
    g = Graph()
    x = data_tensor(g, rng, dtype, shape, q=(0.05, -7) if dtype == "INT8" else None)
    n = len(shape)
    b = g.const(idx_type, [n], begin)
    sz = g.const(idx_type, [n], size)
    out_shape = [d - bb if s_ == -1 else s_ for d, bb, s_ in zip(shape, begin, size)]
    qkw = dict(scale=0.05, zero_point=-7 if dtype == "INT8" else 0) if dtype in ("INT8", "INT16") else {}
    y = g.tensor(dtype, out_shape, **qkw)
    g.op("SLICE", [x, b, sz], [y], version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def slice_cases(rng):
    out = []
    versions = {"FLOAT32": 1, "INT32": 1, "BOOL": 1, "INT8": 2, "INT16": 4}
    for dtype in ["FLOAT32", "INT8", "INT16", "INT32", "BOOL"]:
        for rank in range(1, 6):
            shape = [int(rng.integers(1, 6)) for _ in range(rank)]
            begin = [int(rng.integers(0, d)) for d in shape]
            size = [int(rng.integers(1, d - b + 1)) if rng.random() < 0.7 else -1
                    for d, b in zip(shape, begin)]
            idx = "INT64" if rank % 2 == 0 else "INT32"
            version = 5 if rank > 4 else versions[dtype]
            out.append((f"slice_{dtype}_r{rank}_{idx}",
                        slice_case(rng, dtype, shape, begin, size, idx, version)))
    return out


# ------------------------------------------------------------------------------ SPLIT, SPLIT_V

def split_case(rng, dtype, shape, axis, n, axis_type="INT32", version=1):
    g = Graph()
    ax = g.const(axis_type, [1], [axis])
    x = data_tensor(g, rng, dtype, shape)
    q = dict(scale=0.05, zero_point=0) if dtype in ("INT8", "INT16") else {}
    piece = list(shape)
    piece[axis % len(shape)] //= n
    ys = [g.tensor(dtype, piece, **q) for _ in range(n)]
    g.op("SPLIT", [ax, x], ys, options=("SplitOptions", dict(numSplits=n)), version=version)
    g.inputs, g.outputs = [x], ys
    return g.build()


def split_v_case(rng, dtype, shape, axis, sizes, splits_type="INT32", splits_input=False,
                 version=1):
    g = Graph()
    x = data_tensor(g, rng, dtype, shape)
    actual = list(sizes)
    if -1 in actual:
        k = actual.index(-1)
        actual[k] = 0
        actual[k] = shape[axis % len(shape)] - sum(actual)
    if splits_input:
        sp = g.tensor(splits_type, [len(sizes)])
    else:
        sp = g.const(splits_type, [len(sizes)], sizes)
    ax = g.const("INT32", [], [axis])
    q = dict(scale=0.05, zero_point=0) if dtype in ("INT8", "INT16") else {}
    ys = []
    for a in actual:
        sh = list(shape)
        sh[axis % len(shape)] = a
        ys.append(g.tensor(dtype, sh, **q))
    g.op("SPLIT_V", [x, sp, ax], ys, options=("SplitVOptions", dict(numSplits=len(sizes))),
         version=version)
    g.inputs = [x, sp] if splits_input else [x]
    g.outputs = ys
    return g.build()


def split_cases(rng):
    out = []
    versions = {"FLOAT32": 1, "INT8": 2, "INT32": 3, "INT16": 4}
    for dtype in ["FLOAT32", "INT8", "INT16", "INT32"]:
        for rank in range(1, 6):
            axis = int(rng.integers(-rank, rank))
            n = int(rng.integers(1, 7))
            shape = [int(rng.integers(1, 4)) for _ in range(rank)]
            shape[axis % rank] = n * int(rng.integers(1, 3))
            out.append((f"split_{dtype}_r{rank}_ax{axis}_n{n}",
                        split_case(rng, dtype, shape, axis, n, version=versions[dtype])))
    # Many outputs (more than one arena split can hand out).
    out.append(("split_INT8_nine", split_case(rng, "INT8", [2, 9, 3], 1, 9, version=2)))
    vversions = {"FLOAT32": 1, "INT8": 2, "INT32": 1, "INT16": 1}
    for dtype in ["FLOAT32", "INT8", "INT16", "INT32"]:
        for rank in range(1, 6):
            axis = int(rng.integers(-rank, rank))
            n = int(rng.integers(1, 7))
            sizes = [int(rng.integers(1, 4)) for _ in range(n)]
            shape = [int(rng.integers(1, 4)) for _ in range(rank)]
            shape[axis % rank] = sum(sizes)
            if rank % 2 == 0:
                sizes[int(rng.integers(0, n))] = -1
            st = "INT64" if rank == 3 else "INT32"
            out.append((f"split_v_{dtype}_r{rank}_ax{axis}_n{n}",
                        split_v_case(rng, dtype, shape, axis, sizes, st,
                                     version=vversions[dtype])))
    out.append(("split_v_INT8_many", split_v_case(
        rng, "INT8", [3, 21], -1, [1, 2, 3, 4, -1, 2, 1, 2], version=2)))
    # size_splits fed at run time: TFLM never reads it, the output shapes decide.
    out.append(("split_v_FLOAT32_splits_input", split_v_case(
        rng, "FLOAT32", [4, 6], 1, [1, 5], splits_input=True)))
    return out


# ---------------------------------------------------------------------------------- TRANSPOSE

def transpose_case(rng, dtype, shape, perm, version=1):
    g = Graph()
    x = data_tensor(g, rng, dtype, shape)
    p = g.const("INT32", [len(perm)], perm)
    q = dict(scale=0.05, zero_point=-3 if dtype == "INT8" else 0) if dtype in ("INT8", "INT16") else {}
    y = g.tensor(dtype, [shape[i] for i in perm], **q)
    g.op("TRANSPOSE", [x, p], [y], version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def transpose_cases(rng):
    out = []
    versions = {"FLOAT32": 1, "INT8": 2, "INT16": 5}
    for dtype in ["FLOAT32", "INT8", "INT16"]:
        for rank in range(1, 6):
            for k in range(2):
                shape = [int(rng.integers(1, 5)) for _ in range(rank)]
                perm = [int(v) for v in rng.permutation(rank)]
                version = versions[dtype] if dtype == "INT16" or rank <= 4 else 4
                out.append((f"transpose_{dtype}_r{rank}_{k}",
                            transpose_case(rng, dtype, shape, perm, version)))
    return out


# ------------------------------------------------------------------- ring buffer (multi-op)

def ring_buffer_case(rng, frames, keep, channels):
    """microWakeWord's streaming pattern: a resource variable holds the last `keep` frames;
    each invoke reads it, appends the new frame (CONCATENATION), keeps the last `keep` rows
    (STRIDED_SLICE) and writes them back. The concatenation is the output, so the state
    carried across invocations is checked."""
    g = Graph()
    q = dict(scale=0.1, zero_point=-20)
    x = g.tensor("INT8", [1, frames, 1, channels], **q)
    handle = g.tensor("RESOURCE", [])
    state = g.tensor("INT8", [1, keep, 1, channels], **q)
    joined = g.tensor("INT8", [1, keep + frames, 1, channels], **q)
    kept = g.tensor("INT8", [1, keep, 1, channels], **q)
    begin = g.const("INT32", [4], [0, -keep, 0, 0])
    end = g.const("INT32", [4], [0, 0, 0, channels])
    strides = g.const("INT32", [4], [1, 1, 1, 1])
    var = ("VarHandleOptions", dict(container=b"", sharedName=b"ring"))
    g.op("CALL_ONCE", [], [], options=("CallOnceOptions", dict(initSubgraphIndex=1)))
    g.op("VAR_HANDLE", [], [handle], options=var)
    g.op("READ_VARIABLE", [handle], [state])
    g.op("CONCATENATION", [state, x], [joined],
         options=("ConcatenationOptions", dict(axis=1, fusedActivationFunction=0)), version=2)
    g.op("STRIDED_SLICE", [joined, begin, end, strides], [kept],
         options=("StridedSliceOptions", dict(beginMask=13, endMask=15)), version=2)
    g.op("ASSIGN_VARIABLE", [handle, kept], [])
    g.inputs, g.outputs = [x], [joined]
    main = g.sg
    # Subgraph 1 (run once): the variable starts as the zero point everywhere.
    init = s.SubGraphT()
    init.tensors, init.operators = [], []
    g.subgraphs.append(init)
    g.sg = init
    h2 = g.tensor("RESOURCE", [])
    zeros = g.const("INT8", [1, keep, 1, channels], np.full(keep * channels, -20), **q)
    g.op("VAR_HANDLE", [], [h2], options=var)
    g.op("ASSIGN_VARIABLE", [h2, zeros], [])
    init.inputs, init.outputs = [], []
    g.sg = main
    return g.build()


def cases(rng):
    out = []
    out += pad_cases(rng)
    out += concat_cases(rng)
    out += strided_slice_cases(rng)
    out += slice_cases(rng)
    out += split_cases(rng)
    out += transpose_cases(rng)
    out += [("ring_buffer_1x2", ring_buffer_case(rng, 1, 2, 40)),
            ("ring_buffer_3x4", ring_buffer_case(rng, 3, 4, 8))]
    return out
