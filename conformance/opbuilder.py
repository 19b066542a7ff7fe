"""Builds one-op (or few-op) TFLite models for conformance tests, with the schema's own
Python object API (shipped in PyPI `tflite-micro`), so no TensorFlow is needed.

    from opbuilder import Graph
    g = Graph()
    x = g.tensor("INT8", [1, 8, 8, 3], scale=0.05, zero_point=-3)
    w = g.const("INT8", [4, 3, 3, 3], data=np.int8(...), scale=[...], zero_point=[0]*4, axis=0)
    y = g.tensor("INT8", [1, 8, 8, 4], scale=0.1, zero_point=2)
    g.op("CONV_2D", [x, w, -1], [y], options=("Conv2DOptions", dict(padding=0, strideW=1, strideH=1)))
    g.inputs, g.outputs = [x], [y]
    open("conv.tflite", "wb").write(g.build())

Options are given by the schema's table name and a dict of its object-API field names
(camelCase, as in `schema_py_generated`).
"""
import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s

NP_TYPES = {
    "FLOAT32": np.float32, "INT32": np.int32, "UINT8": np.uint8, "INT64": np.int64,
    "BOOL": np.bool_, "INT16": np.int16, "INT8": np.int8, "UINT32": np.uint32,
    "UINT64": np.uint64,
}


class Graph:
    def __init__(self):
        self.model = s.ModelT()
        self.model.version = 3
        self.model.buffers = [s.BufferT()]  # buffer 0: the empty sentinel
        self.model.operatorCodes = []
        self.subgraphs = [s.SubGraphT()]
        self.sg = self.subgraphs[0]
        self.sg.tensors, self.sg.operators = [], []
        self.inputs, self.outputs = [], []

    def tensor(self, dtype, shape, scale=None, zero_point=None, axis=0, data=None,
               variable=False, name=None):
        """Adds a tensor; returns its index. `scale`/`zero_point` may be lists (per-channel)."""
        t = s.TensorT()
        t.shape = list(shape)
        t.type = getattr(s.TensorType, dtype)
        t.name = (name or f"t{len(self.sg.tensors)}").encode()
        t.isVariable = variable
        if scale is not None:
            q = s.QuantizationParametersT()
            q.scale = list(np.atleast_1d(np.asarray(scale, np.float32)))
            zp = zero_point if zero_point is not None else [0] * len(q.scale)
            q.zeroPoint = [int(z) for z in np.atleast_1d(zp)]
            q.quantizedDimension = axis
            t.quantization = q
        if data is not None:
            arr = np.asarray(data, NP_TYPES[dtype]).reshape(shape)
            b = s.BufferT()
            b.data = list(arr.tobytes())
            self.model.buffers.append(b)
            t.buffer = len(self.model.buffers) - 1
        else:
            t.buffer = 0
        self.sg.tensors.append(t)
        return len(self.sg.tensors) - 1

    def const(self, dtype, shape, data, **kw):
        return self.tensor(dtype, shape, data=data, **kw)

    def op(self, name, inputs, outputs, options=None, version=1, custom=None):
        """Adds an op. A custom op: `name` is its custom code (`SignalWindow`) and `custom` its
        options, a dict written as a FlexBuffer map (as TFLM's converter writes them)."""
        is_custom = custom is not None
        code = s.BuiltinOperator.CUSTOM if is_custom else getattr(s.BuiltinOperator, name)
        custom_code = name.encode() if is_custom else None
        idx = None
        for i, oc in enumerate(self.model.operatorCodes):
            if oc.builtinCode == code and oc.version == version and oc.customCode == custom_code:
                idx = i
        if idx is None:
            oc = s.OperatorCodeT()
            oc.builtinCode = code
            oc.deprecatedBuiltinCode = min(code, 127)
            oc.version = version
            oc.customCode = custom_code
            self.model.operatorCodes.append(oc)
            idx = len(self.model.operatorCodes) - 1
        o = s.OperatorT()
        o.opcodeIndex = idx
        o.inputs, o.outputs = list(inputs), list(outputs)
        if is_custom:
            from flatbuffers import flexbuffers
            o.customOptions = list(flexbuffers.Dumps(custom))
            o.customOptionsFormat = s.CustomOptionsFormat.FLEXBUFFERS
        if options is not None:
            table, fields = options
            opt = getattr(s, table + "T")()
            for k, v in fields.items():
                if not hasattr(opt, k):
                    raise AttributeError(f"{table} has no field {k}")
                setattr(opt, k, v)
            o.builtinOptionsType = getattr(s.BuiltinOptions, table)
            o.builtinOptions = opt
        self.sg.operators.append(o)
        return o

    def build(self):
        self.sg.inputs, self.sg.outputs = list(self.inputs), list(self.outputs)
        self.model.subgraphs = self.subgraphs
        self.model.description = b"tinyml conformance"
        b = flatbuffers.Builder(1024)
        b.Finish(self.model.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())
