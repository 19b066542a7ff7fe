//! A loaded model: the flatbuffer, checked once at load so that planning and running can trust
//! its structure (indices in range, sizes that do not overflow, every op supported).

use crate::error::{Error, Result};
use crate::format::flatbuf::{Table, Vector};
use crate::format::schema::{
    BufferTable, MetadataTable, ModelTable, OperatorTable, SubGraphTable, TensorTable, CUSTOM_CODE,
};
use crate::kernels::{self, Registration};
use crate::tensor::{DType, Quant, Shape, TensorInfo, MAX_RANK};

/// Most subgraph calls one invocation may make through control-flow ops (bounds the work of
/// checking and planning a model whose subgraphs call each other many ways).
pub(crate) const MAX_CALLS: usize = 4096;

/// Builtin code of `CALL_ONCE`.
pub(crate) const CALL_ONCE: u16 = 129;

/// A TensorFlow Lite model, checked and ready to plan.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    bytes: &'a [u8],
    root: ModelTable<'a>,
    subgraphs: usize,
    tensors_total: usize,
    ops_total: usize,
}

/// One operator of a subgraph, resolved against the operator code table.
#[derive(Clone, Copy, Debug)]
pub struct OpInfo<'a> {
    /// Index of the op within its subgraph.
    pub index: u32,
    /// Builtin code (`CONV_2D` = 3).
    pub code: u16,
    /// Operator version.
    pub version: u16,
    /// The operator table (inputs, outputs, options).
    pub table: OperatorTable<'a>,
    /// The kernel that runs it.
    pub registration: &'static Registration,
}

impl<'a> OpInfo<'a> {
    /// Schema name of the op (`CONV_2D`), or a custom op's name (`SignalWindow`).
    pub fn name(&self) -> &'static str {
        kernels::op_name(self.registration)
    }
    /// Input tensor indices (-1 = omitted optional input).
    pub fn inputs(&self) -> Result<Vector<'a>> {
        self.table.inputs()
    }
    /// Output tensor indices.
    pub fn outputs(&self) -> Result<Vector<'a>> {
        self.table.outputs()
    }
    /// The builtin options table, if present.
    pub fn options(&self) -> Result<Option<Table<'a>>> {
        self.table.builtin_options()
    }
}

impl<'a> Model<'a> {
    /// Checks `bytes` as a TFLite model: the flatbuffer's structure, every tensor's type, shape
    /// and data, every op's tensor indices and that every op is one the engine runs.
    pub fn load(bytes: &'a [u8]) -> Result<Model<'a>> {
        if bytes.len() < 8 || &bytes[4..8] != b"TFL3" {
            return Err(Error::NotTflite);
        }
        let root = ModelTable(Table::root(bytes, "model")?);
        if root.version()? != 3 {
            return Err(Error::invalid(
                "schema version is not 3",
                root.version()? as usize,
            ));
        }
        let subgraphs = root.subgraphs()?.len();
        if subgraphs == 0 {
            return Err(Error::invalid("model has no subgraph", 0));
        }
        let mut model = Model {
            bytes,
            root,
            subgraphs,
            tensors_total: 0,
            ops_total: 0,
        };
        for sg in 0..subgraphs {
            let table = root.subgraph(sg)?;
            let tensors = table.tensors()?.len();
            for t in 0..tensors {
                model.tensor(sg, t)?;
            }
            for io in [table.inputs()?, table.outputs()?] {
                for i in 0..io.len() {
                    let t = io.i32(i)?;
                    if t < 0 || t as usize >= tensors {
                        return Err(Error::invalid(
                            "subgraph input/output index out of range",
                            sg,
                        ));
                    }
                }
            }
            let ops = table.operators()?.len();
            for i in 0..ops {
                let op = model.op(sg, i)?;
                for list in [op.inputs()?, op.outputs()?, op.table.intermediates()?] {
                    for k in 0..list.len() {
                        let t = list.i32(k)?;
                        if t < -1 || t >= tensors as i32 {
                            return Err(Error::invalid("op tensor index out of range", i));
                        }
                    }
                }
            }
            model.tensors_total += tensors;
            model.ops_total += ops;
        }
        if model.tensors_total > u16::MAX as usize || model.ops_total > u16::MAX as usize {
            return Err(Error::TooLarge);
        }
        // Control flow must form no cycle and stay within MAX_CALLS.
        let mut calls = 0;
        model.walk_calls(0, 0, &mut calls)?;
        Ok(model)
    }

    /// Visits subgraph `sg` and every subgraph it calls, failing on a cycle (a call chain deeper
    /// than the number of subgraphs) or on more than [`MAX_CALLS`] calls in all.
    fn walk_calls(&self, sg: usize, depth: usize, calls: &mut usize) -> Result<()> {
        if depth > self.subgraphs {
            return Err(Error::invalid("subgraphs call each other in a cycle", sg));
        }
        *calls += 1;
        if *calls > MAX_CALLS {
            return Err(Error::invalid("too many subgraph calls", sg));
        }
        for i in 0..self.op_count(sg)? {
            if let Some(callee) = self.called_subgraph(sg, i)? {
                self.walk_calls(callee, depth + 1, calls)?;
            }
        }
        Ok(())
    }

    /// The subgraph op `i` of subgraph `sg` calls, for control-flow ops (`CALL_ONCE`).
    pub(crate) fn called_subgraph(&self, sg: usize, i: usize) -> Result<Option<usize>> {
        let op = self.op(sg, i)?;
        if op.code != CALL_ONCE {
            return Ok(None);
        }
        let index = match op.options()? {
            Some(t) => t.i32(0, 0)?,
            None => 0,
        };
        if index <= 0 || index as usize >= self.subgraphs {
            return Err(Error::invalid("CALL_ONCE subgraph index out of range", i));
        }
        Ok(Some(index as usize))
    }

    /// The model's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// The root table.
    pub fn root(&self) -> ModelTable<'a> {
        self.root
    }
    /// Number of subgraphs.
    pub fn subgraph_count(&self) -> usize {
        self.subgraphs
    }
    /// Tensors in all subgraphs.
    pub fn tensor_count_total(&self) -> usize {
        self.tensors_total
    }
    /// Ops in all subgraphs.
    pub fn op_count_total(&self) -> usize {
        self.ops_total
    }
    /// Subgraph `sg`.
    pub fn subgraph(&self, sg: usize) -> Result<SubGraphTable<'a>> {
        self.root.subgraph(sg)
    }
    /// Number of tensors of subgraph `sg`.
    pub fn tensor_count(&self, sg: usize) -> Result<usize> {
        Ok(self.subgraph(sg)?.tensors()?.len())
    }
    /// Number of ops of subgraph `sg`.
    pub fn op_count(&self, sg: usize) -> Result<usize> {
        Ok(self.subgraph(sg)?.operators()?.len())
    }
    /// Tensor indices of subgraph `sg`'s inputs.
    pub fn inputs(&self, sg: usize) -> Result<Vector<'a>> {
        self.subgraph(sg)?.inputs()
    }
    /// Tensor indices of subgraph `sg`'s outputs.
    pub fn outputs(&self, sg: usize) -> Result<Vector<'a>> {
        self.subgraph(sg)?.outputs()
    }
    /// The model's `description` string.
    pub fn description(&self) -> Result<Option<&'a [u8]>> {
        self.root.description()
    }

    /// The bytes of buffer `index` as (offset in the model, length); `None` for an empty buffer.
    pub fn buffer(&self, index: usize) -> Result<Option<(usize, usize)>> {
        let buffers = self.root.buffers()?;
        if index >= buffers.len() {
            return Err(Error::invalid("buffer index out of range", index));
        }
        let buffer = BufferTable(buffers.table(index, "buffer")?);
        if let Some(data) = buffer.data()? {
            if !data.is_empty() {
                return Ok(Some((data.byte_offset(), data.len())));
            }
        }
        let (offset, size) = buffer.offset_size()?;
        // offset 1 with size 0 is the converter's "no data" marker.
        if offset > 1 && size > 0 {
            let end = offset
                .checked_add(size)
                .ok_or(Error::malformed("buffer offset"))?;
            if end > self.bytes.len() as u64 {
                return Err(Error::malformed(
                    "buffer offset and size past the end of the file",
                ));
            }
            return Ok(Some((offset as usize, size as usize)));
        }
        Ok(None)
    }

    /// The data of metadata entry `name`, if the model has it.
    pub fn metadata(&self, name: &[u8]) -> Result<Option<&'a [u8]>> {
        let list = self.root.metadata()?;
        for i in 0..list.len() {
            let entry = MetadataTable(list.table(i, "metadata")?);
            if entry.name()? == Some(name) {
                let data = self.buffer(entry.buffer()? as usize)?;
                return Ok(data.and_then(|(o, l)| self.bytes.get(o..o + l)));
            }
        }
        Ok(None)
    }

    /// Tensor `t` of subgraph `sg`, checked: supported type, valid shape, constant data of the
    /// right size.
    pub fn tensor(&self, sg: usize, t: usize) -> Result<TensorInfo<'a>> {
        let table: TensorTable<'a> = self.subgraph(sg)?.tensor(t)?;
        let code = table.dtype()?;
        let dtype = DType::from_code(code).ok_or(Error::UnsupportedType {
            tensor: t as u32,
            dtype: code,
        })?;
        let shape_vec = table.shape()?;
        if shape_vec.len() > MAX_RANK {
            return Err(Error::invalid("tensor rank above 6", t));
        }
        let mut dims = [0i32; MAX_RANK];
        for (i, d) in dims.iter_mut().enumerate().take(shape_vec.len()) {
            *d = shape_vec.i32(i)?;
        }
        let shape = Shape::new(&dims[..shape_vec.len()]).ok_or(Error::invalid(
            "tensor has a negative (dynamic) dimension",
            t,
        ))?;
        let bytes = shape
            .elements()
            .and_then(|n| n.checked_mul(dtype.size()))
            .filter(|&n| n <= i32::MAX as usize)
            .ok_or(Error::invalid("tensor size overflows", t))?;
        if table.is_sparse()? {
            return Err(Error::invalid("sparse tensors are not supported", t));
        }
        let data = self.buffer(table.buffer()? as usize)?;
        if let Some((_, len)) = data {
            if len != bytes {
                return Err(Error::invalid(
                    "constant data size does not match the shape",
                    t,
                ));
            }
        }
        let quant = match table.quantization()? {
            None => None,
            Some(q) => {
                let scales = q.scale()?;
                let zps = q.zero_point()?;
                if scales.is_empty() {
                    None
                } else {
                    if !zps.is_empty() && zps.len() != scales.len() {
                        return Err(Error::invalid(
                            "zero point count differs from scale count",
                            t,
                        ));
                    }
                    // Converters copy the filter's quantized_dimension onto 1-D biases, so the
                    // axis is not checked here: kernels that use per-channel scales check them.
                    let axis = q.quantized_dimension()?;
                    let zp = if zps.is_empty() { 0 } else { zps.i64(0)? };
                    Some(Quant {
                        scale: scales.f32(0)?,
                        zero_point: i32::try_from(zp)
                            .map_err(|_| Error::invalid("zero point out of range", t))?,
                        channels: scales.len() as u32,
                        axis,
                    })
                }
            }
        };
        Ok(TensorInfo {
            index: t as u32,
            dtype,
            shape,
            bytes,
            quant,
            data,
            is_variable: table.is_variable()?,
            name: table.name()?.unwrap_or(&[]),
        })
    }

    /// Per-channel scale `c` of tensor `t` (channel 0 for per-tensor quantization).
    pub fn channel_scale(&self, sg: usize, t: usize, c: usize) -> Result<f32> {
        let q = self
            .subgraph(sg)?
            .tensor(t)?
            .quantization()?
            .ok_or(Error::invalid("tensor has no quantization", t))?;
        let scales = q.scale()?;
        let s = if scales.len() == 1 {
            scales.f32(0)?
        } else {
            scales.f32(c)?
        };
        if !(s.is_finite() && s > 0.0) {
            return Err(Error::invalid(
                "tensor lacks a positive quantization scale",
                t,
            ));
        }
        Ok(s)
    }

    /// Per-channel zero point `c` of tensor `t`.
    pub fn channel_zero_point(&self, sg: usize, t: usize, c: usize) -> Result<i64> {
        let Some(q) = self.subgraph(sg)?.tensor(t)?.quantization()? else {
            return Ok(0);
        };
        let zps = q.zero_point()?;
        match zps.len() {
            0 => Ok(0),
            1 => zps.i64(0),
            _ => zps.i64(c),
        }
    }

    /// Op `i` of subgraph `sg`, with its registration; fails for ops the engine lacks.
    pub fn op(&self, sg: usize, i: usize) -> Result<OpInfo<'a>> {
        let table = self.subgraph(sg)?.operator(i)?;
        let opcode_index = table.opcode_index()? as usize;
        if opcode_index >= self.root.operator_codes()?.len() {
            return Err(Error::invalid("operator code index out of range", i));
        }
        let opcode = self.root.operator_code(opcode_index)?;
        let code = opcode.builtin_code()?;
        let version = opcode.version()?;
        let registration = if code == CUSTOM_CODE {
            let custom = opcode.custom_code()?.unwrap_or(&[]);
            kernels::lookup_custom(custom, version).ok_or_else(|| {
                let mut name = [0u8; 32];
                let n = custom.len().min(32);
                name[..n].copy_from_slice(&custom[..n]);
                Error::UnsupportedCustomOp { name }
            })?
        } else {
            kernels::lookup(code, version).ok_or(Error::UnsupportedOp { code, version })?
        };
        Ok(OpInfo {
            index: i as u32,
            code,
            version,
            table,
            registration,
        })
    }
}
