//! The demos' engine: models that stay loaded between invocations, each in its own arena.
//!
//! The playground's [`Session`](crate::session::Session) lays a model out afresh for every
//! request, which is right for "fit it, run it once, profile it". A demo is different: it calls
//! the same model many times a second (a microphone stream, a webcam, a slider), and streaming
//! models keep state between calls (microWakeWord's resource variables). So each loaded model
//! lives in a *slot*: one interpreter over one arena, alive until the slot is loaded again or
//! unloaded, exactly as the model would live on the MCU.
//!
//! An [`Interpreter`] borrows its model bytes and its arena. Rather than a self-referential
//! struct (which needs `unsafe` or leaked memory), each slot is an `async` task whose frame owns
//! the bytes, the arena and the interpreter borrowing them; the task serves the slot's requests
//! from a channel. Dropping the slot's sender (a new load, an unload) ends the task and frees
//! everything. Plain Rust over a caller-given spawner, so host tests drive it too.

use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tinyml_engine::{Interpreter, Model, TensorInfo};

use crate::protocol::{ModelReport, TensorData};
use crate::session::{arena, describe, tensor_data, Clock};

/// Identifies a slot; each demo numbers its own (one worker per demo page).
pub type SlotId = u32;

/// What a demo page asks of its runner worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RunnerRequest {
    /// Load `bytes` into `slot` (replacing what was there) with an arena of `budget` bytes
    /// (the board's SRAM minus its reserve), or of exactly the bytes the model needs when `None`.
    Load {
        /// Slot to fill.
        slot: SlotId,
        /// File name, for people.
        name: String,
        /// The `.tflite` file.
        bytes: Vec<u8>,
        /// Arena bytes.
        budget: Option<usize>,
    },
    /// Run the slot's model once on these inputs (raw little-endian bytes, one per input
    /// tensor). State (variables) carries over from the previous invocation.
    Invoke {
        /// Slot.
        slot: SlotId,
        /// Echoed in the answer so the page can match answers to requests.
        tag: u64,
        /// One byte vector per input tensor.
        inputs: Vec<Vec<u8>>,
    },
    /// Run the slot's model on `count` samples, each the concatenation of its inputs' bytes;
    /// [`RunnerResponse::Progress`] now and then, then [`RunnerResponse::BatchDone`].
    Batch {
        /// Slot.
        slot: SlotId,
        /// Echoed in the answers.
        tag: u64,
        /// `count` samples back to back.
        samples: Vec<u8>,
        /// Number of samples.
        count: u32,
    },
    /// Reset the slot's state (variables, per-op state) as on a fresh start.
    Reset {
        /// Slot.
        slot: SlotId,
    },
    /// Free the slot's model and arena.
    Unload {
        /// Slot.
        slot: SlotId,
    },
}

/// The runner's answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RunnerResponse {
    /// Answer to [`RunnerRequest::Load`].
    Loaded {
        /// Slot.
        slot: SlotId,
        /// The model as loaded, or the engine's words.
        result: Result<SlotInfo, String>,
    },
    /// Answer to [`RunnerRequest::Invoke`].
    Invoked {
        /// Slot.
        slot: SlotId,
        /// The request's tag.
        tag: u64,
        /// Outputs and time, or the engine's words.
        result: Result<Invocation, String>,
    },
    /// How far a batch is.
    Progress {
        /// Slot.
        slot: SlotId,
        /// The request's tag.
        tag: u64,
        /// Samples done.
        done: u32,
        /// Samples in all.
        total: u32,
    },
    /// Answer to [`RunnerRequest::Batch`].
    BatchDone {
        /// Slot.
        slot: SlotId,
        /// The request's tag.
        tag: u64,
        /// Outputs of every sample, or the engine's words.
        result: Result<BatchResult, String>,
    },
    /// Answer to [`RunnerRequest::Reset`].
    WasReset {
        /// Slot.
        slot: SlotId,
        /// Done, or the engine's words.
        result: Result<(), String>,
    },
}

/// A model in a slot.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SlotInfo {
    /// The engine's description of the model (graph, plan, `arena_bytes`).
    pub report: ModelReport,
    /// The arena the slot was given.
    pub budget: usize,
    /// Bytes of it the model uses (`Interpreter::usage().total`).
    pub arena_used: usize,
    /// The input tensors (with no data).
    pub inputs: Vec<TensorData>,
    /// The output tensors (with no data).
    pub outputs: Vec<TensorData>,
}

impl SlotInfo {
    /// Bytes of input `i`.
    pub fn input_bytes(&self, i: usize) -> usize {
        self.inputs.get(i).map_or(0, tensor_bytes)
    }

    /// Bytes of all inputs of one sample.
    pub fn sample_bytes(&self) -> usize {
        self.inputs.iter().map(tensor_bytes).sum()
    }

    /// Bytes of all outputs of one sample.
    pub fn output_bytes(&self) -> usize {
        self.outputs.iter().map(tensor_bytes).sum()
    }
}

/// Bytes a tensor of this type and shape takes.
pub fn tensor_bytes(t: &TensorData) -> usize {
    let elems: usize = t.shape.iter().map(|&d| d.max(0) as usize).product();
    elems * dtype_size(&t.dtype)
}

/// Bytes of one element of a schema type name (`"INT8"` 1, `"FLOAT32"` 4...).
pub fn dtype_size(dtype: &str) -> usize {
    match dtype {
        "FLOAT64" | "INT64" | "UINT64" | "COMPLEX64" => 8,
        "FLOAT32" | "INT32" | "UINT32" => 4,
        "FLOAT16" | "INT16" | "UINT16" => 2,
        _ => 1,
    }
}

/// One invocation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Invocation {
    /// Every output tensor.
    pub outputs: Vec<TensorData>,
    /// Milliseconds of `invoke` (the browser's clock: coarse, 5-100 us).
    pub ms: f64,
}

/// A batch's outputs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BatchResult {
    /// Every sample's outputs (all output tensors, back to back), samples in order.
    pub outputs: Vec<u8>,
    /// Mean milliseconds per invocation.
    pub mean_ms: f64,
}

/// Spawns a slot's task (`wasm_bindgen_futures::spawn_local` in the worker).
pub type Spawner = Rc<dyn Fn(LocalBoxFuture<'static, ()>)>;
/// Where answers go (the worker's `respond`).
pub type Sink = Rc<dyn Fn(RunnerResponse)>;

/// A batch reports progress after this many samples.
const PROGRESS_EVERY: u32 = 100;

/// The slots of one page and the way to reach each slot's task.
pub struct Runner {
    slots: HashMap<SlotId, UnboundedSender<RunnerRequest>>,
    spawn: Spawner,
    sink: Sink,
    clock: Rc<dyn Clock>,
}

impl Runner {
    /// A runner with no slots.
    pub fn new(spawn: Spawner, sink: Sink, clock: Rc<dyn Clock>) -> Self {
        Runner {
            slots: HashMap::new(),
            spawn,
            sink,
            clock,
        }
    }

    /// Routes one request; answers go to the sink (later, from the slot's task).
    pub fn handle(&mut self, request: RunnerRequest) {
        let slot = match &request {
            RunnerRequest::Load { slot, .. } => {
                let (tx, rx) = unbounded();
                // Replacing the sender ends the old task once it has served what it was sent.
                self.slots.insert(*slot, tx);
                let RunnerRequest::Load {
                    slot,
                    name,
                    bytes,
                    budget,
                } = request
                else {
                    return;
                };
                (self.spawn)(Box::pin(serve_slot(
                    slot,
                    name,
                    bytes,
                    budget,
                    rx,
                    self.sink.clone(),
                    self.clock.clone(),
                )));
                return;
            }
            RunnerRequest::Unload { slot } => {
                self.slots.remove(slot);
                return;
            }
            RunnerRequest::Invoke { slot, .. }
            | RunnerRequest::Batch { slot, .. }
            | RunnerRequest::Reset { slot } => *slot,
        };
        let sent = match self.slots.get(&slot) {
            Some(tx) => tx.unbounded_send(request).map_err(|e| e.into_inner()),
            None => Err(request),
        };
        if let Err(request) = sent {
            // The slot is empty, or its model failed to load: say so in the request's terms.
            (self.sink)(no_model(request));
        }
    }
}

fn no_model(request: RunnerRequest) -> RunnerResponse {
    const NO_MODEL: &str = "no model is loaded in this slot";
    fn e<T>() -> Result<T, String> {
        Err(NO_MODEL.to_string())
    }
    match request {
        RunnerRequest::Invoke { slot, tag, .. } => RunnerResponse::Invoked {
            slot,
            tag,
            result: e(),
        },
        RunnerRequest::Batch { slot, tag, .. } => RunnerResponse::BatchDone {
            slot,
            tag,
            result: e(),
        },
        RunnerRequest::Reset { slot } | RunnerRequest::Unload { slot } => {
            RunnerResponse::WasReset { slot, result: e() }
        }
        RunnerRequest::Load { slot, .. } => RunnerResponse::Loaded { slot, result: e() },
    }
}

/// The life of one slot: load, then serve requests until the sender is dropped.
async fn serve_slot(
    slot: SlotId,
    name: String,
    bytes: Vec<u8>,
    budget: Option<usize>,
    mut rx: UnboundedReceiver<RunnerRequest>,
    sink: Sink,
    clock: Rc<dyn Clock>,
) {
    let err = |e: tinyml_engine::Error| e.to_string();
    // Everything below borrows from this frame: the model from `bytes`, the interpreter from
    // the model and `memory`.
    let loaded = (|| {
        let report = describe(&name, &bytes, clock.as_ref())?;
        let model = Model::load(&bytes).map_err(err)?;
        Ok::<_, String>((report, model))
    })();
    let (report, model) = match loaded {
        Ok(v) => v,
        Err(e) => {
            sink(RunnerResponse::Loaded {
                slot,
                result: Err(e),
            });
            drain(slot, rx, &sink).await;
            return;
        }
    };
    let budget = budget.unwrap_or(report.arena_bytes);
    let mut memory = match arena(budget) {
        Ok(m) => m,
        Err(e) => {
            sink(RunnerResponse::Loaded {
                slot,
                result: Err(e),
            });
            drain(slot, rx, &sink).await;
            return;
        }
    };
    let mut interp = match Interpreter::new(&model, &mut memory) {
        Ok(i) => i,
        Err(e) => {
            sink(RunnerResponse::Loaded {
                slot,
                result: Err(e.to_string()),
            });
            drain(slot, rx, &sink).await;
            return;
        }
    };
    let describe_io = |interp: &Interpreter<'_, '_>| -> Result<(Vec<_>, Vec<_>), String> {
        let ins = (0..interp.input_count())
            .map(|i| interp.input_info(i).map(|t| tensor_data(&t, Vec::new())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let outs = (0..interp.output_count())
            .map(|i| interp.output_info(i).map(|t| tensor_data(&t, Vec::new())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        Ok((ins, outs))
    };
    let (inputs, outputs) = match describe_io(&interp) {
        Ok(io) => io,
        Err(e) => {
            sink(RunnerResponse::Loaded {
                slot,
                result: Err(e),
            });
            drain(slot, rx, &sink).await;
            return;
        }
    };
    sink(RunnerResponse::Loaded {
        slot,
        result: Ok(SlotInfo {
            report,
            budget,
            arena_used: interp.usage().total,
            inputs,
            outputs,
        }),
    });

    while let Some(request) = rx.next().await {
        match request {
            RunnerRequest::Invoke { tag, inputs, .. } => {
                let result = invoke_once(&mut interp, &inputs, clock.as_ref());
                sink(RunnerResponse::Invoked { slot, tag, result });
            }
            RunnerRequest::Batch {
                tag,
                samples,
                count,
                ..
            } => {
                let result = run_batch(&mut interp, &samples, count, clock.as_ref(), |done| {
                    sink(RunnerResponse::Progress {
                        slot,
                        tag,
                        done,
                        total: count,
                    })
                });
                sink(RunnerResponse::BatchDone { slot, tag, result });
            }
            RunnerRequest::Reset { .. } => sink(RunnerResponse::WasReset {
                slot,
                result: interp.reset().map_err(err),
            }),
            RunnerRequest::Load { .. } | RunnerRequest::Unload { .. } => {}
        }
    }
}

/// Answers the requests sent to a slot whose model failed to load, until it is replaced.
async fn drain(slot: SlotId, mut rx: UnboundedReceiver<RunnerRequest>, sink: &Sink) {
    while let Some(request) = rx.next().await {
        let mut answer = no_model(request);
        if let RunnerResponse::Loaded { slot: s, .. } = &mut answer {
            *s = slot;
        }
        sink(answer);
    }
}

fn infos<'m>(interp: &Interpreter<'m, '_>) -> Result<Vec<TensorInfo<'m>>, String> {
    (0..interp.input_count())
        .map(|i| interp.input_info(i))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

fn invoke_once(
    interp: &mut Interpreter<'_, '_>,
    inputs: &[Vec<u8>],
    clock: &dyn Clock,
) -> Result<Invocation, String> {
    let err = |e: tinyml_engine::Error| e.to_string();
    if inputs.len() != interp.input_count() {
        return Err(format!(
            "the model has {} input(s); {} were given",
            interp.input_count(),
            inputs.len()
        ));
    }
    for (i, data) in inputs.iter().enumerate() {
        interp.set_input(i, data).map_err(err)?;
    }
    let start = clock.now_ms();
    interp.invoke().map_err(err)?;
    let ms = clock.now_ms() - start;
    let outputs = (0..interp.output_count())
        .map(|i| {
            let info = interp.output_info(i).map_err(err)?;
            Ok(tensor_data(&info, interp.output(i).map_err(err)?.to_vec()))
        })
        .collect::<Result<_, String>>()?;
    Ok(Invocation { outputs, ms })
}

fn run_batch(
    interp: &mut Interpreter<'_, '_>,
    samples: &[u8],
    count: u32,
    clock: &dyn Clock,
    mut progress: impl FnMut(u32),
) -> Result<BatchResult, String> {
    let err = |e: tinyml_engine::Error| e.to_string();
    let sizes: Vec<usize> = infos(interp)?.iter().map(|t| t.bytes).collect();
    let per_sample: usize = sizes.iter().sum();
    if per_sample.checked_mul(count as usize) != Some(samples.len()) {
        return Err(format!(
            "{} B of samples is not {count} samples of {per_sample} B",
            samples.len()
        ));
    }
    let mut outputs = Vec::new();
    let mut ms = 0.0;
    for (k, sample) in samples.chunks_exact(per_sample.max(1)).enumerate() {
        let mut at = 0;
        for (i, &n) in sizes.iter().enumerate() {
            let part = sample.get(at..at + n).ok_or("sample too short")?;
            interp.set_input(i, part).map_err(err)?;
            at += n;
        }
        let start = clock.now_ms();
        interp.invoke().map_err(err)?;
        ms += clock.now_ms() - start;
        for i in 0..interp.output_count() {
            outputs.extend_from_slice(interp.output(i).map_err(err)?);
        }
        let done = k as u32 + 1;
        if done.is_multiple_of(PROGRESS_EVERY) && done < count {
            progress(done);
        }
    }
    Ok(BatchResult {
        outputs,
        mean_ms: if count > 0 { ms / count as f64 } else { 0.0 },
    })
}
