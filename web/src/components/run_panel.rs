//! Running the model: the input, the Run button, and the profile (per-op table, chart, total
//! latency measured here and estimated for the board), then the outputs.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_file::callbacks::FileReader;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::op_chart::OpChart;
use crate::components::output_view::OutputView;
use crate::cost;
use crate::format;
use crate::state::{Action, InputKind, State};

/// Props of [`RunPanel`].
#[derive(Properties, PartialEq)]
pub struct RunPanelProps {
    /// Page state.
    pub state: UseReducerHandle<State>,
    /// Changes.
    pub ondispatch: Callback<Action>,
    /// Run the model.
    pub onrun: Callback<()>,
}

/// The run panel.
#[function_component]
pub fn RunPanel(props: &RunPanelProps) -> Html {
    let state = &props.state;
    let reader: Rc<RefCell<Option<FileReader>>> = use_mut_ref(|| None);
    let Some(model) = &state.model else {
        return html! {};
    };
    let board = state.board();
    let dispatch = props.ondispatch.clone();

    let kind_radio = |kind: InputKind, id: &'static str, label: &'static str| {
        let dispatch = dispatch.clone();
        let onchange = Callback::from(move |_| dispatch.emit(Action::SetInputKind(kind)));
        html! {
            <label class="radio">
                <input type="radio" name="input-kind" {id} checked={state.input_kind == kind} {onchange} />
                { label }
            </label>
        }
    };
    let onseed = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(seed) = input.value().parse() {
                dispatch.emit(Action::SetSeed(seed));
            }
        })
    };
    let onfile = {
        let (dispatch, reader) = (dispatch.clone(), reader.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let file = gloo_file::File::from(file);
            let name = file.name();
            let (dispatch, done) = (dispatch.clone(), reader.clone());
            let handle = gloo_file::callbacks::read_as_bytes(&file, move |result| {
                if let Ok(bytes) = result {
                    dispatch.emit(Action::SetInputFile(name, bytes));
                }
                done.borrow_mut().take();
            });
            *reader.borrow_mut() = Some(handle);
        })
    };
    let input_bytes: usize = model
        .subgraphs
        .first()
        .map(|sg| {
            sg.inputs
                .iter()
                .filter_map(|&t| sg.tensors.get(t as usize))
                .map(|t| t.bytes)
                .sum()
        })
        .unwrap_or(0);
    let onclick = {
        let onrun = props.onrun.clone();
        Callback::from(move |_| onrun.emit(()))
    };

    let estimates = cost::estimate_ms(model, board.core, board.clock_mhz);
    let estimate_total: f64 = estimates.iter().flatten().sum();

    let results = match &state.run {
        None => html! {},
        Some(Err(e)) => html! { <p class="error" data-testid="run-error">{ e }</p> },
        Some(Ok(r)) => {
            let total_op_ms: f64 = r.ops.iter().map(|o| o.ms).sum::<f64>().max(1e-12);
            let total_macs: u64 = r.ops.iter().map(|o| o.macs).sum();
            let rows = r.ops.iter().map(|o| {
                let est = estimates
                    .get(o.subgraph as usize)
                    .and_then(|s| s.get(o.index as usize))
                    .copied()
                    .unwrap_or(0.0);
                html! {
                    <tr>
                        <td>{ if o.subgraph == 0 { o.index.to_string() } else { format!("{}:{}", o.subgraph, o.index) } }</td>
                        <td><code class="op-name">{ &o.op }</code></td>
                        <td class="num">{ format::ms(o.ms) }</td>
                        <td class="num">{ format::count(o.macs) }</td>
                        <td class="num">{ format!("{:.1}%", o.ms * 100.0 / total_op_ms) }</td>
                        <td class="num">{ format::ms(est) }</td>
                    </tr>
                }
            });
            html! {
                <div class="run-results" data-testid="run-results">
                    <div class="stats">
                        <div class="stat">
                            <div class="label">{"latency here"}</div>
                            <div class="value" data-testid="latency" data-ms={format!("{:.4}", r.total_ms)}>{ format::ms(r.total_ms) }</div>
                            <div class="muted">{ format!("mean of {} runs, WebAssembly in this browser", r.iterations) }</div>
                        </div>
                        <div class="stat">
                            <div class="label">{ format!("estimated on the {}", board.name) }</div>
                            <div class="value" data-testid="estimated-latency">{ format::ms(estimate_total) }</div>
                            <div class="muted">{ format!("{} at {} MHz — an estimate", board.core.name(), board.clock_mhz) }</div>
                        </div>
                        <div class="stat">
                            <div class="label">{"MACs"}</div>
                            <div class="value">{ format::count(total_macs) }</div>
                        </div>
                    </div>
                    <OpChart report={r.clone()} />
                    <table class="ops" data-testid="op-table">
                        <thead><tr>
                            <th>{"#"}</th><th>{"op"}</th><th>{"time"}</th><th>{"MACs"}</th>
                            <th>{"share of time"}</th><th>{ format!("est. on {}", board.mcu) }</th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                    <p class="note">
                        {"How the board estimate is made: cycles per multiply-accumulate for each kernel kind \
                          and core (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the rest per output \
                          element, plus a fixed cost per op), counted from the reference inner loop's \
                          instructions and the core's published instruction timings (Arm Cortex-M4/M7/M0+ \
                          technical reference manuals, Espressif's ESP32-S3 TRM, Microchip's AVR \
                          instruction set manual). Caches, flash wait states and SIMD are not modelled: \
                          treat it as within about a factor of two. Costs per MAC on this core: "}
                        { { let c = board.core.costs();
                            format!("conv {}, depthwise {}, dense {} cycles; other ops {} cycles per output element; {} cycles per op.",
                                c.conv, c.depthwise, c.dense, c.element, c.per_op) } }
                    </p>
                    <h3>{"Outputs"}</h3>
                    { for r.outputs.iter().enumerate().map(|(i, t)| html! { <OutputView index={i} tensor={t.clone()} /> }) }
                </div>
            }
        }
    };

    html! {
        <div class="run-panel">
            <div class="run-controls">
                <span>{"Input: "}</span>
                { kind_radio(InputKind::Zero, "input-zero", "zero") }
                { kind_radio(InputKind::Random, "input-random", "random, seed ") }
                <input type="number" id="seed" class="seed" value={state.seed.to_string()} onchange={onseed} />
                { kind_radio(InputKind::File, "input-upload", "file: ") }
                <input type="file" id="input-file" data-testid="input-file" onchange={onfile} />
                if let Some((name, bytes)) = &state.input_file {
                    <span class="muted" data-testid="input-file-name">
                        { format!("{name} ({} B)", format::thousands(bytes.len())) }
                    </span>
                }
                <span class="muted">{ format!(" raw little-endian bytes, {} B for all inputs, as `tinyml run --input` reads them",
                    format::thousands(input_bytes)) }</span>
            </div>
            <p>
                <button class="primary" id="run" data-testid="run" {onclick} disabled={state.running}>
                    { if state.running { "Running…" } else { "Run" } }
                </button>
                <span class="muted">{ format!(" in an arena of exactly {} (the {} budget)",
                    format::bytes(state.budget()), board.name) }</span>
            </p>
            { results }
        </div>
    }
}
