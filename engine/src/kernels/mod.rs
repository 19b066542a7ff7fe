//! Kernels, one op family a file, and the registries that map builtin op codes ([`REGISTRY`])
//! and custom op names ([`CUSTOM_REGISTRY`]) to them.
//!
//! Every kernel is a pair of functions. `prepare` runs once, when the interpreter is allocated:
//! it checks types and shapes, precomputes multipliers, and writes a plain-data parameter record
//! into the arena. `eval` runs at every invoke: it reads that record and does the arithmetic,
//! in the same order of operations as TFLM's reference kernel so results match bit for bit.
//!
//! Adding an op: its kernel file, one line in [`REGISTRY`] (or, for a custom op, in
//! [`CUSTOM_REGISTRY`]), its test.

use bytemuck::Pod;

use crate::arena::{self, Loc, Reader};
use crate::error::{Error, Result};
use crate::format::flatbuf::Table;
use crate::format::flexbuffer;
use crate::format::schema::CUSTOM_CODE;
use crate::model::{Model, OpInfo};
use crate::tensor::TensorInfo;

pub mod activation;
pub mod cast;
pub mod concatenation;
pub mod conv;
pub(crate) mod dot;
pub mod elementwise;
pub mod fully_connected;
pub mod logistic_tanh;
pub mod lstm;
pub mod minmax;
pub mod pad;
pub mod pool;
pub mod quantize;
pub mod reduce;
pub mod reshape;
pub mod signal;
pub mod slice;
pub mod softmax;
pub mod split;
pub mod svdf;
pub mod transpose;
pub mod variable;

/// How a kernel is registered.
#[derive(Debug)]
pub struct Registration {
    /// Builtin op code.
    pub code: u16,
    /// Highest operator version the kernel accepts.
    pub max_version: u16,
    /// Checks the op and writes its parameters.
    pub prepare: fn(&mut Prepare<'_, '_>) -> Result<()>,
    /// Runs the op.
    pub eval: fn(&mut Eval<'_>) -> Result<()>,
    /// The op only changes the shape: its output may share its input's bytes.
    pub aliases_input: bool,
}

/// Every op the engine runs.
pub static REGISTRY: &[Registration] = &[
    conv::CONV_2D,
    conv::DEPTHWISE_CONV_2D,
    conv::TRANSPOSE_CONV,
    fully_connected::FULLY_CONNECTED,
    elementwise::ADD,
    elementwise::SUB,
    elementwise::MUL,
    reduce::MEAN,
    reduce::SUM,
    reduce::REDUCE_MAX,
    reduce::REDUCE_MIN,
    activation::RELU,
    activation::RELU6,
    activation::LEAKY_RELU,
    activation::HARD_SWISH,
    activation::PRELU,
    quantize::QUANTIZE,
    quantize::DEQUANTIZE,
    reshape::RESHAPE,
    reshape::SQUEEZE,
    reshape::EXPAND_DIMS,
    variable::VAR_HANDLE,
    variable::READ_VARIABLE,
    variable::ASSIGN_VARIABLE,
    variable::CALL_ONCE,
    pad::PAD,
    pad::PADV2,
    concatenation::CONCATENATION,
    slice::STRIDED_SLICE,
    slice::SLICE,
    split::SPLIT,
    split::SPLIT_V,
    transpose::TRANSPOSE,
    svdf::SVDF,
    lstm::UNIDIRECTIONAL_SEQUENCE_LSTM,
    pool::AVERAGE_POOL_2D,
    pool::MAX_POOL_2D,
    softmax::SOFTMAX,
    logistic_tanh::LOGISTIC,
    logistic_tanh::TANH,
    elementwise::DIV,
    minmax::MAXIMUM,
    minmax::MINIMUM,
    cast::CAST,
];

/// A custom op's kernel: the name the model's operator code table gives it, and its
/// registration (whose `code` is `CUSTOM`).
#[derive(Debug)]
pub struct CustomRegistration {
    /// The `custom_code` string (`SignalWindow`).
    pub name: &'static str,
    /// The kernel.
    pub registration: Registration,
}

/// Every custom op the engine runs, by name: TFLM's Signal library (its audio front end).
pub static CUSTOM_REGISTRY: &[CustomRegistration] = &[
    signal::window::WINDOW,
    signal::fft::FFT_AUTO_SCALE,
    signal::fft::RFFT,
    signal::energy::ENERGY,
    signal::filter_bank::FILTER_BANK,
    signal::filter_bank::FILTER_BANK_SQUARE_ROOT,
    signal::filter_bank::FILTER_BANK_SPECTRAL_SUBTRACTION,
    signal::filter_bank::FILTER_BANK_LOG,
    signal::pcan::PCAN,
];

/// The registration for builtin `code` at `version`, if the engine runs it.
pub fn lookup(code: u16, version: u16) -> Option<&'static Registration> {
    REGISTRY
        .iter()
        .find(|r| r.code == code && version <= r.max_version)
}

/// The registration for the custom op called `name` at `version`, if the engine runs it.
pub fn lookup_custom(name: &[u8], version: u16) -> Option<&'static Registration> {
    CUSTOM_REGISTRY
        .iter()
        .find(|c| c.name.as_bytes() == name && version <= c.registration.max_version)
        .map(|c| &c.registration)
}

/// The index of `reg` across [`REGISTRY`] then [`CUSTOM_REGISTRY`] (what the interpreter keeps
/// in its op records).
pub fn registration_index(reg: &'static Registration) -> Option<usize> {
    REGISTRY
        .iter()
        .position(|r| core::ptr::eq(r, reg))
        .or_else(|| {
            CUSTOM_REGISTRY
                .iter()
                .position(|c| core::ptr::eq(&c.registration, reg))
                .map(|i| REGISTRY.len() + i)
        })
}

/// The registration at `index` (see [`registration_index`]).
pub fn registration_at(index: usize) -> Option<&'static Registration> {
    REGISTRY.get(index).or_else(|| {
        CUSTOM_REGISTRY
            .get(index.checked_sub(REGISTRY.len())?)
            .map(|c| &c.registration)
    })
}

/// The name people know an op by: the schema name of a builtin (`CONV_2D`), the custom name
/// of a custom op (`SignalWindow`).
pub fn op_name(reg: &'static Registration) -> &'static str {
    if reg.code == CUSTOM_CODE {
        if let Some(c) = CUSTOM_REGISTRY
            .iter()
            .find(|c| core::ptr::eq(&c.registration, reg))
        {
            return c.name;
        }
    }
    crate::format::builtin_name(reg.code)
}

/// Global index of a tensor (across subgraphs); [`TensorId::NONE`] for an omitted input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct TensorId(pub u32);

impl TensorId {
    /// An omitted optional tensor.
    pub const NONE: TensorId = TensorId(u32::MAX);
}

/// A run of values a kernel stored in the arena at prepare time (per-channel multipliers).
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct ArrayRef {
    /// Arena offset.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

impl ArrayRef {
    /// The array's location.
    pub fn loc(&self) -> Loc {
        if self.len == 0 {
            Loc::None
        } else {
            Loc::Arena(self.offset as usize, self.len as usize)
        }
    }
}

/// Services the interpreter offers a kernel's `prepare`.
pub trait PrepareHost {
    /// Global id of subgraph-local tensor `t` of the current subgraph.
    fn tensor_id(&self, t: i32) -> TensorId;
    /// Allocates `bytes` of persistent arena; returns its offset.
    fn alloc_persistent(&mut self, bytes: usize) -> Result<usize>;
    /// The arena (persistent allocations are written through it).
    fn arena_mut(&mut self) -> &mut [u8];
    /// The resource variable a `RESOURCE` tensor refers to: (index, buffer offset, size).
    fn resource(&self, t: i32) -> Result<(u32, usize, usize)>;
}

/// What a kernel's `prepare` sees: the op, its tensors, and where to put its parameters.
pub struct Prepare<'p, 'm> {
    /// The model.
    pub model: &'p Model<'m>,
    /// The op.
    pub op: OpInfo<'m>,
    /// Its subgraph.
    pub subgraph: usize,
    pub(crate) host: &'p mut dyn PrepareHost,
    pub(crate) params: Option<(u32, u32)>,
    pub(crate) state: Option<(u32, u32)>,
    pub(crate) scratch: usize,
    pub(crate) macs: u64,
}

impl<'p, 'm> Prepare<'p, 'm> {
    fn index(&self, list: crate::format::flatbuf::Vector<'m>, k: usize) -> Result<i32> {
        if k >= list.len() {
            return Err(self.unsupported("fewer tensors than it needs"));
        }
        list.i32(k)
    }

    /// Number of inputs (including omitted ones).
    pub fn input_count(&self) -> Result<usize> {
        Ok(self.op.inputs()?.len())
    }
    /// Number of outputs.
    pub fn output_count(&self) -> Result<usize> {
        Ok(self.op.outputs()?.len())
    }
    /// Input `k`, which must be present.
    pub fn input(&self, k: usize) -> Result<TensorInfo<'m>> {
        self.opt_input(k)?
            .ok_or(self.unsupported("a required input omitted"))
    }
    /// Input `k`, or `None` when omitted (index -1 or past the list).
    pub fn opt_input(&self, k: usize) -> Result<Option<TensorInfo<'m>>> {
        let list = self.op.inputs()?;
        if k >= list.len() {
            return Ok(None);
        }
        let t = list.i32(k)?;
        if t < 0 {
            return Ok(None);
        }
        self.model.tensor(self.subgraph, t as usize).map(Some)
    }
    /// Output `k`.
    pub fn output(&self, k: usize) -> Result<TensorInfo<'m>> {
        let t = self.index(self.op.outputs()?, k)?;
        if t < 0 {
            return Err(self.unsupported("an omitted output"));
        }
        self.model.tensor(self.subgraph, t as usize)
    }
    /// Global id of input `k` ([`TensorId::NONE`] if omitted).
    pub fn input_id(&self, k: usize) -> Result<TensorId> {
        let list = self.op.inputs()?;
        if k >= list.len() {
            return Ok(TensorId::NONE);
        }
        Ok(self.host.tensor_id(list.i32(k)?))
    }
    /// Global id of output `k`.
    pub fn output_id(&self, k: usize) -> Result<TensorId> {
        let t = self.index(self.op.outputs()?, k)?;
        Ok(self.host.tensor_id(t))
    }
    /// Subgraph-local index of input `k` (-1 if omitted).
    pub fn input_index(&self, k: usize) -> Result<i32> {
        let list = self.op.inputs()?;
        if k >= list.len() {
            return Ok(-1);
        }
        list.i32(k)
    }
    /// The builtin options table, if any.
    pub fn options(&self) -> Result<Option<Table<'m>>> {
        self.op.options()
    }
    /// The custom op's options, a FlexBuffer map (`custom_options`); an error when absent or
    /// not a map.
    pub fn custom_options(&self) -> Result<flexbuffer::Map<'m>> {
        let bytes = self
            .op
            .table
            .custom_options()?
            .ok_or(self.unsupported("no custom options"))?;
        flexbuffer::root(bytes)?.as_map()
    }

    /// An `UnsupportedParams` error for this op (`UnsupportedCustomParams` for a custom op).
    pub fn unsupported(&self, what: &'static str) -> Error {
        if self.op.code == CUSTOM_CODE {
            return Error::UnsupportedCustomParams {
                name: op_name(self.op.registration),
                op: self.op.index,
                what,
            };
        }
        Error::UnsupportedParams {
            code: self.op.code,
            op: self.op.index,
            what,
        }
    }
    /// An `InvalidModel` error for this op.
    pub fn invalid(&self, what: &'static str) -> Error {
        Error::invalid(what, self.op.index as usize)
    }

    /// Stores the op's parameter record; `eval` reads it back with [`Eval::params`].
    pub fn set_params<P: Pod>(&mut self, params: &P) -> Result<()> {
        let bytes = bytemuck::bytes_of(params);
        let off = self.host.alloc_persistent(bytes.len())?;
        if let Some(dst) = self.host.arena_mut().get_mut(off..off + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.params = Some((off as u32, bytes.len() as u32));
        Ok(())
    }

    /// Stores `n` i32 values computed by `f` (per-channel multipliers and the like).
    pub fn push_i32s(
        &mut self,
        n: usize,
        mut f: impl FnMut(usize) -> Result<i32>,
    ) -> Result<ArrayRef> {
        let bytes = n.checked_mul(4).ok_or(Error::TooLarge)?;
        let off = self.host.alloc_persistent(bytes)?;
        for i in 0..n {
            let v = f(i)?;
            if let Some(dst) = self.host.arena_mut().get_mut(off + 4 * i..off + 4 * i + 4) {
                dst.copy_from_slice(&v.to_le_bytes());
            }
        }
        Ok(ArrayRef {
            offset: off as u32,
            len: bytes as u32,
        })
    }

    /// Stores the global ids of all the op's outputs (one `u32` each), for ops with more
    /// outputs than a parameter record holds (SPLIT, SPLIT_V): eval reads them back and
    /// asks for one output at a time.
    pub fn push_output_ids(&mut self) -> Result<ArrayRef> {
        let outputs = self.op.outputs()?;
        let n = outputs.len();
        let bytes = n.checked_mul(4).ok_or(Error::TooLarge)?;
        let off = self.host.alloc_persistent(bytes)?;
        for i in 0..n {
            let id = self.host.tensor_id(outputs.i32(i)?);
            if let Some(dst) = self.host.arena_mut().get_mut(off + 4 * i..off + 4 * i + 4) {
                dst.copy_from_slice(&id.0.to_le_bytes());
            }
        }
        Ok(ArrayRef {
            offset: off as u32,
            len: bytes as u32,
        })
    }

    /// Allocates the op's persistent state, zeroed now and whenever the interpreter is reset
    /// (TFLM's `Reset` of a stateful kernel). One region per op: a kernel with several kinds of
    /// state carves this one up.
    pub fn persistent_state(&mut self, bytes: usize) -> Result<ArrayRef> {
        if self.state.is_some() {
            return Err(Error::malformed("second state request of one op"));
        }
        let off = self.host.alloc_persistent(bytes)?;
        if let Some(dst) = self.host.arena_mut().get_mut(off..off + bytes) {
            dst.fill(0);
        }
        self.state = Some((off as u32, bytes as u32));
        Ok(ArrayRef {
            offset: off as u32,
            len: bytes as u32,
        })
    }

    /// Asks for `bytes` of scratch memory, alive only while this op runs; [`Eval::scratch`]
    /// gives it back. One request per op (a kernel that needs several carves them up).
    pub fn request_scratch(&mut self, bytes: usize) {
        self.scratch = bytes;
    }

    /// Records how many multiply-accumulates one run of the op does (for the profiler).
    pub fn set_macs(&mut self, macs: u64) {
        self.macs = macs;
    }

    /// The resource variable behind `RESOURCE` input `k`: (index, buffer offset, size).
    pub fn resource(&self, k: usize) -> Result<(u32, usize, usize)> {
        let t = self.index(self.op.inputs()?, k)?;
        self.host.resource(t)
    }
}

/// Services the interpreter offers a kernel's `eval`.
pub struct Eval<'e> {
    pub(crate) model: &'e [u8],
    pub(crate) arena: &'e mut [u8],
    pub(crate) tensors_at: usize,
    pub(crate) params: (u32, u32),
    pub(crate) scratch: Loc,
}

impl<'e> Eval<'e> {
    /// The op's parameter record.
    pub fn params<P: Pod>(&self) -> Result<P> {
        let (off, len) = (self.params.0 as usize, self.params.1 as usize);
        if len != core::mem::size_of::<P>() {
            return Err(Error::malformed("kernel parameters"));
        }
        arena::get::<P>(self.arena, off)
    }

    /// Where tensor `id`'s bytes are.
    pub fn loc(&self, id: TensorId) -> Result<Loc> {
        if id == TensorId::NONE {
            return Ok(Loc::None);
        }
        crate::interpreter::tensor_loc(self.arena, self.tensors_at, id.0 as usize)
    }

    /// The op's scratch memory.
    pub fn scratch(&self) -> Loc {
        self.scratch
    }

    /// Splits the arena into mutable `outs` and a reader for everything else.
    pub fn split<const N: usize>(
        &mut self,
        outs: [Loc; N],
    ) -> Result<(Reader<'_>, [&mut [u8]; N])> {
        arena::split(self.model, self.arena, outs)
    }

    /// Copies `src` into `dst` where both are tensors (used by shape-only ops and variables).
    pub fn copy(&mut self, src: Loc, dst: Loc) -> Result<()> {
        if src == dst {
            return Ok(());
        }
        if src.len() != dst.len() {
            return Err(Error::invalid("copy between tensors of different sizes", 0));
        }
        let (reader, [out]) = self.split([dst])?;
        out.copy_from_slice(reader.get(src)?);
        Ok(())
    }
}
