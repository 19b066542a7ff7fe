#!/usr/bin/env python3
"""Bad input gets a clear error and loses nothing: each malformed model or call below must make
`tinyml` exit non-zero with one plain line on stderr that says what is wrong — never a panic.

    python3 conformance/bad_inputs.py --tinyml target/release/tinyml
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from opbuilder import Graph, s


def fc_graph(scale=0.1, in_shape=(1, 4), quant=True):
    g = Graph()
    kw = dict(scale=scale, zero_point=0) if quant else {}
    x = g.tensor("INT8", list(in_shape), **kw)
    w = g.const("INT8", [2, 4], np.ones((2, 4)), **kw)
    y = g.tensor("INT8", [1, 2], **kw)
    g.op("FULLY_CONNECTED", [x, w, -1], [y], version=4)
    g.inputs, g.outputs = [x], [y]
    return g


def cases():
    """(name, model bytes or None, extra CLI args, expected substring of the error)."""
    out = []
    out.append(("not a model", b"hello world, not a flatbuffer" * 3, None, "not a TensorFlow Lite file"))
    good = fc_graph().build()
    out.append(("truncated", good[: len(good) // 2], None, "malformed model"))

    g = fc_graph()
    g.sg.tensors[0].shape = [1 << 30, 1 << 30]
    out.append(("absurd dimensions", g.build(), None, "size overflows"))

    g = fc_graph()
    g.sg.tensors[0].shape = [-1, 4]
    out.append(("dynamic shape", g.build(), None, "dynamic"))

    g = fc_graph()
    b = g.model.buffers[1]
    b.data = None
    b.offset, b.size = 1 << 40, 8
    out.append(("buffer offset past the end", g.build(), None, "past the end"))

    g = fc_graph()
    g.model.buffers[1].data = [1, 2, 3]
    out.append(("constant data of the wrong size", g.build(), None, "does not match the shape"))

    g = fc_graph()
    g.sg.operators[0].inputs = [0, 57, -1]
    out.append(("op input index out of range", g.build(), None, "index out of range"))

    g = fc_graph()
    g.sg.operators[0].opcodeIndex = 9
    out.append(("operator code index out of range", g.build(), None, "operator code index out of range"))

    out.append(("zero quantization scale", fc_graph(scale=0.0).build(), None, "positive quantization scale"))
    out.append(("missing quantization", fc_graph(quant=False).build(), None, "positive quantization scale"))

    g = fc_graph()
    g.sg.tensors[0].quantization.zeroPoint = [1000]
    out.append(("zero point out of range", g.build(), None, "zero point"))

    g = Graph()
    a = g.tensor("INT8", [4], scale=0.1, zero_point=0)
    c = g.tensor("BOOL", [4])
    y = g.tensor("INT8", [4], scale=0.1, zero_point=0)
    g.op("SELECT_V2", [c, a, a], [y], version=1)
    g.inputs, g.outputs = [c, a], [y]
    out.append(("unsupported op", g.build(), None, "Op SELECT_V2 v1 is not supported"))

    g = fc_graph()
    oc = s.OperatorCodeT()
    oc.builtinCode = oc.deprecatedBuiltinCode = 32
    oc.customCode = b"MyFancyOp"
    oc.version = 1
    g.model.operatorCodes.append(oc)
    g.sg.operators[0].opcodeIndex = 1
    out.append(("custom op", g.build(), None, "Op MyFancyOp (custom) is not supported"))

    def window(options):
        g = Graph()
        x = g.tensor("INT16", [8])
        w = g.const("INT16", [8], np.ones(8))
        y = g.tensor("INT16", [8])
        o = g.op("SignalWindow", [x, w], [y], custom=options or {})
        if options is None:
            o.customOptions = None
        g.inputs, g.outputs = [x], [y]
        return g.build()

    out.append(("custom op option out of range", window({"shift": 40}),
                None, "Op SignalWindow (op 0) is not supported with a shift outside 0..=31"))
    out.append(("custom op option missing", window({"shiftt": 1}),
                None, "SignalWindow (op 0) is not supported with custom options missing"))
    out.append(("custom op without options", window(None),
                None, "SignalWindow (op 0) is not supported with no custom options"))
    bad = bytearray(window({"shift": 3}))
    at = bytes(bad).find(b"shift\x00")
    bad[at + 6:at + 12] = b"\xff" * 6
    out.append(("damaged custom options", bytes(bad), None, "custom options (FlexBuffer)"))

    g = fc_graph()
    g.model.operatorCodes[0].version = 99
    out.append(("future op version", g.build(), None, "FULLY_CONNECTED v99 is not supported"))

    # Subgraphs that call each other forever: 0 -> 1 -> 1.
    g = Graph()
    x = g.tensor("INT8", [1], scale=0.1, zero_point=0)
    g.op("CALL_ONCE", [], [], options=("CallOnceOptions", dict(initSubgraphIndex=1)))
    g.inputs, g.outputs = [x], [x]
    sg1 = s.SubGraphT()
    sg1.tensors, sg1.inputs, sg1.outputs = [], [], []
    o = s.OperatorT()
    o.opcodeIndex, o.inputs, o.outputs = 0, [], []
    o.builtinOptionsType = s.BuiltinOptions.CallOnceOptions
    o.builtinOptions = s.CallOnceOptionsT()
    o.builtinOptions.initSubgraphIndex = 1
    sg1.operators = [o]
    g.subgraphs.append(sg1)
    out.append(("subgraph cycle", g.build(), None, "cycle"))

    out.append(("wrong input size", good, ["run", "--input", "{short}", "--output", "{out}"],
                "not a whole number"))
    out.append(("wrong number of inputs", good,
                ["run", "--input", "{ok}", "--input", "{ok}", "--output", "{out}"], "1 input(s)"))
    out.append(("missing file", None, ["inspect", "/nonexistent/model.tflite"], "cannot read"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tinyml", required=True)
    a = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        short = os.path.join(tmp, "short.bin")
        open(short, "wb").write(b"\x00" * 3)
        ok = os.path.join(tmp, "ok.bin")
        open(ok, "wb").write(b"\x00" * 4)
        for name, data, args, want in cases():
            path = os.path.join(tmp, "m.tflite")
            if data is not None:
                open(path, "wb").write(data)
            argv = args or ["inspect", path]
            argv = [x.format(short=short, ok=ok, out=os.path.join(tmp, "o.bin")) for x in argv]
            if args and args[0] == "run":
                argv.insert(1, path)
            r = subprocess.run([a.tinyml] + argv, capture_output=True, text=True)
            lines = r.stderr.strip().splitlines()
            good = (r.returncode != 0 and len(lines) == 1 and want in lines[0]
                    and "panicked" not in r.stderr)
            print(f"{'ok  ' if good else 'FAIL'} {name}: {r.stderr.strip()}")
            passed += good
            failed += not good
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
