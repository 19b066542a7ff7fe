//! The page's state as a reducer: every change is an [`Action`], a verb.

use std::rc::Rc;

use serde::Deserialize;
use yew::Reducible;

use crate::boards::{self, Board, BOARDS, CUSTOM_ID};
use crate::cost::Core;
use crate::protocol::{ExportReport, FitReport, InputChoice, ModelReport, RunReport, TensorValues};

/// One model of the gallery (`gallery.json`, written at build time from `models/`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GalleryEntry {
    /// Name shown (`sine/sine_int8.tflite`).
    pub name: String,
    /// URL relative to the page.
    pub path: String,
    /// File size.
    pub bytes: usize,
    /// The model directory's card (`models/sine/card.json`), if it has one.
    #[serde(default)]
    pub card: Option<String>,
}

/// What the details panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Op `op` of subgraph `subgraph`.
    Op {
        /// Subgraph.
        subgraph: usize,
        /// Op index.
        op: usize,
    },
    /// Tensor `tensor` of subgraph `subgraph`.
    Tensor {
        /// Subgraph.
        subgraph: usize,
        /// Tensor index.
        tensor: usize,
    },
}

/// Where a run's input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Zeros (zero points).
    Zero,
    /// Random, from the seed.
    Random,
    /// The uploaded file.
    File,
}

/// The user's custom board.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomBoard {
    /// SRAM bytes.
    pub sram: usize,
    /// Flash bytes.
    pub flash: usize,
    /// Core.
    pub core: Core,
    /// Clock in MHz.
    pub clock_mhz: u32,
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Gallery of the project's models.
    pub gallery: Vec<GalleryEntry>,
    /// Name of the file being loaded.
    pub loading: Option<String>,
    /// The loaded model, as the engine describes it.
    pub model: Option<ModelReport>,
    /// Why the last load failed.
    pub load_error: Option<String>,
    /// Counts loads, so that effects can tell a new model from an old one.
    pub generation: u32,
    /// Chosen board id (a preset's, or [`CUSTOM_ID`]).
    pub board_id: String,
    /// The custom board's figures.
    pub custom: CustomBoard,
    /// Bytes kept for stack and application.
    pub reserve: usize,
    /// The engine's verdict for the current budget.
    pub fit: Option<FitReport>,
    /// Input of the next run.
    pub input_kind: InputKind,
    /// Seed of random inputs.
    pub seed: u64,
    /// Uploaded input file (name, bytes).
    pub input_file: Option<(String, Vec<u8>)>,
    /// A run is under way.
    pub running: bool,
    /// The last run.
    pub run: Option<Result<RunReport, String>>,
    /// Selected op or tensor.
    pub selection: Option<Selection>,
    /// Values of the selected tensor.
    pub tensor_values: Option<Result<TensorValues, String>>,
    /// Subgraph drawn in the graph view.
    pub subgraph: usize,
    /// The worker's last export (the Export panel).
    pub export: Option<Result<ExportReport, String>>,
    /// Counts exports, so that the Export panel can tell a new one from an old one.
    pub export_seq: u32,
}

/// The default board: the one the "done" story uses.
const DEFAULT_BOARD: &str = "netduino-f405";

impl Default for State {
    fn default() -> Self {
        let board = boards::board(DEFAULT_BOARD).unwrap_or(&BOARDS[0]);
        State {
            gallery: Vec::new(),
            loading: None,
            model: None,
            load_error: None,
            generation: 0,
            board_id: board.id.to_string(),
            custom: CustomBoard {
                sram: 64 * 1024,
                flash: 256 * 1024,
                core: Core::CortexM4F,
                clock_mhz: 80,
            },
            reserve: board.reserve,
            fit: None,
            input_kind: InputKind::Zero,
            seed: 1,
            input_file: None,
            running: false,
            run: None,
            selection: None,
            tensor_values: None,
            subgraph: 0,
            export: None,
            export_seq: 0,
        }
    }
}

impl State {
    /// The chosen board (the custom one as a [`Board`] too).
    pub fn board(&self) -> Board {
        boards::board(&self.board_id).copied().unwrap_or(Board {
            id: CUSTOM_ID,
            name: "Custom board",
            mcu: "custom",
            sram: self.custom.sram,
            flash: self.custom.flash,
            core: self.custom.core,
            clock_mhz: self.custom.clock_mhz,
            reserve: self.reserve,
            note: "Your own figures.",
        })
    }

    /// The chosen input as the worker takes it (a file not chosen yet counts as zeros).
    pub fn input_choice(&self) -> InputChoice {
        match self.input_kind {
            InputKind::Zero => InputChoice::Zero,
            InputKind::Random => InputChoice::Random { seed: self.seed },
            InputKind::File => match &self.input_file {
                Some((_, bytes)) => InputChoice::Bytes(bytes.clone()),
                None => InputChoice::Zero,
            },
        }
    }

    /// The arena the engine is given: SRAM minus the reserve.
    pub fn budget(&self) -> usize {
        boards::arena_budget(self.board().sram, self.reserve)
    }
}

/// Everything that changes the page.
pub enum Action {
    /// The gallery list arrived.
    SetGallery(Vec<GalleryEntry>),
    /// A file is being read or fetched.
    StartLoad(String),
    /// Reading or fetching failed before the engine saw the file.
    FailLoad(String),
    /// The engine's answer to a load.
    FinishLoad(Result<ModelReport, String>),
    /// Pick a board preset or the custom board (its default reserve comes with it).
    SelectBoard(String),
    /// Change the reserve.
    SetReserve(usize),
    /// Change the custom board.
    SetCustom(CustomBoard),
    /// The engine's answer to a fit.
    FinishFit(FitReport),
    /// Choose the input kind.
    SetInputKind(InputKind),
    /// Choose the random seed.
    SetSeed(u64),
    /// An input file was read.
    SetInputFile(String, Vec<u8>),
    /// A run was sent.
    StartRun,
    /// The engine's answer to a run.
    FinishRun(Result<RunReport, String>),
    /// Select an op or tensor (or nothing).
    Select(Option<Selection>),
    /// Tensor values arrived.
    SetTensorValues(Result<TensorValues, String>),
    /// Draw another subgraph.
    ShowSubgraph(usize),
    /// The worker's answer to an export.
    FinishExport(Result<ExportReport, String>),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetGallery(g) => s.gallery = g,
            Action::StartLoad(name) => {
                s.loading = Some(name);
                s.load_error = None;
            }
            Action::FailLoad(e) => {
                s.loading = None;
                s.load_error = Some(e);
            }
            Action::FinishLoad(result) => {
                s.loading = None;
                s.generation += 1;
                s.fit = None;
                s.run = None;
                s.selection = None;
                s.tensor_values = None;
                s.subgraph = 0;
                s.export = None;
                match result {
                    Ok(m) => {
                        s.model = Some(m);
                        s.load_error = None;
                        // An input file belongs to the model it was chosen for.
                        s.input_file = None;
                        if s.input_kind == InputKind::File {
                            s.input_kind = InputKind::Zero;
                        }
                    }
                    Err(e) => {
                        s.model = None;
                        s.load_error = Some(e);
                    }
                }
            }
            Action::SelectBoard(id) => {
                s.reserve = boards::board(&id).map_or(s.reserve, |b| b.reserve);
                s.board_id = id;
                s.run = None;
            }
            Action::SetReserve(r) => {
                s.reserve = r;
                s.run = None;
            }
            Action::SetCustom(c) => {
                s.custom = c;
                s.run = None;
            }
            Action::FinishFit(f) => s.fit = Some(f),
            Action::SetInputKind(k) => s.input_kind = k,
            Action::SetSeed(seed) => s.seed = seed,
            Action::SetInputFile(name, bytes) => {
                s.input_file = Some((name, bytes));
                s.input_kind = InputKind::File;
            }
            Action::StartRun => s.running = true,
            Action::FinishRun(r) => {
                s.running = false;
                s.run = Some(r);
            }
            Action::Select(sel) => {
                s.selection = sel;
                s.tensor_values = None;
            }
            Action::SetTensorValues(v) => s.tensor_values = Some(v),
            Action::ShowSubgraph(sg) => s.subgraph = sg,
            Action::FinishExport(r) => {
                s.export = Some(r);
                s.export_seq += 1;
            }
        }
        Rc::new(s)
    }
}
