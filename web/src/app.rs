//! The page: owns the state and the worker bridge, and wires the panels together.

use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use yew::prelude::*;

use crate::components::board_panel::BoardPanel;
use crate::components::details_panel::DetailsPanel;
use crate::components::export_panel::ExportPanel;
use crate::components::graph_view::GraphView;
use crate::components::load_panel::LoadPanel;
use crate::components::memory_view::MemoryView;
use crate::components::model_summary::ModelSummary;
use crate::components::run_panel::RunPanel;
use crate::protocol::{InputChoice, Request, Response};
use crate::state::{Action, GalleryEntry, InputKind, Selection, State};
use crate::worker::EngineWorker;

/// The worker script, relative to the page so that the site works under any sub-path.
const WORKER_JS: &str = "worker.js";
/// The gallery list written at build time (see web/gallery.sh).
const GALLERY_JSON: &str = "gallery.json";

/// The playground.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);

    let bridge: Rc<WorkerBridge<EngineWorker>> = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            EngineWorker::spawner()
                .callback(move |response: Response| {
                    dispatcher.dispatch(match response {
                        Response::Loaded(r) => Action::FinishLoad(r),
                        Response::Fitted(f) => Action::FinishFit(f),
                        Response::Ran(r) => Action::FinishRun(r),
                        Response::TensorValues(v) => Action::SetTensorValues(v),
                        Response::Exported(r) => Action::FinishExport(r),
                    })
                })
                .spawn(&worker_url())
        })
    };

    // The gallery: a list written at build time; none at all is fine.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(list) = fetch_gallery().await {
                    dispatcher.dispatch(Action::SetGallery(list));
                }
            });
        });
    }

    // Whenever the model or the budget changes, the engine tries the budget.
    {
        let bridge = bridge.clone();
        let budget = state.budget();
        let loaded = state.model.is_some();
        use_effect_with(
            (state.generation, budget, loaded),
            move |&(_, budget, loaded)| {
                if loaded {
                    bridge.send(Request::Fit { budget });
                }
            },
        );
    }

    let onload = {
        let bridge = bridge.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |(name, bytes): (String, Vec<u8>)| {
            dispatcher.dispatch(Action::StartLoad(name.clone()));
            bridge.send(Request::Load { name, bytes });
        })
    };
    let onloadfail = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: String| dispatcher.dispatch(Action::FailLoad(e)))
    };
    let onrun = {
        let bridge = bridge.clone();
        let state = state.clone();
        Callback::from(move |_| {
            let input = match state.input_kind {
                InputKind::Zero => InputChoice::Zero,
                InputKind::Random => InputChoice::Random { seed: state.seed },
                InputKind::File => match &state.input_file {
                    Some((_, bytes)) => InputChoice::Bytes(bytes.clone()),
                    None => InputChoice::Zero,
                },
            };
            state.dispatch(Action::StartRun);
            bridge.send(Request::Run {
                budget: state.budget(),
                input,
            });
        })
    };
    let onselect = {
        let bridge = bridge.clone();
        let state = state.clone();
        Callback::from(move |sel: Option<Selection>| {
            state.dispatch(Action::Select(sel));
            if let Some(Selection::Tensor { subgraph, tensor }) = sel {
                let is_const = state
                    .model
                    .as_ref()
                    .and_then(|m| m.subgraphs.get(subgraph))
                    .and_then(|sg| sg.tensors.get(tensor))
                    .is_some_and(|t| t.is_const);
                if is_const {
                    bridge.send(Request::Tensor {
                        subgraph: subgraph as u32,
                        tensor: tensor as u32,
                    });
                }
            }
        })
    };
    let send = {
        let bridge = bridge.clone();
        Callback::from(move |r: Request| bridge.send(r))
    };
    let dispatch = {
        let dispatcher = state.dispatcher();
        Callback::from(move |a: Action| dispatcher.dispatch(a))
    };

    let board = state.board();
    html! {
        <div class="page">
            <header class="top">
                <h1>{"TinyML Playground"}</h1>
                <p class="tagline">
                    {"Load a .tflite model, fit it into a microcontroller's SRAM, see its graph, \
                      its arena plan and where the time goes. Everything runs here, in your \
                      browser: the engine in a Web Worker, nothing sent anywhere."}
                </p>
                <nav>
                    <a href="#model">{"Model"}</a>
                    <a href="#memory">{"Memory"}</a>
                    <a href="#run">{"Run"}</a>
                    <a href="#export">{"Export"}</a>
                </nav>
            </header>
            <div class="columns">
                <LoadPanel
                    gallery={state.gallery.clone()}
                    loading={state.loading.clone()}
                    error={state.load_error.clone()}
                    {onload}
                    {onloadfail}
                />
                <BoardPanel
                    state={state.clone()}
                    ondispatch={dispatch.clone()}
                />
            </div>
            if let Some(model) = &state.model {
                <ModelSummary model={model.clone()} />
                <section id="model" class="panel">
                    <h2>{"Model graph"}</h2>
                    <p class="hint">{"Click an op or a tensor for its details."}</p>
                    <div class="graph-and-details">
                        <GraphView
                            model={model.clone()}
                            subgraph={state.subgraph}
                            selection={state.selection}
                            onselect={onselect.clone()}
                            ondispatch={dispatch.clone()}
                        />
                        <DetailsPanel
                            model={model.clone()}
                            selection={state.selection}
                            values={state.tensor_values.clone()}
                            onselect={onselect.clone()}
                        />
                    </div>
                </section>
                <section id="memory" class="panel">
                    <h2>{"Memory: the arena plan"}</h2>
                    <MemoryView
                        model={model.clone()}
                        budget={state.budget()}
                        board_name={board.name}
                        onselect={onselect.clone()}
                    />
                </section>
                <section id="run" class="panel">
                    <h2>{"Run and profile"}</h2>
                    <RunPanel
                        state={state.clone()}
                        ondispatch={dispatch.clone()}
                        {onrun}
                    />
                </section>
                <section id="export" class="panel">
                    <h2>{"Export and flash"}</h2>
                    <ExportPanel state={state.clone()} onrequest={send} />
                </section>
            }
            <footer>
                {"TinyML Playground: the tinyml-engine, bit-exact with TensorFlow Lite Micro's \
                  reference kernels, compiled to WebAssembly."}
            </footer>
        </div>
    }
}

/// The worker script's absolute URL, resolved against the document's base (gloo resolves a
/// relative path against the page's own address, which is wrong when the page is served as
/// `/playground` without a trailing slash and `<base>` says `/playground/`).
fn worker_url() -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten());
    base.and_then(|b| web_sys::Url::new_with_base(WORKER_JS, &b).ok())
        .map_or_else(|| WORKER_JS.to_string(), |u| u.href())
}

async fn fetch_gallery() -> Option<Vec<GalleryEntry>> {
    let response = gloo_net::http::Request::get(GALLERY_JSON)
        .send()
        .await
        .ok()?;
    if !response.ok() {
        return None;
    }
    serde_json::from_str(&response.text().await.ok()?).ok()
}
