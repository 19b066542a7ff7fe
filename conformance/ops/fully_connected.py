"""FULLY_CONNECTED cases: int8 per-tensor and per-channel, 16x8 (int64 and int32 bias),
float32; with and without bias; every fused activation; batches; keep_num_dims shapes."""
import numpy as np

from opbuilder import Graph

ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6


def fc_case(rng, kind, batches, depth, units, act, bias, per_channel):
    g = Graph()
    if kind == "float":
        x = g.tensor("FLOAT32", [batches, depth])
        w = g.const("FLOAT32", [units, depth], rng.normal(0, 0.5, (units, depth)))
        b = g.const("FLOAT32", [units], rng.normal(0, 0.5, units)) if bias else -1
        y = g.tensor("FLOAT32", [batches, units])
        version = 1
    else:
        act_t, bias_t = ("INT8", "INT32") if kind == "int8" else ("INT16", kind.split("_")[1])
        in_scale = float(rng.uniform(0.005, 0.1))
        in_zp = int(rng.integers(-20, 20)) if act_t == "INT8" else 0
        x = g.tensor(act_t, [batches, depth], scale=in_scale, zero_point=in_zp)
        n = units if per_channel else 1
        w_scale = rng.uniform(0.002, 0.02, n)
        w = g.const("INT8", [units, depth], rng.integers(-127, 128, (units, depth)),
                    scale=w_scale, zero_point=[0] * n, axis=0)
        if bias:
            bscale = (in_scale * w_scale).astype(np.float32)
            bvals = rng.integers(-3000, 3000, units)
            b = g.const(bias_t, [units], bvals, scale=bscale, zero_point=[0] * n)
        else:
            b = -1
        out_scale = float(rng.uniform(0.02, 0.3)) * (1 if act_t == "INT8" else 0.01)
        out_zp = int(rng.integers(-10, 10)) if act_t == "INT8" else 0
        y = g.tensor(act_t, [batches, units], scale=out_scale, zero_point=out_zp)
        version = 4 if act_t == "INT8" else 7
    g.op("FULLY_CONNECTED", [x, w, b], [y],
         options=("FullyConnectedOptions", dict(fusedActivationFunction=act)), version=version)
    g.inputs, g.outputs = [x], [y]
    return g.build()


def cases(rng):
    out = []
    for kind in ["int8", "int16_INT64", "int16_INT32", "float"]:
        for act in ACTS:
            for per_channel in ([False, True] if kind != "float" else [False]):
                for bias in [True, False]:
                    batches = int(rng.integers(1, 4))
                    depth = int(rng.integers(1, 40))
                    units = int(rng.integers(1, 20))
                    name = f"{kind}_act{act}_pc{int(per_channel)}_b{int(bias)}"
                    out.append((name, fc_case(rng, kind, batches, depth, units, act, bias, per_channel)))
    return out
