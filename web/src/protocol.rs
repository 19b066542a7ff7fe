//! The messages between the page and the engine's worker, and the reports the worker sends back.
//!
//! The page sends the model's bytes once ([`Request::Load`]); every later request is small (a
//! budget, an input choice). Every answer carries `Result<_, String>`: the engine's errors cross
//! the worker boundary as the plain words of their `Display`.

use serde::{Deserialize, Serialize};

/// What the page asks of the worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Request {
    /// Keep these model bytes, check them with the engine and describe the model.
    Load {
        /// File name, for people.
        name: String,
        /// The `.tflite` file.
        bytes: Vec<u8>,
    },
    /// Lay the loaded model out in an arena of exactly `budget` bytes.
    Fit {
        /// Arena bytes (board SRAM minus the reserve).
        budget: usize,
    },
    /// Run the loaded model in an arena of exactly `budget` bytes and profile it.
    Run {
        /// Arena bytes.
        budget: usize,
        /// What to put in the inputs.
        input: InputChoice,
    },
    /// The values of a tensor of the loaded model (constants: their data).
    Tensor {
        /// Subgraph index.
        subgraph: u32,
        /// Tensor index in the subgraph.
        tensor: u32,
    },
    /// The loaded model as a flash file for a board (the Export panel), made by
    /// `tinyml_deploy` exactly as `tinyml export` makes it.
    Export {
        /// Board name (`netduinoplus2`), as `tinyml export --board` takes it.
        board: String,
        /// Format name (`bin`, `hex`, `dfu`, `uf2`, `c`).
        format: String,
        /// The board's firmware template (`firmware/<board>.tmlf`, built with the page);
        /// empty for the C array, which does not use it.
        template: Vec<u8>,
        /// The input the image runs at boot (not used by the C array).
        input: InputChoice,
    },
}

/// The input of a run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum InputChoice {
    /// Every input filled with the value that means zero (the zero point for quantized tensors).
    Zero,
    /// Uniform random values of each input's type, from a seed (the same seed, the same input).
    Random {
        /// Seed of the generator.
        seed: u64,
    },
    /// Raw little-endian bytes of every input in order, as `tinyml run --input` reads them.
    Bytes(Vec<u8>),
}

/// The worker's answers, one per request, in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Response {
    /// Answer to [`Request::Load`].
    Loaded(Result<ModelReport, String>),
    /// Answer to [`Request::Fit`].
    Fitted(FitReport),
    /// Answer to [`Request::Run`].
    Ran(Result<RunReport, String>),
    /// Answer to [`Request::Tensor`].
    TensorValues(Result<TensorValues, String>),
    /// Answer to [`Request::Export`]; errors in the deploy crate's words (a model too large
    /// for the board's flash or SRAM, with both figures).
    Exported(Result<ExportReport, String>),
}

/// An export: the files to download and the flash image behind them (for flashing).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExportReport {
    /// Board name.
    pub board: String,
    /// Format name.
    pub format: String,
    /// The files, as `tinyml export` writes them (two for the C array: `.cc` and `.h`).
    pub files: Vec<ExportFile>,
    /// The flash image's segments as (address, bytes): what WebUSB writes. Empty for the C
    /// array.
    pub segments: Vec<(u32, Vec<u8>)>,
    /// The input carried in the image (all model inputs back to back), as `tinyml run --input`
    /// reads it; empty for the C array.
    pub input: Vec<u8>,
    /// One line for people: sizes and room left, as `tinyml export` prints it.
    pub summary: String,
}

/// One exported file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExportFile {
    /// File name to save as (`hello_world_int8-netduinoplus2.bin`, `model_data.cc`).
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Everything the page draws about a model, all of it computed by the engine.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelReport {
    /// File name.
    pub name: String,
    /// File size in bytes.
    pub file_bytes: usize,
    /// The model's description string.
    pub description: Option<String>,
    /// Milliseconds to check the model, work out its arena size and plan it (in the worker).
    pub load_ms: f64,
    /// `Interpreter::arena_bytes`: the smallest arena the engine accepts (same as
    /// `tinyml inspect --json`'s `arena_bytes`).
    pub arena_bytes: usize,
    /// Activations and scratch (the planned head).
    pub activations: usize,
    /// Parameters, state, variables and the engine's records.
    pub persistent: usize,
    /// Persistent state (variables, per-op state).
    pub state: usize,
    /// Largest scratch buffer.
    pub scratch: usize,
    /// Execution steps.
    pub steps: u16,
    /// Subgraphs, the main one first.
    pub subgraphs: Vec<SubgraphReport>,
    /// The arena plan (activations, scratch, variables) as the engine laid it out in an arena
    /// of exactly `arena_bytes`.
    pub plan: Vec<PlanItem>,
}

/// One subgraph's ops and tensors.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SubgraphReport {
    /// Tensors.
    pub tensors: Vec<TensorReport>,
    /// Ops in execution order.
    pub ops: Vec<OpReport>,
    /// Input tensor indices.
    pub inputs: Vec<i32>,
    /// Output tensor indices.
    pub outputs: Vec<i32>,
}

/// One tensor.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TensorReport {
    /// Index in the subgraph.
    pub index: u32,
    /// Name in the model.
    pub name: String,
    /// Schema type name (`INT8`).
    pub dtype: String,
    /// Bytes per element.
    pub elem_bytes: usize,
    /// Shape.
    pub shape: Vec<i32>,
    /// Size in bytes.
    pub bytes: usize,
    /// Scale (of channel 0 when per-channel).
    pub scale: Option<f32>,
    /// Zero point (of channel 0).
    pub zero_point: Option<i32>,
    /// Number of quantization channels (1 = per-tensor).
    pub channels: u32,
    /// Constant data in the model.
    pub is_const: bool,
    /// A variable (persistent state).
    pub is_variable: bool,
}

/// One op.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OpReport {
    /// Index in the subgraph.
    pub index: u32,
    /// Schema name (`CONV_2D`).
    pub op: String,
    /// Operator version.
    pub version: u16,
    /// Input tensor indices (-1 = omitted).
    pub inputs: Vec<i32>,
    /// Output tensor indices.
    pub outputs: Vec<i32>,
    /// Multiply-accumulates per run.
    pub macs: u64,
}

/// One buffer of the arena plan.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PlanItem {
    /// Subgraph.
    pub subgraph: u16,
    /// Tensor index, or op index for scratch.
    pub index: u32,
    /// `activation`, `scratch`, `variable` or `alias`.
    pub kind: String,
    /// Arena offset.
    pub offset: usize,
    /// Bytes.
    pub size: usize,
    /// First step alive.
    pub first: u16,
    /// Last step alive.
    pub last: u16,
}

/// Whether the model fits an arena of `budget` bytes, in the engine's words.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FitReport {
    /// The arena size tried.
    pub budget: usize,
    /// Bytes used on success; the engine's error otherwise.
    pub result: Result<usize, String>,
}

/// One profiled run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    /// The arena size used.
    pub budget: usize,
    /// How many timed invocations the figures average.
    pub iterations: u32,
    /// Mean milliseconds per invocation, measured around `invoke_profiled`.
    pub total_ms: f64,
    /// Per-op mean times, in execution order (ops of called subgraphs included).
    pub ops: Vec<OpTiming>,
    /// The outputs of the first invocation.
    pub outputs: Vec<TensorData>,
    /// The inputs given.
    pub inputs: Vec<TensorData>,
}

/// One op's share of a run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OpTiming {
    /// Subgraph.
    pub subgraph: u16,
    /// Op index.
    pub index: u16,
    /// Schema name.
    pub op: String,
    /// Mean milliseconds per invocation.
    pub ms: f64,
    /// Multiply-accumulates per invocation.
    pub macs: u64,
}

/// A tensor's bytes with what is needed to read them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TensorData {
    /// Tensor index in its subgraph.
    pub tensor: u32,
    /// Schema type name.
    pub dtype: String,
    /// Shape.
    pub shape: Vec<i32>,
    /// Scale, if quantized (channel 0).
    pub scale: Option<f32>,
    /// Zero point, if quantized (channel 0).
    pub zero_point: Option<i32>,
    /// Raw little-endian bytes.
    pub raw: Vec<u8>,
}

/// A tensor's values, for the details panel and its histogram.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TensorValues {
    /// Subgraph.
    pub subgraph: u32,
    /// The tensor and its bytes.
    pub data: TensorData,
}
