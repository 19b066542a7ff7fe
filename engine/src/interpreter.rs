//! The interpreter: lays out the caller's arena, prepares every op, plans activations, and runs.
//!
//! Arena layout (offsets from the start of the caller's slice; no alignment is needed because
//! every multi-byte value is read and written byte-wise):
//!
//! ```text
//! 0 ................. head | free | tail_start ........................... len
//! [ activations+scratch  ]        [ op params, state, variables | records ]
//!   planned by `plan`               persistent, allocated downward
//! ```
//!
//! The records (per subgraph, per tensor, per op, per resource variable) are the plan the
//! CLI and the page draw; they live in the arena like everything else, so `arena_bytes` is the
//! whole cost of a model on a microcontroller.

use bytemuck::{Pod, Zeroable};

use crate::arena::{self, Loc};
use crate::error::{Error, Result};
use crate::kernels::{self, Eval, Prepare, PrepareHost, TensorId};
use crate::model::{Model, CALL_ONCE};
use crate::plan;
use crate::tensor::{DType, TensorInfo};

/// Time step of an op that never runs (a subgraph nobody calls).
const NEVER: u16 = u16::MAX;

/// What kind of storage a buffer record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferKind {
    /// No storage: omitted, zero-sized, a resource handle, or never used.
    Unused,
    /// Constant data in the model.
    Const,
    /// An activation, planned in the head.
    Activation,
    /// Persistent state (a variable tensor).
    Variable,
    /// Shares the bytes of another tensor (the output of a reshape-like op).
    Alias,
    /// An op's scratch memory, planned in the head.
    Scratch,
}

impl BufferKind {
    fn from_u8(v: u8) -> BufferKind {
        match v {
            1 => BufferKind::Const,
            2 => BufferKind::Activation,
            3 => BufferKind::Variable,
            4 => BufferKind::Alias,
            5 => BufferKind::Scratch,
            _ => BufferKind::Unused,
        }
    }
    /// A short lowercase name (`activation`).
    pub fn name(self) -> &'static str {
        match self {
            BufferKind::Unused => "unused",
            BufferKind::Const => "const",
            BufferKind::Activation => "activation",
            BufferKind::Variable => "variable",
            BufferKind::Alias => "alias",
            BufferKind::Scratch => "scratch",
        }
    }
}

/// One buffer's record: a tensor (indices below the tensor count) or an op's scratch.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct BufRec {
    /// Arena offset (model offset for constants; the alias root's index before planning).
    off: u32,
    size: u32,
    first: u16,
    last: u16,
    kind: u8,
    _pad: u8,
    link: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct OpRec {
    params_off: u32,
    params_len: u32,
    macs: u32,
    state_off: u32,
    state_len: u32,
    reg: u16,
    time: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct SubgraphRec {
    tensor_base: u32,
    op_base: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct ResourceRec {
    off: u32,
    size: u32,
    /// Model position of the `VarHandleOptions` table that named it.
    options_pos: u32,
    default: u8,
    _pad: [u8; 3],
}

const BUF: usize = core::mem::size_of::<BufRec>();
const OPR: usize = core::mem::size_of::<OpRec>();
const SGR: usize = core::mem::size_of::<SubgraphRec>();
const RESR: usize = core::mem::size_of::<ResourceRec>();

/// Where the interpreter's tables are in the arena.
#[derive(Clone, Copy, Debug, Default)]
struct Layout {
    head: usize,
    tail_start: usize,
    subgraphs_at: usize,
    bufs_at: usize,
    ops_at: usize,
    resources_at: usize,
    n_subgraphs: usize,
    n_tensors: usize,
    n_ops: usize,
    n_resources: usize,
    steps: u16,
    scratch_peak: usize,
    state_bytes: usize,
}

/// Where tensor `id`'s bytes are, from the tensor records at `bufs_at`.
pub(crate) fn tensor_loc(arena: &[u8], bufs_at: usize, id: usize) -> Result<Loc> {
    let rec: BufRec = arena::get(arena, bufs_at + id * BUF)?;
    Ok(rec_loc(&rec))
}

fn rec_loc(rec: &BufRec) -> Loc {
    let (off, size) = (rec.off as usize, rec.size as usize);
    if size == 0 {
        return Loc::None;
    }
    match BufferKind::from_u8(rec.kind) {
        BufferKind::Unused => Loc::None,
        BufferKind::Const => Loc::Model(off, size),
        _ => Loc::Arena(off, size),
    }
}

/// A clock and a sink for per-op timings. Implement it to profile; [`Interpreter::invoke`] uses
/// a profiler that does nothing and compiles away.
pub trait Profiler {
    /// False for the no-op profiler: the interpreter then never reads the clock.
    const ENABLED: bool = true;
    /// The current time in the caller's ticks (nanoseconds, cycles...).
    fn now(&mut self) -> u64;
    /// Called after each op.
    fn record(&mut self, event: &OpEvent);
}

/// One op's run, as reported to a [`Profiler`].
#[derive(Clone, Copy, Debug)]
pub struct OpEvent {
    /// Subgraph of the op.
    pub subgraph: u16,
    /// Index of the op in its subgraph.
    pub index: u16,
    /// Schema name (`CONV_2D`).
    pub op: &'static str,
    /// Ticks from the caller's clock spent in the op.
    pub ticks: u64,
    /// Multiply-accumulates the op did.
    pub macs: u64,
}

struct NoProfiler;

impl Profiler for NoProfiler {
    const ENABLED: bool = false;
    #[inline(always)]
    fn now(&mut self) -> u64 {
        0
    }
    #[inline(always)]
    fn record(&mut self, _: &OpEvent) {}
}

/// One entry of the arena plan.
#[derive(Clone, Copy, Debug)]
pub struct PlanEntry {
    /// Subgraph of the tensor or op.
    pub subgraph: u16,
    /// Tensor index in its subgraph, or op index for scratch.
    pub index: u32,
    /// Storage kind.
    pub kind: BufferKind,
    /// Arena offset (model offset for constants).
    pub offset: usize,
    /// Bytes.
    pub size: usize,
    /// First step alive (steps count ops in execution order, across subgraphs).
    pub first: u16,
    /// Last step alive.
    pub last: u16,
}

/// Arena totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArenaUsage {
    /// The whole arena the model needs: the smallest slice `Interpreter::new` accepts.
    pub total: usize,
    /// Activations and scratch (the planned head).
    pub activations: usize,
    /// Everything persistent: parameters, state, variables and the engine's records.
    pub persistent: usize,
    /// Persistent state: variable tensors, resource variables and per-op state.
    pub state: usize,
    /// Largest scratch request of any op (included in `activations`).
    pub scratch: usize,
    /// Number of execution steps (ops run, counting called subgraphs).
    pub steps: u16,
}

/// A model laid out in an arena, ready to run.
pub struct Interpreter<'m, 'a> {
    model: Model<'m>,
    arena: &'a mut [u8],
    layout: Layout,
}

/// Downward allocator over the arena's tail.
struct Tail<'x> {
    arena: &'x mut [u8],
    top: usize,
}

impl Tail<'_> {
    fn alloc(&mut self, bytes: usize) -> Result<usize> {
        if bytes > self.top {
            return Err(Error::ArenaTooSmall {
                needed: 0,
                available: self.arena.len(),
            });
        }
        self.top -= bytes;
        Ok(self.top)
    }
}

struct Host<'x, 'm> {
    tail: Tail<'x>,
    model: Model<'m>,
    layout: Layout,
    tensor_base: u32,
    subgraph: usize,
}

impl PrepareHost for Host<'_, '_> {
    fn tensor_id(&self, t: i32) -> TensorId {
        if t < 0 {
            TensorId::NONE
        } else {
            TensorId(self.tensor_base + t as u32)
        }
    }
    fn alloc_persistent(&mut self, bytes: usize) -> Result<usize> {
        self.tail.alloc(bytes)
    }
    fn arena_mut(&mut self) -> &mut [u8] {
        self.tail.arena
    }
    fn resource(&self, t: i32) -> Result<(u32, usize, usize)> {
        let r = find_resource(&self.model, self.tail.arena, &self.layout, self.subgraph, t)?;
        let rec: ResourceRec = arena::get(self.tail.arena, self.layout.resources_at + r * RESR)?;
        Ok((r as u32, rec.off as usize, rec.size as usize))
    }
}

/// Finds the `VAR_HANDLE` op of subgraph `sg` that produces tensor `t`; returns the position of
/// its options table (which names the variable).
fn var_handle_options(model: &Model<'_>, sg: usize, t: i32) -> Result<u32> {
    for i in 0..model.op_count(sg)? {
        let op = model.op(sg, i)?;
        if op.code != VAR_HANDLE_CODE {
            continue;
        }
        let outs = op.outputs()?;
        if !outs.is_empty() && outs.i32(0)? == t {
            return Ok(op.options()?.map_or(0, |o| o.position() as u32));
        }
    }
    Err(Error::invalid(
        "resource tensor not produced by VAR_HANDLE",
        t.max(0) as usize,
    ))
}

const VAR_HANDLE_CODE: u16 = 142;
const ASSIGN_VARIABLE_CODE: u16 = 144;

/// Compares the (container, shared_name) of two `VarHandleOptions` tables, as TFLM's
/// `MicroResourceVariables::FindId` does (a missing container matches any).
fn same_variable(model: &Model<'_>, a: u32, b: u32) -> Result<bool> {
    let (ca, na) = variable_names(model.bytes(), a)?;
    let (cb, nb) = variable_names(model.bytes(), b)?;
    let container_match = ca.is_none() || ca == cb;
    Ok(container_match && na.unwrap_or(&[]) == nb.unwrap_or(&[]))
}

/// (container, shared_name) of the `VarHandleOptions` table at `pos` (0 = no options).
/// A variable's (container, shared_name), either possibly absent.
type VariableNames<'b> = (Option<&'b [u8]>, Option<&'b [u8]>);

fn variable_names(bytes: &[u8], pos: u32) -> Result<VariableNames<'_>> {
    if pos == 0 {
        return Ok((None, None));
    }
    let t = crate::format::flatbuf::Table::at_position(bytes, pos as usize, "VarHandleOptions")?;
    Ok((t.bytes_str(0, "container")?, t.bytes_str(1, "shared name")?))
}

fn find_resource(
    model: &Model<'_>,
    arena: &[u8],
    layout: &Layout,
    sg: usize,
    t: i32,
) -> Result<usize> {
    let pos = var_handle_options(model, sg, t)?;
    for r in 0..layout.n_resources {
        let rec: ResourceRec = arena::get(arena, layout.resources_at + r * RESR)?;
        if same_variable(model, pos, rec.options_pos)? {
            return Ok(r);
        }
    }
    Err(Error::invalid(
        "resource variable not found",
        t.max(0) as usize,
    ))
}

/// The planner's view of the buffer records.
struct PlanView<'x, 'm> {
    arena: &'x mut [u8],
    at: usize,
    count: usize,
    offline: Option<&'m [u8]>,
}

impl PlanView<'_, '_> {
    fn rec(&self, i: usize) -> BufRec {
        arena::get(self.arena, self.at + i * BUF).unwrap_or(BufRec::zeroed())
    }
    fn update(&mut self, i: usize, f: impl FnOnce(&mut BufRec)) {
        let mut r = self.rec(i);
        f(&mut r);
        let _ = arena::put(self.arena, self.at + i * BUF, &r);
    }
}

impl plan::Buffers for PlanView<'_, '_> {
    fn count(&self) -> usize {
        self.count
    }
    fn size(&self, i: usize) -> usize {
        let r = self.rec(i);
        match BufferKind::from_u8(r.kind) {
            BufferKind::Activation | BufferKind::Scratch if r.first != NEVER => r.size as usize,
            _ => 0,
        }
    }
    fn lifetime(&self, i: usize) -> (u16, u16) {
        let r = self.rec(i);
        (r.first, r.last)
    }
    fn offline(&self, i: usize) -> Option<usize> {
        // Offline offsets cover tensors only (`[version, subgraph, count, offsets...]`).
        let data = self.offline?;
        let pos = 12 + 4 * i;
        let v = i32::from_le_bytes(data.get(pos..pos + 4)?.try_into().ok()?);
        (v >= 0).then_some(v as usize)
    }
    fn set_offset(&mut self, i: usize, offset: usize) {
        self.update(i, |r| r.off = offset as u32);
    }
    fn offset(&self, i: usize) -> usize {
        self.rec(i).off as usize
    }
    fn link(&self, i: usize) -> u16 {
        self.rec(i).link
    }
    fn set_link(&mut self, i: usize, next: u16) {
        self.update(i, |r| r.link = next);
    }
}

impl<'m, 'a> Interpreter<'m, 'a> {
    /// Lays `model` out in `arena`: prepares every op, plans activations and zeroes state.
    /// Fails with [`Error::ArenaTooSmall`] when it does not fit.
    pub fn new(model: &Model<'m>, arena: &'a mut [u8]) -> Result<Self> {
        let available = arena.len();
        match Self::build(model, arena) {
            Ok(layout) => {
                let mut it = Interpreter {
                    model: *model,
                    arena,
                    layout,
                };
                it.reset()?;
                Ok(it)
            }
            Err(Error::ArenaTooSmall { .. }) => Err(Error::ArenaTooSmall {
                needed: Self::measure(model, available),
                available,
            }),
            Err(e) => Err(e),
        }
    }

    /// The arena size `model` needs: the smallest slice [`Interpreter::new`] accepts.
    ///
    /// Lays the model out in a scratch vector sized from an upper bound (every non-constant
    /// tensor plus room for parameters and records), growing it a few times if scratch requests
    /// exceed the bound. Fails with [`Error::TooLarge`] rather than asking the allocator for more
    /// than `MAX_MEASURE` bytes, so a hostile model cannot exhaust memory.
    #[cfg(feature = "std")]
    pub fn arena_bytes(model: &Model<'m>) -> Result<usize> {
        /// The largest scratch arena the measurement will allocate.
        const MAX_MEASURE: usize = 1 << 30;
        let mut bound = 64 * 1024usize + model.bytes().len().saturating_mul(16);
        for sg in 0..model.subgraph_count() {
            for t in 0..model.tensor_count(sg)? {
                let info = model.tensor(sg, t)?;
                if info.data.is_none() {
                    bound = bound.saturating_add(info.bytes);
                }
            }
        }
        for _ in 0..4 {
            if bound > MAX_MEASURE {
                return Err(Error::TooLarge);
            }
            let mut buf = std::vec::Vec::new();
            buf.try_reserve_exact(bound).map_err(|_| Error::TooLarge)?;
            buf.resize(bound, 0u8);
            match Self::build(model, &mut buf) {
                Ok(layout) => return Ok(layout.head + (bound - layout.tail_start)),
                Err(Error::ArenaTooSmall { .. }) => bound = bound.saturating_mul(4),
                Err(e) => return Err(e),
            }
        }
        Err(Error::TooLarge)
    }

    #[cfg(feature = "std")]
    fn measure(model: &Model<'m>, available: usize) -> usize {
        Self::arena_bytes(model).unwrap_or(available + 1)
    }

    #[cfg(not(feature = "std"))]
    fn measure(_model: &Model<'m>, available: usize) -> usize {
        available + 1
    }

    fn build(model: &Model<'m>, arena: &mut [u8]) -> Result<Layout> {
        let total = arena.len();
        let n_sg = model.subgraph_count();
        let n_tensors = model.tensor_count_total();
        let n_ops = model.op_count_total();
        if n_tensors + n_ops >= (u16::MAX - 2) as usize {
            return Err(Error::TooLarge);
        }
        let mut tail = Tail { arena, top: total };
        let mut layout = Layout {
            n_subgraphs: n_sg,
            n_tensors,
            n_ops,
            ..Layout::default()
        };

        // Records.
        layout.subgraphs_at = tail.alloc(SGR * n_sg)?;
        layout.bufs_at = tail.alloc(BUF * (n_tensors + n_ops))?;
        layout.ops_at = tail.alloc(OPR * n_ops)?;
        let (mut tb, mut ob) = (0u32, 0u32);
        for sg in 0..n_sg {
            arena::put(
                tail.arena,
                layout.subgraphs_at + sg * SGR,
                &SubgraphRec {
                    tensor_base: tb,
                    op_base: ob,
                },
            )?;
            for t in 0..model.tensor_count(sg)? {
                let info = model.tensor(sg, t)?;
                let (kind, off) = if info.dtype == DType::Resource || info.bytes == 0 {
                    (BufferKind::Unused, 0)
                } else if info.is_variable {
                    (BufferKind::Variable, 0)
                } else if let Some((off, _)) = info.data {
                    (BufferKind::Const, off as u32)
                } else {
                    (BufferKind::Activation, 0)
                };
                let rec = BufRec {
                    off,
                    size: info.bytes as u32,
                    first: NEVER,
                    last: 0,
                    kind: kind as u8,
                    _pad: 0,
                    link: 0,
                };
                arena::put(tail.arena, layout.bufs_at + (tb as usize + t) * BUF, &rec)?;
            }
            for i in 0..model.op_count(sg)? {
                let g = ob as usize + i;
                let rec = BufRec {
                    off: 0,
                    size: 0,
                    first: NEVER,
                    last: 0,
                    kind: BufferKind::Unused as u8,
                    _pad: 0,
                    link: 0,
                };
                arena::put(tail.arena, layout.bufs_at + (n_tensors + g) * BUF, &rec)?;
                let op = OpRec {
                    params_off: 0,
                    params_len: 0,
                    macs: 0,
                    state_off: 0,
                    state_len: 0,
                    reg: 0,
                    time: NEVER,
                };
                arena::put(tail.arena, layout.ops_at + g * OPR, &op)?;
            }
            tb += model.tensor_count(sg)? as u32;
            ob += model.op_count(sg)? as u32;
        }

        // Lifetimes, in execution order with called subgraphs inlined.
        let mut step = 0u32;
        Self::walk(model, tail.arena, &layout, 0, &mut step)?;
        if step >= NEVER as u32 {
            return Err(Error::TooLarge);
        }
        layout.steps = step as u16;

        // Resource variables: one per distinct (container, shared_name), sized by the first
        // ASSIGN_VARIABLE in prepare order, as TFLM does.
        let mut handles = 0usize;
        for sg in 0..n_sg {
            for i in 0..model.op_count(sg)? {
                if model.op(sg, i)?.code == VAR_HANDLE_CODE {
                    handles += 1;
                }
            }
        }
        layout.resources_at = tail.alloc(RESR * handles)?;
        for sg in 0..n_sg {
            for i in 0..model.op_count(sg)? {
                let op = model.op(sg, i)?;
                if op.code != VAR_HANDLE_CODE {
                    continue;
                }
                let pos = op.options()?.map_or(0, |o| o.position() as u32);
                let mut known = false;
                for r in 0..layout.n_resources {
                    let rec: ResourceRec = arena::get(tail.arena, layout.resources_at + r * RESR)?;
                    if same_variable(model, pos, rec.options_pos)? {
                        known = true;
                        break;
                    }
                }
                if !known {
                    let rec = ResourceRec {
                        off: 0,
                        size: 0,
                        options_pos: pos,
                        default: 0,
                        _pad: [0; 3],
                    };
                    arena::put(
                        tail.arena,
                        layout.resources_at + layout.n_resources * RESR,
                        &rec,
                    )?;
                    layout.n_resources += 1;
                }
            }
        }
        for sg in 0..n_sg {
            for i in 0..model.op_count(sg)? {
                let op = model.op(sg, i)?;
                if op.code != ASSIGN_VARIABLE_CODE {
                    continue;
                }
                let ins = op.inputs()?;
                if ins.len() < 2 || ins.i32(1)? < 0 {
                    return Err(Error::invalid("ASSIGN_VARIABLE needs two inputs", i));
                }
                let r = find_resource(model, tail.arena, &layout, sg, ins.i32(0)?)?;
                let at = layout.resources_at + r * RESR;
                let mut rec: ResourceRec = arena::get(tail.arena, at)?;
                if rec.size == 0 {
                    let value = model.tensor(sg, ins.i32(1)? as usize)?;
                    rec.size = value.bytes as u32;
                    rec.off = tail.alloc(value.bytes)? as u32;
                    rec.default = value.quant.map_or(0, |q| q.zero_point as i8 as u8);
                    layout.state_bytes += value.bytes;
                    arena::put(tail.arena, at, &rec)?;
                }
            }
        }

        // Variable tensors: persistent.
        for g in 0..n_tensors {
            let at = layout.bufs_at + g * BUF;
            let mut rec: BufRec = arena::get(tail.arena, at)?;
            if rec.kind == BufferKind::Variable as u8 {
                rec.off = tail.alloc(rec.size as usize)? as u32;
                layout.state_bytes += rec.size as usize;
                arena::put(tail.arena, at, &rec)?;
            }
        }

        // Prepare every op of every subgraph.
        let mut host = Host {
            tail,
            model: *model,
            layout,
            tensor_base: 0,
            subgraph: 0,
        };
        for sg in 0..n_sg {
            let srec: SubgraphRec = arena::get(host.tail.arena, layout.subgraphs_at + sg * SGR)?;
            host.tensor_base = srec.tensor_base;
            host.subgraph = sg;
            for i in 0..model.op_count(sg)? {
                let op = model.op(sg, i)?;
                let reg_index = kernels::registration_index(op.registration)
                    .ok_or(Error::malformed("op registration"))?;
                let mut prep = Prepare {
                    model,
                    op,
                    subgraph: sg,
                    host: &mut host,
                    params: None,
                    state: None,
                    scratch: 0,
                    macs: 0,
                };
                (op.registration.prepare)(&mut prep)?;
                let (params, state, scratch, macs) =
                    (prep.params, prep.state, prep.scratch, prep.macs);
                let g = srec.op_base as usize + i;
                let at = layout.ops_at + g * OPR;
                let mut rec: OpRec = arena::get(host.tail.arena, at)?;
                rec.reg = reg_index as u16;
                rec.macs = macs.min(u32::MAX as u64) as u32;
                if let Some((off, len)) = params {
                    rec.params_off = off;
                    rec.params_len = len;
                }
                if let Some((off, len)) = state {
                    rec.state_off = off;
                    rec.state_len = len;
                    layout.state_bytes += len as usize;
                }
                if op.code == CALL_ONCE {
                    rec.state_off = host.tail.alloc(1)? as u32;
                    rec.state_len = 1;
                    layout.state_bytes += 1;
                }
                arena::put(host.tail.arena, at, &rec)?;
                if scratch > 0 {
                    let sat = layout.bufs_at + (n_tensors + g) * BUF;
                    let mut s: BufRec = arena::get(host.tail.arena, sat)?;
                    s.kind = BufferKind::Scratch as u8;
                    s.size = u32::try_from(scratch).map_err(|_| Error::TooLarge)?;
                    arena::put(host.tail.arena, sat, &s)?;
                    layout.scratch_peak = layout.scratch_peak.max(scratch);
                }
            }
        }
        let Host { tail, .. } = host;

        // Reshape-like ops share their input's bytes.
        for sg in 0..n_sg {
            let srec: SubgraphRec = arena::get(tail.arena, layout.subgraphs_at + sg * SGR)?;
            for i in 0..model.op_count(sg)? {
                let op = model.op(sg, i)?;
                if !op.registration.aliases_input {
                    continue;
                }
                let (ins, outs) = (op.inputs()?, op.outputs()?);
                if ins.is_empty() || outs.is_empty() || ins.i32(0)? < 0 || outs.i32(0)? < 0 {
                    continue;
                }
                let input = srec.tensor_base as usize + ins.i32(0)? as usize;
                let output = srec.tensor_base as usize + outs.i32(0)? as usize;
                let root = Self::alias_root(tail.arena, layout.bufs_at, input)?;
                let r: BufRec = arena::get(tail.arena, layout.bufs_at + root * BUF)?;
                let o: BufRec = arena::get(tail.arena, layout.bufs_at + output * BUF)?;
                if r.kind != BufferKind::Activation as u8
                    || o.kind != BufferKind::Activation as u8
                    || r.size != o.size
                    || root == output
                    || r.first == NEVER
                    || o.first == NEVER
                {
                    continue;
                }
                let merged = BufRec {
                    first: r.first.min(o.first),
                    last: r.last.max(o.last),
                    ..r
                };
                arena::put(tail.arena, layout.bufs_at + root * BUF, &merged)?;
                let alias = BufRec {
                    off: root as u32,
                    kind: BufferKind::Alias as u8,
                    ..o
                };
                arena::put(tail.arena, layout.bufs_at + output * BUF, &alias)?;
            }
        }

        // Plan the head.
        let offline = model.metadata(b"OfflineMemoryAllocation")?.filter(|d| {
            d.len() >= 12 && u32::from_le_bytes([d[8], d[9], d[10], d[11]]) as usize == n_tensors
        });
        let tail_start = tail.top;
        let arena = tail.arena;
        let mut view = PlanView {
            arena,
            at: layout.bufs_at,
            count: n_tensors + n_ops,
            offline,
        };
        let head = plan::plan(&mut view);
        if offline.is_some() && !plan::is_valid(&view) {
            return Err(Error::invalid(
                "offline memory plan overlaps live buffers",
                0,
            ));
        }
        layout.head = head;
        layout.tail_start = tail_start;
        if head > tail_start {
            return Err(Error::ArenaTooSmall {
                needed: head + (total - tail_start),
                available: total,
            });
        }
        // Aliases take their root's offset.
        for g in 0..n_tensors {
            let at = layout.bufs_at + g * BUF;
            let rec: BufRec = arena::get(arena, at)?;
            if rec.kind == BufferKind::Alias as u8 {
                let root: BufRec = arena::get(arena, layout.bufs_at + rec.off as usize * BUF)?;
                arena::put(
                    arena,
                    at,
                    &BufRec {
                        off: root.off,
                        ..rec
                    },
                )?;
            }
        }
        Ok(layout)
    }

    fn alias_root(arena: &[u8], bufs_at: usize, mut t: usize) -> Result<usize> {
        for _ in 0..=u16::MAX {
            let rec: BufRec = arena::get(arena, bufs_at + t * BUF)?;
            if rec.kind != BufferKind::Alias as u8 {
                return Ok(t);
            }
            t = rec.off as usize;
        }
        Err(Error::invalid("alias chain does not end", t))
    }

    /// Assigns execution steps to the ops of `sg` (and the subgraphs they call) and widens the
    /// lifetimes of the tensors they touch.
    fn walk(
        model: &Model<'m>,
        arena: &mut [u8],
        layout: &Layout,
        sg: usize,
        step: &mut u32,
    ) -> Result<()> {
        if *step >= NEVER as u32 {
            return Err(Error::TooLarge);
        }
        let srec: SubgraphRec = arena::get(arena, layout.subgraphs_at + sg * SGR)?;
        let tbase = srec.tensor_base as usize;
        let start = *step as u16;
        let touch = |arena: &mut [u8], t: i32, s: u16| -> Result<()> {
            if t < 0 {
                return Ok(());
            }
            let at = layout.bufs_at + (tbase + t as usize) * BUF;
            let mut r: BufRec = arena::get(arena, at)?;
            if r.first == NEVER || s < r.first {
                r.first = s;
            }
            r.last = r.last.max(s);
            arena::put(arena, at, &r)
        };
        let inputs = model.inputs(sg)?;
        for k in 0..inputs.len() {
            touch(arena, inputs.i32(k)?, start)?;
        }
        for i in 0..model.op_count(sg)? {
            let s = *step as u16;
            *step += 1;
            if *step >= NEVER as u32 {
                return Err(Error::TooLarge);
            }
            let g = srec.op_base as usize + i;
            let mut rec: OpRec = arena::get(arena, layout.ops_at + g * OPR)?;
            if rec.time == NEVER {
                rec.time = s;
                arena::put(arena, layout.ops_at + g * OPR, &rec)?;
            }
            let sat = layout.bufs_at + (layout.n_tensors + g) * BUF;
            let mut scratch: BufRec = arena::get(arena, sat)?;
            if scratch.first == NEVER {
                scratch.first = s;
            }
            scratch.last = scratch.last.max(s);
            arena::put(arena, sat, &scratch)?;
            let op = model.op(sg, i)?;
            for list in [op.inputs()?, op.outputs()?] {
                for k in 0..list.len() {
                    touch(arena, list.i32(k)?, s)?;
                }
            }
            if let Some(callee) = model.called_subgraph(sg, i)? {
                Self::walk(model, arena, layout, callee, step)?;
            }
        }
        let end = (*step).saturating_sub(1) as u16;
        let outputs = model.outputs(sg)?;
        for k in 0..outputs.len() {
            touch(arena, outputs.i32(k)?, end.max(start))?;
        }
        Ok(())
    }

    /// Restores all state to its initial values: variable tensors to their zero point, resource
    /// variables to their default, `CALL_ONCE` ops to "not yet run".
    pub fn reset(&mut self) -> Result<()> {
        let l = self.layout;
        for g in 0..l.n_tensors {
            let rec: BufRec = arena::get(self.arena, l.bufs_at + g * BUF)?;
            if rec.kind != BufferKind::Variable as u8 {
                continue;
            }
            let (sg, t) = self.tensor_of(g)?;
            let info = self.model.tensor(sg, t)?;
            let fill = match (info.dtype, info.quant) {
                (DType::I8, Some(q)) => q.zero_point as i8 as u8,
                _ => 0,
            };
            if let Some(b) = self
                .arena
                .get_mut(rec.off as usize..(rec.off + rec.size) as usize)
            {
                b.fill(fill);
            }
        }
        for r in 0..l.n_resources {
            let rec: ResourceRec = arena::get(self.arena, l.resources_at + r * RESR)?;
            if let Some(b) = self
                .arena
                .get_mut(rec.off as usize..(rec.off + rec.size) as usize)
            {
                b.fill(rec.default);
            }
        }
        for g in 0..l.n_ops {
            let rec: OpRec = arena::get(self.arena, l.ops_at + g * OPR)?;
            if let Some(b) = self
                .arena
                .get_mut(rec.state_off as usize..(rec.state_off + rec.state_len) as usize)
            {
                b.fill(0);
            }
        }
        Ok(())
    }

    fn subgraph_rec(&self, sg: usize) -> Result<SubgraphRec> {
        arena::get(self.arena, self.layout.subgraphs_at + sg * SGR)
    }

    /// (subgraph, local index) of global tensor `g`.
    fn tensor_of(&self, g: usize) -> Result<(usize, usize)> {
        let mut sg = 0;
        for s in 0..self.layout.n_subgraphs {
            if self.subgraph_rec(s)?.tensor_base as usize <= g {
                sg = s;
            }
        }
        Ok((sg, g - self.subgraph_rec(sg)?.tensor_base as usize))
    }

    /// (subgraph, local index) of global op `g`.
    fn op_of(&self, g: usize) -> Result<(usize, usize)> {
        let mut sg = 0;
        for s in 0..self.layout.n_subgraphs {
            if self.subgraph_rec(s)?.op_base as usize <= g {
                sg = s;
            }
        }
        Ok((sg, g - self.subgraph_rec(sg)?.op_base as usize))
    }

    /// Runs the model once.
    pub fn invoke(&mut self) -> Result<()> {
        self.run(0, &mut NoProfiler)
    }

    /// Runs the model once, reporting every op to `profiler`.
    pub fn invoke_profiled<P: Profiler>(&mut self, profiler: &mut P) -> Result<()> {
        self.run(0, profiler)
    }

    fn run<P: Profiler>(&mut self, sg: usize, profiler: &mut P) -> Result<()> {
        let srec = self.subgraph_rec(sg)?;
        let count = self.model.op_count(sg)?;
        let l = self.layout;
        for i in 0..count {
            let g = srec.op_base as usize + i;
            let rec: OpRec = arena::get(self.arena, l.ops_at + g * OPR)?;
            let reg =
                kernels::registration_at(rec.reg as usize).ok_or(Error::malformed("op record"))?;
            let start = if P::ENABLED { profiler.now() } else { 0 };
            if reg.code == CALL_ONCE {
                let flag = rec.state_off as usize;
                if self.arena.get(flag).copied() == Some(0) {
                    if let Some(f) = self.arena.get_mut(flag) {
                        *f = 1;
                    }
                    let callee = self
                        .model
                        .called_subgraph(sg, i)?
                        .ok_or(Error::malformed("CALL_ONCE"))?;
                    self.run(callee, profiler)?;
                }
            } else {
                let scratch: BufRec = arena::get(self.arena, l.bufs_at + (l.n_tensors + g) * BUF)?;
                let mut eval = Eval {
                    model: self.model.bytes(),
                    arena: self.arena,
                    tensors_at: l.bufs_at,
                    params: (rec.params_off, rec.params_len),
                    scratch: rec_loc(&scratch),
                };
                (reg.eval)(&mut eval)?;
            }
            if P::ENABLED {
                let end = profiler.now();
                profiler.record(&OpEvent {
                    subgraph: sg as u16,
                    index: i as u16,
                    op: kernels::op_name(reg),
                    ticks: end.saturating_sub(start),
                    macs: rec.macs as u64,
                });
            }
        }
        Ok(())
    }

    /// The model this interpreter runs.
    pub fn model(&self) -> &Model<'m> {
        &self.model
    }

    /// Number of model inputs.
    pub fn input_count(&self) -> usize {
        self.model.inputs(0).map_or(0, |v| v.len())
    }
    /// Number of model outputs.
    pub fn output_count(&self) -> usize {
        self.model.outputs(0).map_or(0, |v| v.len())
    }

    fn io_tensor(&self, outputs: bool, i: usize) -> Result<usize> {
        let list = if outputs {
            self.model.outputs(0)?
        } else {
            self.model.inputs(0)?
        };
        if i >= list.len() {
            return Err(Error::NoSuchTensor { index: i as u32 });
        }
        Ok(list.i32(i)? as usize)
    }

    /// Description of input `i`.
    pub fn input_info(&self, i: usize) -> Result<TensorInfo<'m>> {
        self.model.tensor(0, self.io_tensor(false, i)?)
    }
    /// Description of output `i`.
    pub fn output_info(&self, i: usize) -> Result<TensorInfo<'m>> {
        self.model.tensor(0, self.io_tensor(true, i)?)
    }

    fn io_loc(&self, outputs: bool, i: usize) -> Result<Loc> {
        let t = self.io_tensor(outputs, i)?;
        tensor_loc(self.arena, self.layout.bufs_at, t)
    }

    /// The bytes of input `i`, to fill before [`invoke`](Self::invoke).
    pub fn input_mut(&mut self, i: usize) -> Result<&mut [u8]> {
        match self.io_loc(false, i)? {
            Loc::Arena(off, len) => self
                .arena
                .get_mut(off..off + len)
                .ok_or(Error::malformed("input location")),
            Loc::None => Ok(&mut []),
            Loc::Model(..) => Err(Error::invalid("model input is a constant", i)),
        }
    }

    /// Copies `data` into input `i`, checking its size.
    pub fn set_input(&mut self, i: usize, data: &[u8]) -> Result<()> {
        let dst = self.input_mut(i)?;
        if dst.len() != data.len() {
            return Err(Error::WrongInputSize {
                index: i as u32,
                expected: dst.len(),
                actual: data.len(),
            });
        }
        dst.copy_from_slice(data);
        Ok(())
    }

    /// The bytes of output `i` after [`invoke`](Self::invoke).
    pub fn output(&self, i: usize) -> Result<&[u8]> {
        match self.io_loc(true, i)? {
            Loc::Arena(off, len) => self
                .arena
                .get(off..off + len)
                .ok_or(Error::malformed("output location")),
            Loc::Model(off, len) => self
                .model
                .bytes()
                .get(off..off + len)
                .ok_or(Error::malformed("output location")),
            Loc::None => Ok(&[]),
        }
    }

    /// Arena totals.
    pub fn usage(&self) -> ArenaUsage {
        let persistent = self.arena.len() - self.layout.tail_start;
        ArenaUsage {
            total: self.layout.head + persistent,
            activations: self.layout.head,
            persistent,
            state: self.layout.state_bytes,
            scratch: self.layout.scratch_peak,
            steps: self.layout.steps,
        }
    }

    /// Number of plan entries: every tensor of every subgraph, then one scratch entry per op.
    pub fn plan_len(&self) -> usize {
        self.layout.n_tensors + self.layout.n_ops
    }

    /// Plan entry `i` (see [`plan_len`](Self::plan_len)).
    pub fn plan_entry(&self, i: usize) -> Result<PlanEntry> {
        if i >= self.plan_len() {
            return Err(Error::NoSuchTensor { index: i as u32 });
        }
        let rec: BufRec = arena::get(self.arena, self.layout.bufs_at + i * BUF)?;
        let (sg, index) = if i < self.layout.n_tensors {
            self.tensor_of(i)?
        } else {
            self.op_of(i - self.layout.n_tensors)?
        };
        let kind = BufferKind::from_u8(rec.kind);
        let touched = rec.first != NEVER;
        let kind = if !touched && matches!(kind, BufferKind::Activation | BufferKind::Scratch) {
            BufferKind::Unused
        } else {
            kind
        };
        Ok(PlanEntry {
            subgraph: sg as u16,
            index: index as u32,
            kind,
            offset: rec.off as usize,
            size: if kind == BufferKind::Unused {
                0
            } else {
                rec.size as usize
            },
            first: if touched { rec.first } else { 0 },
            last: rec.last,
        })
    }

    /// Multiply-accumulates per run of op `op` of subgraph `sg`.
    pub fn op_macs(&self, sg: usize, op: usize) -> Result<u64> {
        let g = self.subgraph_rec(sg)?.op_base as usize + op;
        let rec: OpRec = arena::get(self.arena, self.layout.ops_at + g * OPR)?;
        Ok(rec.macs as u64)
    }

    /// The bytes of tensor `t` of subgraph `sg` as they are now (for debugging and the page's
    /// tensor view); `None` when the tensor has no storage.
    pub fn tensor_data(&self, sg: usize, t: usize) -> Result<Option<&[u8]>> {
        let g = self.subgraph_rec(sg)?.tensor_base as usize + t;
        Ok(match tensor_loc(self.arena, self.layout.bufs_at, g)? {
            Loc::None => None,
            Loc::Arena(off, len) => self.arena.get(off..off + len),
            Loc::Model(off, len) => self.model.bytes().get(off..off + len),
        })
    }
}
