"""CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV cases: int8 (per-tensor and per-channel
filters, int32 bias or none), 16x8 (every bias type TFLM reads for each op), float32; kernel
sizes 1..5, strides 1..3, dilation 1..2, SAME and VALID padding, batches 1..2, odd sizes,
depth multipliers 1..3, grouped CONV_2D, every fused activation, extreme zero points."""
import math

import numpy as np

from edges import boundary_accs, log_uniform_f32, mbqm, mbqm64, qm
from opbuilder import Graph

ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6


def out_size(same, size, f, stride, dil):
    eff = (f - 1) * dil + 1
    return (size + stride - 1) // stride if same else (size + stride - eff) // stride


def act_tensor(g, kind, shape, scale, zp):
    if kind == "float":
        return g.tensor("FLOAT32", shape)
    return g.tensor("INT8" if kind == "int8" else "INT16", shape, scale=scale, zero_point=zp)


def quant_setup(rng, kind, taps, in_zp=None, out_zp=None):
    """(input scale, input zp, output zp, output-scale factor): output scale = factor times the
    typical accumulator's real size, so outputs spread over the range instead of saturating."""
    in_scale = float(rng.uniform(0.005, 0.1))
    if kind == "int8":
        izp = int(rng.integers(-30, 30)) if in_zp is None else in_zp
        ozp = int(rng.integers(-20, 20)) if out_zp is None else out_zp
        spread = 74 * 73 * math.sqrt(taps) / 50
    else:
        izp, ozp = 0, 0
        spread = 18900 * 73 * math.sqrt(taps) / 5000
    return in_scale, izp, ozp, spread * float(rng.uniform(0.5, 2.0))


def filter_tensor(g, rng, kind, shape, per_channel, channels, axis, filter_zp=0):
    if kind == "float":
        return g.const("FLOAT32", shape, rng.normal(0, 0.5, shape)), None
    n = channels if per_channel else 1
    w_scale = rng.uniform(0.002, 0.02, n).astype(np.float32)
    data = rng.integers(-127, 128, shape)
    return g.const("INT8", shape, data, scale=w_scale, zero_point=[filter_zp] * n, axis=axis), w_scale


def bias_tensor(g, rng, kind, bias_t, channels, in_scale, w_scale):
    if bias_t is None:
        return -1
    if kind == "float":
        return g.const("FLOAT32", [channels], rng.normal(0, 0.5, channels))
    bscale = (in_scale * np.broadcast_to(w_scale, channels)).astype(np.float32)
    lim = 20000 if kind == "int8" else (30000 if bias_t == "INT16" else 3_000_000)
    return g.const(bias_t, [channels], rng.integers(-lim, lim, channels),
                   scale=bscale, zero_point=[0] * channels)


def conv_case(rng, kind, *, batches=1, h=7, w=6, in_d=3, out_d=4, kh=3, kw=3, stride=(1, 1),
              dil=(1, 1), same=True, act=0, bias_t="INT32", per_channel=True, groups=1,
              in_zp=None, out_zp=None, qbt=0, filter_zp=0):
    g = Graph()
    taps = kh * kw * (in_d // groups)
    in_scale, izp, ozp, spread = quant_setup(rng, kind, taps, in_zp, out_zp)
    x = act_tensor(g, kind, [batches, h, w, in_d], in_scale, izp)
    wt, w_scale = filter_tensor(g, rng, kind, [out_d, kh, kw, in_d // groups], per_channel,
                                out_d, 0, filter_zp)
    b = bias_tensor(g, rng, kind, bias_t, out_d, in_scale, w_scale)
    oh = out_size(same, h, kh, stride[0], dil[0])
    ow = out_size(same, w, kw, stride[1], dil[1])
    out_scale = in_scale * float(np.mean(w_scale)) * spread if w_scale is not None else None
    y = act_tensor(g, kind, [batches, oh, ow, out_d], out_scale, ozp)
    opts = dict(padding=0 if same else 1, strideW=stride[1], strideH=stride[0],
                fusedActivationFunction=act, dilationWFactor=dil[1], dilationHFactor=dil[0],
                quantizedBiasType=qbt)
    g.op("CONV_2D", [x, wt, b], [y], options=("Conv2DOptions", opts), version=3)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def depthwise_case(rng, kind, *, batches=1, h=7, w=6, in_d=3, dm=1, kh=3, kw=3, stride=(1, 1),
                   dil=(1, 1), same=True, act=0, bias_t="INT32", per_channel=True, in_zp=None,
                   out_zp=None):
    g = Graph()
    out_d = in_d * dm
    in_scale, izp, ozp, spread = quant_setup(rng, kind, kh * kw, in_zp, out_zp)
    x = act_tensor(g, kind, [batches, h, w, in_d], in_scale, izp)
    wt, w_scale = filter_tensor(g, rng, kind, [1, kh, kw, out_d], per_channel, out_d, 3)
    b = bias_tensor(g, rng, kind, bias_t, out_d, in_scale, w_scale)
    oh = out_size(same, h, kh, stride[0], dil[0])
    ow = out_size(same, w, kw, stride[1], dil[1])
    out_scale = in_scale * float(np.mean(w_scale)) * spread if w_scale is not None else None
    y = act_tensor(g, kind, [batches, oh, ow, out_d], out_scale, ozp)
    opts = dict(padding=0 if same else 1, strideW=stride[1], strideH=stride[0], depthMultiplier=dm,
                fusedActivationFunction=act, dilationWFactor=dil[1], dilationHFactor=dil[0])
    # Without a bias, only two inputs: TFLM's depthwise prepare crashes on an omitted third.
    inputs = [x, wt] + ([b] if b != -1 else [])
    g.op("DEPTHWISE_CONV_2D", inputs, [y], options=("DepthwiseConv2DOptions", opts), version=3)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def transpose_case(rng, kind, *, batches=1, h=4, w=3, in_d=3, out_d=4, kh=3, kw=3,
                   stride=(2, 2), same=True, act=0, bias_t="INT32", per_channel=True, in_zp=None,
                   out_zp=None):
    g = Graph()
    # Each output sums about kh*kw/(stride^2) taps of in_d channels.
    taps = max(1, kh * kw * in_d // (stride[0] * stride[1]))
    in_scale, izp, ozp, spread = quant_setup(rng, kind, taps, in_zp, out_zp)
    if same:
        oh, ow = h * stride[0], w * stride[1]
    else:
        oh, ow = (h - 1) * stride[0] + kh, (w - 1) * stride[1] + kw
    shape = g.const("INT32", [4], [batches, oh, ow, out_d])
    wt, w_scale = filter_tensor(g, rng, kind, [out_d, kh, kw, in_d], per_channel, out_d, 0)
    x = act_tensor(g, kind, [batches, h, w, in_d], in_scale, izp)
    b = bias_tensor(g, rng, kind, bias_t, out_d, in_scale, w_scale)
    out_scale = in_scale * float(np.mean(w_scale)) * spread if w_scale is not None else None
    y = act_tensor(g, kind, [batches, oh, ow, out_d], out_scale, ozp)
    opts = dict(padding=0 if same else 1, strideW=stride[1], strideH=stride[0],
                fusedActivationFunction=act)
    inputs = [shape, wt, x] + ([b] if b != -1 else [])
    g.op("TRANSPOSE_CONV", inputs, [y], options=("TransposeConvOptions", opts), version=4)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def r(rng, lo, hi):
    return int(rng.integers(lo, hi + 1))


def cases(rng):
    out = []

    # CONV_2D: a sweep of geometry for every type.
    for kind in ["int8", "int16", "float"]:
        for k in range(24):
            kh, kw = r(rng, 1, 5), r(rng, 1, 5)
            stride = (r(rng, 1, 3), r(rng, 1, 3))
            dil = (r(rng, 1, 2), r(rng, 1, 2))
            same = k % 2 == 0
            h = r(rng, (kh - 1) * dil[0] + 1, 13)
            w = r(rng, (kw - 1) * dil[1] + 1, 13)
            groups = 2 if k % 8 == 5 else 1
            in_d = r(rng, 1, 9) * groups
            out_d = r(rng, 1, 8) * groups
            if kind == "int8":
                bias_t = "INT32" if k % 3 else None
            elif kind == "int16":
                bias_t = ["INT64", "INT32", None][k % 3]
            else:
                bias_t = "f" if k % 3 else None
            name = (f"conv_{kind}_{k}_k{kh}x{kw}_s{stride[0]}{stride[1]}_d{dil[0]}{dil[1]}_"
                    f"{'same' if same else 'valid'}_g{groups}_b{bias_t}")
            out.append((name, conv_case(
                rng, kind, batches=r(rng, 1, 2), h=h, w=w, in_d=in_d, out_d=out_d, kh=kh, kw=kw,
                stride=stride, dil=dil, same=same, act=ACTS[k % 4], bias_t=bias_t,
                per_channel=k % 4 != 3, groups=groups,
                qbt=2 if (kind == "int16" and bias_t is None and k % 2) else 0)))
    # CONV_2D int8: every activation with extreme zero points, per-tensor and per-channel.
    for act in ACTS:
        for in_zp, out_zp in [(-128, -128), (127, 127), (-128, 127), (0, -128)]:
            for pc in [True, False]:
                out.append((f"conv_int8_act{act}_zp{in_zp}_{out_zp}_pc{int(pc)}", conv_case(
                    rng, "int8", h=r(rng, 3, 9), w=r(rng, 3, 9), in_d=r(rng, 1, 6),
                    out_d=r(rng, 1, 6), act=act, per_channel=pc, in_zp=in_zp, out_zp=out_zp)))
    # 1x1 convolutions like MobileNet's, some deep; a non-zero filter zero point (ignored by
    # TFLM's int8 kernel).
    for k, (h, in_d, out_d) in enumerate([(12, 32, 64), (6, 64, 128), (3, 256, 20), (5, 7, 33),
                                          (1, 256, 2)]):
        out.append((f"conv_int8_1x1_{k}", conv_case(
            rng, "int8", h=h, w=h, in_d=in_d, out_d=out_d, kh=1, kw=1, act=3, in_zp=-128)))
    out.append(("conv_int8_filter_zp", conv_case(rng, "int8", filter_zp=3)))
    out.append(("conv_int16_relu", conv_case(rng, "int16", act=1, bias_t="INT64")))

    # DEPTHWISE_CONV_2D.
    for kind in ["int8", "int16", "float"]:
        for k in range(24):
            kh, kw = r(rng, 1, 5), r(rng, 1, 5)
            stride = (r(rng, 1, 3), r(rng, 1, 3))
            dil = (r(rng, 1, 2), r(rng, 1, 2))
            same = k % 2 == 1
            h = r(rng, (kh - 1) * dil[0] + 1, 13)
            w = r(rng, (kw - 1) * dil[1] + 1, 13)
            dm = 1 + k % 3
            if kind == "int8":
                bias_t = "INT32" if k % 4 else None
            elif kind == "int16":
                bias_t = "INT64" if k % 4 else None
            else:
                bias_t = "f" if k % 4 else None
            name = (f"dw_{kind}_{k}_k{kh}x{kw}_s{stride[0]}{stride[1]}_d{dil[0]}{dil[1]}_"
                    f"{'same' if same else 'valid'}_m{dm}_b{bias_t}")
            out.append((name, depthwise_case(
                rng, kind, batches=r(rng, 1, 2), h=h, w=w, in_d=r(rng, 1, 40), dm=dm, kh=kh,
                kw=kw, stride=stride, dil=dil, same=same, act=ACTS[(k // 3) % 4], bias_t=bias_t,
                per_channel=k % 5 != 4)))
    for act in ACTS:
        for in_zp, out_zp in [(-128, -128), (127, 127), (-128, 127), (0, -128)]:
            pc = (act + in_zp) % 2 == 0
            out.append((f"dw_int8_act{act}_zp{in_zp}_{out_zp}", depthwise_case(
                rng, "int8", h=r(rng, 3, 9), w=r(rng, 3, 9), in_d=r(rng, 1, 40), dm=r(rng, 1, 3),
                act=act, per_channel=pc, in_zp=in_zp, out_zp=out_zp)))
    # person_detect's shapes: the first layer (1 channel, multiplier 8, stride 2) and a deep one.
    out.append(("dw_int8_pd_first", depthwise_case(
        rng, "int8", h=96, w=96, in_d=1, dm=8, stride=(2, 2), act=3, in_zp=-1, out_zp=-128)))
    out.append(("dw_int8_pd_deep", depthwise_case(
        rng, "int8", h=6, w=6, in_d=128, act=3, in_zp=-128, out_zp=-128)))
    out.append(("dw_int8_big_mult", depthwise_case(rng, "int8", in_d=2, dm=40)))

    # TRANSPOSE_CONV.
    for kind in ["int8", "int16", "float"]:
        for k in range(16):
            kh, kw = r(rng, 1, 5), r(rng, 1, 5)
            stride = (r(rng, 1, 3), r(rng, 1, 3))
            same = k % 2 == 0
            if kind == "int8":
                bias_t = "INT32" if k % 3 else None
            elif kind == "int16":
                bias_t = ["INT64", "INT16", None][k % 3]
            else:
                bias_t = "f" if k % 3 else None
            name = (f"tc_{kind}_{k}_k{kh}x{kw}_s{stride[0]}{stride[1]}_"
                    f"{'same' if same else 'valid'}_b{bias_t}")
            out.append((name, transpose_case(
                rng, kind, batches=r(rng, 1, 2), h=r(rng, 1, 6), w=r(rng, 1, 6),
                in_d=r(rng, 1, 6), out_d=r(rng, 1, 6), kh=kh, kw=kw, stride=stride, same=same,
                act=ACTS[k % 4], bias_t=bias_t, per_channel=k % 4 != 1)))
    for in_zp, out_zp in [(-128, 127), (127, -128)]:
        out.append((f"tc_int8_zp{in_zp}_{out_zp}", transpose_case(
            rng, "int8", act=1, in_zp=in_zp, out_zp=out_zp)))

    # The engine's depth-multiplier path for DEPTHWISE_CONV_2D (one or two input channels, or
    # up to 8 with 25+ taps): micro_speech's shape, large windows clipped by SAME padding and
    # by dilation, strides, batches, both filter quantizations, no bias, extreme zero points.
    out.append(("dw_int8_micro_speech_shape", depthwise_case(
        rng, "int8", h=49, w=40, in_d=1, dm=8, kh=10, kw=8, stride=(2, 2), act=1)))
    for k, (h, w, in_d, dm, kh, kw, st, dil, same, zps) in enumerate([
            (9, 11, 1, 3, 7, 6, (1, 1), (1, 1), True, (None, None)),
            (12, 10, 2, 5, 5, 5, (2, 1), (2, 1), True, (-128, 127)),
            (11, 9, 6, 2, 5, 6, (1, 2), (1, 1), False, (127, -128)),
            (8, 8, 8, 4, 5, 5, (1, 1), (1, 2), True, (None, None)),
            (10, 7, 1, 16, 9, 3, (3, 2), (1, 1), True, (-128, -128)),
            (6, 5, 2, 2, 7, 7, (1, 1), (1, 1), True, (None, None))]):
        out.append((f"dw_int8_mult_{k}", depthwise_case(
            rng, "int8", batches=1 + k % 2, h=h, w=w, in_d=in_d, dm=dm, kh=kh, kw=kw,
            stride=st, dil=dil, same=same, act=ACTS[k % 4], bias_t=None if k == 2 else "INT32",
            per_channel=k % 2 == 0, in_zp=zps[0], out_zp=zps[1])))

    # Few output pixels (the engine's window path for CONV_2D and its offset-folding lanes for
    # DEPTHWISE_CONV_2D): microWakeWord's streaming shapes, windows clipped by SAME padding,
    # two batches, more than 32 output channels.
    for k, (batches, h, w, in_d, out_d, kh, kw, st, same) in enumerate([
            (1, 5, 1, 40, 64, 5, 1, (1, 1), False),
            (1, 1, 1, 64, 37, 1, 1, (1, 1), True),
            (2, 2, 2, 5, 7, 3, 3, (2, 2), True),
            (1, 3, 2, 9, 33, 3, 3, (2, 2), True)]):
        out.append((f"conv_int8_few_pixels_{k}", conv_case(
            rng, "int8", batches=batches, h=h, w=w, in_d=in_d, out_d=out_d, kh=kh, kw=kw,
            stride=st, same=same, act=ACTS[k % 4], bias_t=None if k == 1 else "INT32",
            per_channel=k % 2 == 0)))
    for k, (batches, h, w, in_d, kh, kw, st, same) in enumerate([
            (1, 17, 1, 64, 17, 1, (1, 1), False),
            (2, 2, 3, 40, 3, 3, (2, 2), True),
            (1, 3, 3, 13, 3, 3, (3, 3), True)]):
        out.append((f"dw_int8_few_pixels_{k}", depthwise_case(
            rng, "int8", batches=batches, h=h, w=w, in_d=in_d, kh=kh, kw=kw, stride=st,
            same=same, act=ACTS[k % 4], per_channel=k % 2 == 0)))
    return out


def _conv_multipliers(a, b, c):
    """The three candidate forms of input_scale * filter_scale / output_scale (float32 arrays
    in): double throughout (what the oracle computes), the product in float then a double
    division (the older GetQuantizedConvolutionMultipler), and everything in float."""
    d = qm(a.astype(np.float64) * b.astype(np.float64) / c.astype(np.float64))
    fp = qm((a * b).astype(np.float64) / c.astype(np.float64))
    fq = qm(((a * b) / c).astype(np.float64))
    return d, fp, fq


def _conv_edge_search(rng, kind, want, per_channel):
    """Scales and accumulators for which the three multiplier forms of `_conv_multipliers`
    requantize some accumulator to different outputs: (in_scale, [filter scales],
    out_scale, [accumulators]), `want` accumulators (one filter scale when per-tensor)."""
    lo, hi = (-128, 127) if kind == "int8" else (-32768, 32767)
    requant = mbqm if kind == "int8" else mbqm64
    while True:
        n = 4000 if kind == "int8" else 8000
        a = np.full(n, log_uniform_f32(rng, 0.005, 0.1, 1)[0], np.float32)
        b = log_uniform_f32(rng, 0.002, 0.02, n)
        # Output scales giving multipliers of 1e-3..5e-2: accumulators of a few thousands.
        c = (a * b / log_uniform_f32(rng, 1e-3, 5e-2, n)).astype(np.float32)
        if per_channel:
            c = np.full(n, c[0], np.float32)
        (qd, sd), (qp, sp), (qf, sf) = _conv_multipliers(a, b, c)
        keep = ((qd != qp) | (sd != sp)) & ((qd != qf) | (sd != sf))
        m = a.astype(np.float64) * b / c
        accs = boundary_accs(m[keep], lo, hi, step=1 if kind == "int8" else 499)
        col = lambda v: v[keep][:, None]  # noqa: E731
        od = np.clip(requant(accs, col(qd), col(sd)), lo, hi)
        op = np.clip(requant(accs, col(qp), col(sp)), lo, hi)
        of = np.clip(requant(accs, col(qf), col(sf)), lo, hi)
        hit = (od != op) & (od != of)
        rows = np.nonzero(hit.any(axis=1))[0]
        if per_channel and len(rows) >= want:
            rows = rows[:want]
            idx = np.nonzero(keep)[0][rows]
            accs_out = [int(accs[r][np.argmax(hit[r])]) for r in rows]
            return float(a[0]), [float(v) for v in b[idx]], float(c[0]), accs_out
        if not per_channel:
            for r in rows:
                found = accs[r][hit[r]]
                if len(found) >= want:
                    i = np.nonzero(keep)[0][r]
                    return float(a[i]), [float(b[i])], float(c[i]), [int(v) for v in found[:want]]


def multiplier_edge_cases(rng):
    """CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV whose outputs depend on how the
    requantization multiplier input_scale * filter_scale / output_scale is formed: in double
    (TFLM's PopulateConvolutionQuantizationParams, and what the oracle does) against the float
    product or the all-float quotient. The filter is all zeros, so each output channel is its
    bias requantized: the biases are accumulators the forms round apart."""
    rng = np.random.default_rng(int(rng.integers(1 << 30)))
    out = []
    for kind in ["int8", "int16"]:
        for per_channel in [False, True]:
            channels = 4
            # Per-channel: one shared input/output scale, a filter scale per channel.
            a, bs, c, accs = _conv_edge_search(rng, kind, channels, per_channel)
            act_t = "INT8" if kind == "int8" else "INT16"
            bias_t = "INT32" if kind == "int8" else "INT64"
            izp = 5 if kind == "int8" else 0
            for op in ["CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"]:
                g = Graph()
                n = len(bs)
                wshape = [1, 1, 1, channels] if op == "DEPTHWISE_CONV_2D" else [channels, 1, 1, 1]
                axis = 3 if op == "DEPTHWISE_CONV_2D" else 0
                wt = g.const("INT8", wshape, np.zeros(wshape), scale=bs, zero_point=[0] * n,
                             axis=axis)
                bscale = [float(np.float32(a) * np.float32(s)) for s in bs]
                bscale = bscale * (channels // n)
                b = g.const(bias_t, [channels], accs, scale=bscale, zero_point=[0] * channels)
                x = g.tensor(act_t, [1, 2, 2, 1], scale=a, zero_point=izp)
                y = g.tensor(act_t, [1, 2, 2, channels], scale=c, zero_point=0)
                if op == "CONV_2D":
                    opts = ("Conv2DOptions", dict(padding=0, strideW=1, strideH=1))
                    g.op(op, [x, wt, b], [y], options=opts, version=3)
                elif op == "DEPTHWISE_CONV_2D":
                    opts = ("DepthwiseConv2DOptions", dict(padding=0, strideW=1, strideH=1,
                                                            depthMultiplier=channels))
                    g.op(op, [x, wt, b], [y], options=opts, version=3)
                else:
                    shape = g.const("INT32", [4], [1, 2, 2, channels])
                    opts = ("TransposeConvOptions", dict(padding=0, strideW=1, strideH=1))
                    g.op(op, [shape, wt, x, b], [y], options=opts, version=4)
                g.inputs, g.outputs = [x], [y]
                short = {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "dw",
                         "TRANSPOSE_CONV": "tconv"}[op]
                out.append((f"{short}_{kind}_pc{int(per_channel)}_multiplier_edge", g.build()))
    return out


_plain_cases = cases


def cases(rng):  # noqa: F811 - extends the plain cases with the multiplier edge cases
    return _plain_cases(rng) + multiplier_edge_cases(rng)
