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
use crate::demos::{self, Demo, DemoProps};
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
    let view = use_state(current_view);
    // Back/forward and typed fragments switch the view too.
    {
        let view = view.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .map(|w| gloo_events_listener(&w, "hashchange", move || view.set(current_view())));
            move || drop(listener)
        });
    }

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
                .spawn(&asset_url(WORKER_JS))
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
                <nav class="views" data-testid="views">
                    <a href="#/" data-testid="nav-playground" class={classes!((*view == View::Playground).then_some("current"))}>{"Playground"}</a>
                    { for Demo::ALL.into_iter().map(|d| html! {
                        <a href={format!("#/{}", d.slug())} data-testid={format!("nav-{}", d.slug())}
                           class={classes!((*view == View::Demo(d)).then_some("current"))}>{ d.title() }</a>
                    }) }
                </nav>
                if *view == View::Playground {
                    <nav>
                        <a href="#model">{"Model"}</a>
                        <a href="#memory">{"Memory"}</a>
                        <a href="#run">{"Run"}</a>
                        <a href="#export">{"Export"}</a>
                    </nav>
                }
            </header>
            if let View::Demo(demo) = *view {
                { demo_board_bar(&state, &dispatch) }
                { demos::view(demo, DemoProps { board, budget: state.budget() }) }
            } else {
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
            }
            <footer>
                {"TinyML Playground: the tinyml-engine, bit-exact with TensorFlow Lite Micro's \
                  reference kernels, compiled to WebAssembly."}
            </footer>
        </div>
    }
}

/// What the page shows: the playground or one demo (the URL fragment: `#/sine`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Load, fit, graph, memory, run.
    Playground,
    /// A demo page.
    Demo(Demo),
}

/// The view the location's fragment names (`#/digits`); in-page anchors (`#memory`) and
/// anything unknown mean the playground.
fn current_view() -> View {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    hash.strip_prefix("#/")
        .and_then(Demo::from_slug)
        .map_or(View::Playground, View::Demo)
}

/// Calls `f` on every `event` of `target` until the returned guard is dropped.
fn gloo_events_listener(
    target: &web_sys::EventTarget,
    event: &'static str,
    f: impl Fn() + 'static,
) -> impl Drop {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    struct Guard {
        target: web_sys::EventTarget,
        event: &'static str,
        closure: Closure<dyn Fn()>,
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.target.remove_event_listener_with_callback(
                self.event,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
    let closure = Closure::<dyn Fn()>::new(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    Guard {
        target: target.clone(),
        event,
        closure,
    }
}

/// The demos' board choice: the same board and reserve as the playground's panel.
fn demo_board_bar(state: &State, dispatch: &Callback<Action>) -> Html {
    let board = state.board();
    let onchange = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            dispatch.emit(Action::SelectBoard(select.value()));
        })
    };
    html! {
        <div class="demo-board panel">
            <label>{"Board "}
                <select data-testid="demo-board" {onchange}>
                    { for crate::boards::BOARDS.iter().map(|b| html! {
                        <option value={b.id} selected={b.id == board.id}>
                            { format!("{} ({}, {} KB SRAM)", b.name, b.mcu, b.sram / 1024) }
                        </option>
                    }) }
                </select>
            </label>
            <span class="hint">
                { format!(" Every model on this page runs in a {} arena: the board's SRAM minus {} kept for stack and application.",
                    crate::format::bytes(state.budget()), crate::format::bytes(state.reserve)) }
            </span>
        </div>
    }
}

/// The absolute URL of a file served beside the page, resolved against the document's base
/// (gloo resolves a relative path against the page's own address, which is wrong when the page
/// is served as `/playground` without a trailing slash and `<base>` says `/playground/`).
pub fn asset_url(name: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten());
    base.and_then(|b| web_sys::Url::new_with_base(name, &b).ok())
        .map_or_else(|| name.to_string(), |u| u.href())
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
