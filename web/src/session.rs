//! The engine's side of the worker: holds the model bytes and answers the page's requests with
//! the engine's own figures. Plain Rust with a caller-given clock, so host tests run it too.

use tinyml_engine::{BufferKind, Interpreter, Model, OpEvent, Profiler, TensorInfo};

use crate::protocol::{
    ExportFile, ExportReport, FitReport, InputChoice, ModelReport, OpReport, OpTiming, PlanItem,
    Request, Response, RunReport, SubgraphReport, TensorData, TensorReport, TensorValues,
};

/// Timed invocations of a run stop after this many milliseconds in all (at least one runs).
const TIMING_BUDGET_MS: f64 = 150.0;
/// ... or after this many invocations.
const MAX_ITERATIONS: u32 = 200;

/// A clock in milliseconds (`performance.now()` in the worker, `Instant` in tests).
pub trait Clock {
    /// Milliseconds since some fixed moment.
    fn now_ms(&self) -> f64;
}

/// The worker's state: the loaded model's bytes.
#[derive(Default)]
pub struct Session {
    name: String,
    bytes: Vec<u8>,
}

impl Session {
    /// Answers one request.
    pub fn handle(&mut self, request: Request, clock: &dyn Clock) -> Response {
        match request {
            Request::Load { name, bytes } => {
                self.name = name;
                self.bytes = bytes;
                Response::Loaded(self.describe(clock).map_err(|e| e.to_string()))
            }
            Request::Fit { budget } => Response::Fitted(FitReport {
                budget,
                result: self.fit(budget).map_err(|e| e.to_string()),
            }),
            Request::Run { budget, input } => {
                Response::Ran(self.run(budget, &input, clock).map_err(|e| e.to_string()))
            }
            Request::Tensor { subgraph, tensor } => {
                Response::TensorValues(self.tensor(subgraph, tensor).map_err(|e| e.to_string()))
            }
            Request::Export {
                board,
                format,
                template,
                input,
            } => Response::Exported(self.export(&board, &format, &template, &input)),
        }
    }

    /// The export `tinyml export MODEL --board board --format format --input FILE` writes,
    /// with FILE the bytes of `input`: the same deploy code on the same template.
    fn export(
        &self,
        board: &str,
        format: &str,
        template: &[u8],
        input: &InputChoice,
    ) -> Result<ExportReport, String> {
        use tinyml_deploy::format::{c_array, Format};
        let board = tinyml_deploy::board::Board::by_name(board)
            .ok_or_else(|| format!("unknown board {board:?}"))?;
        let format_kind =
            Format::by_name(format).ok_or_else(|| format!("unknown format {format:?}"))?;
        // The CLI's refusal, in its words (`tinyml export`).
        if let Some(why) = format_kind.unsuitable_for(board) {
            return Err(format!(
                "no {} export for {}: {why}",
                format_kind.name(),
                board.name
            ));
        }
        let model = self.model()?;
        let err = |e: tinyml_engine::Error| e.to_string();
        let arena_bytes = Interpreter::arena_bytes(&model).map_err(err)?;
        // The C array carries the model alone, under the name `tinyml export` gives it.
        let file_name = self.name.rsplit('/').next().unwrap_or(&self.name);
        let stem = file_name.strip_suffix(".tflite").unwrap_or(file_name);
        if format_kind == Format::C {
            let (header, source) = c_array::export(file_name, &self.bytes, arena_bytes, board);
            return Ok(ExportReport {
                board: board.name.into(),
                format: format.into(),
                files: vec![
                    ExportFile {
                        name: "model_data.cc".into(),
                        bytes: source.into_bytes(),
                    },
                    ExportFile {
                        name: "model_data.h".into(),
                        bytes: header.into_bytes(),
                    },
                ],
                segments: Vec::new(),
                input: Vec::new(),
                summary: format!(
                    "model_data.cc and model_data.h: {} B model as g_model (alignas(16))",
                    tinyml_engine::Thousands(self.bytes.len())
                ),
            });
        }
        let input = {
            let mut arena = arena(arena_bytes)?;
            let interp = Interpreter::new(&model, &mut arena).map_err(err)?;
            let infos: Vec<TensorInfo<'_>> = (0..interp.input_count())
                .map(|i| interp.input_info(i))
                .collect::<Result<_, _>>()
                .map_err(err)?;
            make_inputs(&infos, input)?.concat()
        };
        let template =
            tinyml_deploy::template::Template::parse(template).map_err(|e| e.to_string())?;
        if template.board.name != board.name {
            return Err(format!(
                "the firmware template is {}'s, not {}'s",
                template.board.name, board.name
            ));
        }
        let (image, file) = tinyml_deploy::export_flash_file(
            &template,
            &model,
            arena_bytes,
            Some(&input),
            format_kind,
        )
        .map_err(|e| e.to_string())?;
        let slot_bytes = image.segments.get(1).map_or(0, |s| s.data.len());
        let summary = format!(
            "{} for {} ({} B): firmware {} B at 0x{:08x}, model slot {} B at 0x{:08x} \
             ({} B free), arena {} B of {} B SRAM free",
            format_kind.name(),
            board.name,
            tinyml_engine::Thousands(file.len()),
            tinyml_engine::Thousands(template.code.len()),
            template.load_address,
            tinyml_engine::Thousands(slot_bytes),
            template.slot_address,
            tinyml_engine::Thousands((template.slot_capacity as usize).saturating_sub(slot_bytes)),
            tinyml_engine::Thousands(arena_bytes),
            tinyml_engine::Thousands(template.arena_capacity as usize),
        );
        Ok(ExportReport {
            board: board.name.into(),
            format: format.into(),
            files: vec![ExportFile {
                name: format!("{stem}-{}.{}", board.name, format_kind.name()),
                bytes: file,
            }],
            segments: image
                .segments
                .into_iter()
                .map(|s| (s.address, s.data))
                .collect(),
            input,
            summary,
        })
    }

    fn model(&self) -> Result<Model<'_>, String> {
        if self.bytes.is_empty() {
            return Err("no model loaded".into());
        }
        Model::load(&self.bytes).map_err(|e| e.to_string())
    }

    fn describe(&self, clock: &dyn Clock) -> Result<ModelReport, String> {
        if self.bytes.is_empty() {
            return Err("no model loaded".into());
        }
        describe(&self.name, &self.bytes, clock)
    }

    /// Lays the model out in exactly `budget` bytes; the bytes it uses.
    fn fit(&self, budget: usize) -> Result<usize, String> {
        let model = self.model()?;
        let mut arena = arena(budget)?;
        let interp = Interpreter::new(&model, &mut arena).map_err(|e| e.to_string())?;
        Ok(interp.usage().total)
    }

    fn run(
        &self,
        budget: usize,
        input: &InputChoice,
        clock: &dyn Clock,
    ) -> Result<RunReport, String> {
        let model = self.model()?;
        let err = |e: tinyml_engine::Error| e.to_string();
        let mut arena = arena(budget)?;
        let mut interp = Interpreter::new(&model, &mut arena).map_err(err)?;

        let infos: Vec<TensorInfo<'_>> = (0..interp.input_count())
            .map(|i| interp.input_info(i))
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let inputs = make_inputs(&infos, input)?;

        let mut profiler = Timings {
            clock,
            ops: Vec::new(),
            next: 0,
        };
        let mut outputs = Vec::new();
        let mut iterations = 0u32;
        let start = clock.now_ms();
        loop {
            interp.reset().map_err(err)?;
            for (i, data) in inputs.iter().enumerate() {
                interp.set_input(i, data).map_err(err)?;
            }
            profiler.next = 0;
            interp.invoke_profiled(&mut profiler).map_err(err)?;
            iterations += 1;
            if iterations == 1 {
                for i in 0..interp.output_count() {
                    let info = interp.output_info(i).map_err(err)?;
                    outputs.push(tensor_data(&info, interp.output(i).map_err(err)?.to_vec()));
                }
            }
            if clock.now_ms() - start >= TIMING_BUDGET_MS || iterations >= MAX_ITERATIONS {
                break;
            }
        }
        let total_ms = (clock.now_ms() - start) / iterations as f64;
        let ops = profiler
            .ops
            .into_iter()
            .map(|mut o| {
                o.ms /= iterations as f64;
                o
            })
            .collect();
        Ok(RunReport {
            budget,
            iterations,
            total_ms,
            ops,
            outputs,
            inputs: infos
                .iter()
                .zip(inputs)
                .map(|(info, raw)| tensor_data(info, raw))
                .collect(),
        })
    }

    fn tensor(&self, subgraph: u32, tensor: u32) -> Result<TensorValues, String> {
        let model = self.model()?;
        let info = model
            .tensor(subgraph as usize, tensor as usize)
            .map_err(|e| e.to_string())?;
        let raw = match info.data {
            Some((off, len)) => model.bytes().get(off..off + len).unwrap_or(&[]).to_vec(),
            None => Vec::new(),
        };
        Ok(TensorValues {
            subgraph,
            data: tensor_data(&info, raw),
        })
    }
}

/// Checks and plans a model; everything the page shows about it, all of it the engine's figures.
pub fn describe(name: &str, bytes: &[u8], clock: &dyn Clock) -> Result<ModelReport, String> {
    let start = clock.now_ms();
    let model = Model::load(bytes).map_err(|e| e.to_string())?;
    let arena_bytes = Interpreter::arena_bytes(&model).map_err(|e| e.to_string())?;
    let mut arena = vec![0u8; arena_bytes];
    let interp = Interpreter::new(&model, &mut arena).map_err(|e| e.to_string())?;
    let load_ms = clock.now_ms() - start;
    let usage = interp.usage();
    let err = |e: tinyml_engine::Error| e.to_string();

    let mut subgraphs = Vec::new();
    for sg in 0..model.subgraph_count() {
        let mut tensors = Vec::new();
        for t in 0..model.tensor_count(sg).map_err(err)? {
            tensors.push(tensor_report(&model.tensor(sg, t).map_err(err)?));
        }
        let mut ops = Vec::new();
        for i in 0..model.op_count(sg).map_err(err)? {
            let op = model.op(sg, i).map_err(err)?;
            ops.push(OpReport {
                index: i as u32,
                op: op.name().to_string(),
                version: op.version,
                inputs: ints(op.inputs().map_err(err)?)?,
                outputs: ints(op.outputs().map_err(err)?)?,
                macs: interp.op_macs(sg, i).map_err(err)?,
            });
        }
        subgraphs.push(SubgraphReport {
            tensors,
            ops,
            inputs: ints(model.inputs(sg).map_err(err)?)?,
            outputs: ints(model.outputs(sg).map_err(err)?)?,
        });
    }
    let mut plan = Vec::new();
    for i in 0..interp.plan_len() {
        let e = interp.plan_entry(i).map_err(err)?;
        if matches!(e.kind, BufferKind::Unused | BufferKind::Const) {
            continue;
        }
        plan.push(PlanItem {
            subgraph: e.subgraph,
            index: e.index,
            kind: e.kind.name().to_string(),
            offset: e.offset,
            size: e.size,
            first: e.first,
            last: e.last,
        });
    }
    Ok(ModelReport {
        name: name.to_string(),
        file_bytes: bytes.len(),
        description: model
            .description()
            .map_err(err)?
            .map(|d| String::from_utf8_lossy(d).into_owned()),
        load_ms,
        arena_bytes,
        activations: usage.activations,
        persistent: usage.persistent,
        state: usage.state,
        scratch: usage.scratch,
        steps: usage.steps,
        subgraphs,
        plan,
    })
}

/// A zeroed arena of `budget` bytes, or plain words when the browser cannot give that much (a
/// custom board with gigabytes of SRAM must not abort the worker).
pub(crate) fn arena(budget: usize) -> Result<Vec<u8>, String> {
    let mut arena = Vec::new();
    arena.try_reserve_exact(budget).map_err(|_| {
        format!(
            "cannot allocate a {} B arena in this browser",
            tinyml_engine::Thousands(budget)
        )
    })?;
    arena.resize(budget, 0);
    Ok(arena)
}

/// Sums per-op ticks over invocations (ops in execution order; the same order every run).
struct Timings<'c> {
    clock: &'c dyn Clock,
    ops: Vec<OpTiming>,
    next: usize,
}

impl Profiler for Timings<'_> {
    fn now(&mut self) -> u64 {
        // Nanoseconds; the browser's clock is coarse (5-100 us), hence the averaging.
        (self.clock.now_ms() * 1e6) as u64
    }
    fn record(&mut self, event: &OpEvent) {
        let ms = event.ticks as f64 / 1e6;
        if let Some(o) = self.ops.get_mut(self.next) {
            o.ms += ms;
        } else {
            self.ops.push(OpTiming {
                subgraph: event.subgraph,
                index: event.index,
                op: event.op.to_string(),
                ms,
                macs: event.macs,
            });
        }
        self.next += 1;
    }
}

fn ints(v: tinyml_engine::format::flatbuf::Vector<'_>) -> Result<Vec<i32>, String> {
    (0..v.len())
        .map(|k| v.i32(k).map_err(|e| e.to_string()))
        .collect()
}

pub(crate) fn tensor_report(t: &TensorInfo<'_>) -> TensorReport {
    TensorReport {
        index: t.index,
        name: String::from_utf8_lossy(t.name).into_owned(),
        dtype: t.dtype.name().to_string(),
        elem_bytes: t.dtype.size(),
        shape: t.shape.dims().to_vec(),
        bytes: t.bytes,
        scale: t.quant.map(|q| q.scale),
        zero_point: t.quant.map(|q| q.zero_point),
        channels: t.quant.map_or(0, |q| q.channels),
        is_const: t.data.is_some(),
        is_variable: t.is_variable,
    }
}

pub(crate) fn tensor_data(t: &TensorInfo<'_>, raw: Vec<u8>) -> TensorData {
    TensorData {
        tensor: t.index,
        dtype: t.dtype.name().to_string(),
        shape: t.shape.dims().to_vec(),
        scale: t.quant.map(|q| q.scale),
        zero_point: t.quant.map(|q| q.zero_point),
        raw,
    }
}

/// The bytes of every input for `choice`.
pub fn make_inputs(infos: &[TensorInfo<'_>], choice: &InputChoice) -> Result<Vec<Vec<u8>>, String> {
    match choice {
        InputChoice::Zero => Ok(infos.iter().map(zero_input).collect()),
        InputChoice::Random { seed } => {
            let mut rng = XorShift::new(*seed);
            Ok(infos.iter().map(|t| random_input(t, &mut rng)).collect())
        }
        InputChoice::Bytes(bytes) => {
            let need: usize = infos.iter().map(|t| t.bytes).sum();
            if bytes.len() != need {
                return Err(format!(
                    "the input file has {} B; the model's inputs take {} B ({})",
                    tinyml_engine::Thousands(bytes.len()),
                    tinyml_engine::Thousands(need),
                    infos
                        .iter()
                        .map(|t| format!("{} {:?}", t.dtype.name(), t.shape.dims()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let mut at = 0;
            Ok(infos
                .iter()
                .map(|t| {
                    let part = bytes[at..at + t.bytes].to_vec();
                    at += t.bytes;
                    part
                })
                .collect())
        }
    }
}

/// The bytes that mean 0.0: the zero point for quantized integer tensors.
fn zero_input(t: &TensorInfo<'_>) -> Vec<u8> {
    use tinyml_engine::DType;
    let zp = t.quant.map_or(0, |q| q.zero_point);
    let one: Vec<u8> = match t.dtype {
        DType::I8 => vec![zp as i8 as u8],
        DType::U8 => vec![zp as u8],
        DType::I16 => (zp as i16).to_le_bytes().to_vec(),
        DType::I32 => zp.to_le_bytes().to_vec(),
        _ => vec![0; t.dtype.size()],
    };
    one.iter().copied().cycle().take(t.bytes).collect()
}

/// Uniform random values over the whole range of integer types; floats uniform in [-1, 1).
fn random_input(t: &TensorInfo<'_>, rng: &mut XorShift) -> Vec<u8> {
    use tinyml_engine::DType;
    match t.dtype {
        DType::F32 => (0..t.elements())
            .flat_map(|_| {
                let v = (rng.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
                v.to_le_bytes()
            })
            .collect(),
        DType::Bool => (0..t.bytes).map(|_| (rng.next() & 1) as u8).collect(),
        _ => (0..t.bytes).map(|_| (rng.next() >> 56) as u8).collect(),
    }
}

/// xorshift64* (Vigna): small, seedable, good enough for test inputs.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_arena_is_an_error_not_an_abort() {
        assert!(arena(usize::MAX).is_err());
        assert_eq!(arena(3), Ok(vec![0, 0, 0]));
    }

    #[test]
    fn random_inputs_repeat_with_their_seed() {
        let (mut a, mut b) = (XorShift::new(7), XorShift::new(7));
        assert_eq!(a.next(), b.next());
        assert_ne!(XorShift::new(7).next(), XorShift::new(8).next());
    }
}
