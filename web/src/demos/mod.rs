//! The demo pages: the classic TinyML examples, live, each running its model on the emulated
//! MCU (the engine in a Web Worker, inside the chosen board's arena).
//!
//! Each page owns one runner worker ([`use_runner`]) whose slots keep the page's models loaded
//! between invocations; [`DemoStats`] shows what every page must: the arena used, the latency
//! measured here and the latency estimated on the chosen board.

use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use yew::prelude::*;

use crate::boards::Board;
use crate::cost;
use crate::format;
use crate::runner::{RunnerResponse, SlotInfo};
use crate::runner_worker::RunnerWorker;

pub mod digits;
pub mod media;
pub mod motion;
pub mod sine;
pub mod vision;
pub mod wakeword;
pub mod wand;
pub mod widgets;

/// The runner worker's script, relative to the page (see `crate::app::worker_url`).
const RUNNER_JS: &str = "runner.js";

/// The demos, in the order of the nav bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// Sine: the "hello world" regression.
    Sine,
    /// Hand-drawn digits (MNIST CNN).
    Digits,
    /// Wake word from the microphone.
    WakeWord,
    /// Person detection (any 2-D image classifier) from the webcam or an image.
    Vision,
    /// Magic wand gestures.
    Wand,
}

impl Demo {
    /// Every demo.
    pub const ALL: [Demo; 5] = [
        Demo::Sine,
        Demo::Digits,
        Demo::WakeWord,
        Demo::Vision,
        Demo::Wand,
    ];

    /// The URL fragment (`#/sine`) and test id.
    pub fn slug(self) -> &'static str {
        match self {
            Demo::Sine => "sine",
            Demo::Digits => "digits",
            Demo::WakeWord => "wakeword",
            Demo::Vision => "vision",
            Demo::Wand => "wand",
        }
    }

    /// The nav bar's words.
    pub fn title(self) -> &'static str {
        match self {
            Demo::Sine => "Sine",
            Demo::Digits => "Digits",
            Demo::WakeWord => "Wake word",
            Demo::Vision => "Vision",
            Demo::Wand => "Magic wand",
        }
    }

    /// The demo a slug names.
    pub fn from_slug(slug: &str) -> Option<Demo> {
        Demo::ALL.into_iter().find(|d| d.slug() == slug)
    }
}

/// What every demo page gets from the app.
#[derive(Properties, PartialEq, Clone)]
pub struct DemoProps {
    /// The chosen board.
    pub board: Board,
    /// Its arena budget (SRAM minus reserve): every model of the page runs in exactly this.
    pub budget: usize,
}

/// The page's demo.
pub fn view(demo: Demo, props: DemoProps) -> Html {
    match demo {
        Demo::Sine => html! { <sine::SineDemo ..props /> },
        Demo::Digits => html! { <digits::DigitsDemo ..props /> },
        Demo::WakeWord => html! { <wakeword::WakeWordDemo ..props /> },
        Demo::Vision => html! { <vision::VisionDemo ..props /> },
        Demo::Wand => html! { <wand::WandDemo ..props /> },
    }
}

/// A runner worker for this component, spawned once and dropped with it. `onresponse` is
/// captured at the first render: pass something stable (a reducer's dispatcher, a
/// `Callback` built from one).
#[hook]
pub fn use_runner(onresponse: Callback<RunnerResponse>) -> Rc<WorkerBridge<RunnerWorker>> {
    use_memo((), move |_| {
        RunnerWorker::spawner()
            .callback(move |r| onresponse.emit(r))
            .spawn(&crate::app::asset_url(RUNNER_JS))
    })
}

/// Replaces a page's int8/float [`ModelPair`](crate::demo_core::pair::ModelPair): unloads the
/// slots of generation `generation`, moves it on, and fetches `models/{dir}/{int8}` and
/// `models/{dir}/{float}` into the new generation's slots with arenas of `budget` bytes. Returns
/// the new generation (the page dispatches its `Loading(gen)` with it); a fetch that fails goes
/// to `onfail`.
pub fn load_pair(
    runner: &Rc<WorkerBridge<RunnerWorker>>,
    generation: &std::cell::RefCell<u32>,
    dir: &'static str,
    (int8, float): (&'static str, &'static str),
    budget: usize,
    onfail: Callback<String>,
) -> u32 {
    use crate::demo_core::pair::ModelPair;
    use crate::runner::RunnerRequest;
    let old = *generation.borrow();
    let gen = old + 1;
    *generation.borrow_mut() = gen;
    let (old_int8, old_float) = ModelPair::slots(old);
    runner.send(RunnerRequest::Unload { slot: old_int8 });
    runner.send(RunnerRequest::Unload { slot: old_float });
    let (int8_slot, float_slot) = ModelPair::slots(gen);
    let runner = runner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        for (slot, file) in [(int8_slot, int8), (float_slot, float)] {
            match fetch_bytes(&format!("models/{dir}/{file}")).await {
                Ok(bytes) => runner.send(RunnerRequest::Load {
                    slot,
                    name: file.to_string(),
                    bytes,
                    budget: Some(budget),
                }),
                Err(e) => onfail.emit(e),
            }
        }
    });
    gen
}

/// The bytes at `url` (relative to the page): a shipped model, a test image.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    response.binary().await.map_err(|e| format!("{url}: {e}"))
}

/// Estimated milliseconds of one invocation of `info`'s model on `board` (the playground's cost
/// model: an estimate, not a measurement).
pub fn estimated_ms(info: &SlotInfo, board: &Board) -> f64 {
    cost::estimate_ms(&info.report, board.core, board.clock_mhz)
        .iter()
        .flatten()
        .sum()
}

/// Props of [`DemoStats`].
#[derive(Properties, PartialEq)]
pub struct DemoStatsProps {
    /// The model in use (none while loading).
    pub info: Option<SlotInfo>,
    /// The board.
    pub board: Board,
    /// Milliseconds of the last invocation, measured in this browser.
    pub last_ms: Option<f64>,
    /// Test id prefix (`sine-int8`), so tests can read each model's figures.
    #[prop_or("demo")]
    pub id: &'static str,
}

/// The figures every demo shows: arena used, measured latency, estimated latency on the board.
#[function_component]
pub fn DemoStats(props: &DemoStatsProps) -> Html {
    let Some(info) = &props.info else {
        return html! { <p class="demo-stats hint">{"Loading the model into the arena…"}</p> };
    };
    let id = props.id;
    html! {
        <dl class="demo-stats" data-testid={format!("{id}-stats")}>
            <dt>{"Model"}</dt>
            <dd>{ format!("{} ({})", info.report.name, format::bytes(info.report.file_bytes)) }</dd>
            <dt>{"Arena"}</dt>
            <dd data-testid={format!("{id}-arena")} data-bytes={info.arena_used.to_string()}>
                { format!("{} of {} on {}", format::bytes(info.arena_used), format::bytes(info.budget), props.board.name) }
            </dd>
            <dt>{"Latency here"}</dt>
            <dd data-testid={format!("{id}-latency")}>
                { props.last_ms.map_or_else(|| "–".to_string(), format::ms) }
            </dd>
            <dt>{"Estimated on the board"}</dt>
            <dd data-testid={format!("{id}-estimate")} title="The playground's cost model for this core and clock: an estimate, not a measurement.">
                { format!("≈ {} at {} MHz", format::ms(estimated_ms(info, &props.board)), props.board.clock_mhz) }
            </dd>
        </dl>
    }
}
