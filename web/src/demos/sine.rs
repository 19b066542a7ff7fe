//! The sine demo: TinyML's "hello world". A slider for x; the int8 model's y computed on the
//! emulated MCU (x quantized with the input tensor's scale and zero point, y dequantized with
//! the output's) beside sin(x) and the float model's y; a plot of both models against sin(x)
//! over [0, 2π] with the MAE of each; the choice between the network that underfits (one hidden
//! layer of 16) and the one that does not (two of 16).
//!
//! Each model lives in a runner slot of a [`ModelPair`] (slots numbered by load generation, so
//! that answers from a pair replaced since are dropped).

use std::rc::Rc;

use yew::prelude::*;

use super::{load_pair, use_runner, DemoProps, DemoStats};
use crate::demo_core::pair::ModelPair;
use crate::demo_core::quant::{dequantize_i8, quantize_i8};
use crate::demo_core::sine::{grid, mae_vs_sin};
use crate::runner::{RunnerRequest, RunnerResponse, SlotInfo};

/// Points of the plot and of the MAE: the card's evaluation grid, so the figures are the card's.
const GRID_POINTS: usize = 1000;
/// The slider's resolution: x = step / 1000.
const STEPS_PER_UNIT: f32 = 1000.0;

/// The two networks of models/sine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Network {
    /// Two hidden layers of 16: fits.
    TwoLayers,
    /// One hidden layer of 16: underfits.
    OneLayer,
}

impl Network {
    fn files(self) -> (&'static str, &'static str) {
        match self {
            Network::TwoLayers => ("sine.tflite", "sine_float.tflite"),
            Network::OneLayer => ("sine_1x16.tflite", "sine_1x16_float.tflite"),
        }
    }
}

/// The int8 model's answer at one x, with the bytes that crossed the model's boundary.
#[derive(Clone, Debug, PartialEq)]
struct Int8Point {
    step: u64,
    q_in: i8,
    q_out: i8,
    y: f32,
}

/// Both models over the grid.
#[derive(Clone, Debug, PartialEq, Default)]
struct Curves {
    int8: Option<Vec<f32>>,
    float: Option<Vec<f32>>,
}

#[derive(Clone, Debug, PartialEq, Default)]
struct SineState {
    pair: ModelPair,
    point: Option<Int8Point>,
    float_y: Option<(u64, f32)>,
    /// Mean milliseconds of an invocation over the grid's batch, per model: one invocation of
    /// these models (~1 µs) is below the resolution of the browser's clock, a thousand are not.
    int8_ms: Option<f64>,
    float_ms: Option<f64>,
    curves: Curves,
}

enum SineAction {
    /// A new pair of models is being loaded under this generation.
    Loading(u32),
    Failed(String),
    Runner(RunnerResponse),
}

impl Reducible for SineState {
    type Action = SineAction;

    fn reduce(self: Rc<Self>, action: SineAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            SineAction::Loading(gen) => {
                s = SineState {
                    pair: ModelPair::new(gen),
                    ..SineState::default()
                };
            }
            SineAction::Failed(e) => s.pair.error = Some(e),
            SineAction::Runner(r) => match r {
                RunnerResponse::Loaded { slot, result } => {
                    if !s.pair.take_loaded(slot, result) {
                        return self;
                    }
                }
                RunnerResponse::Invoked { slot, tag, result } => {
                    let Some(is_int8) = s.pair.kind(slot) else {
                        return self;
                    };
                    let inv = match result {
                        Ok(inv) => inv,
                        Err(e) => {
                            s.pair.error = Some(e);
                            return Rc::new(s);
                        }
                    };
                    let raw = inv
                        .outputs
                        .first()
                        .map(|o| o.raw.clone())
                        .unwrap_or_default();
                    if is_int8 {
                        let Some(info) = &s.pair.int8 else {
                            return self;
                        };
                        let (Some(&q_out), Some(q_in)) = (raw.first(), quantized_x(info, tag))
                        else {
                            return self;
                        };
                        let (scale, zp) = quantization(info.outputs.first());
                        s.point = Some(Int8Point {
                            step: tag,
                            q_in,
                            q_out: q_out as i8,
                            y: dequantize_i8(q_out as i8, scale, zp),
                        });
                    } else if let Some(b) = raw.first_chunk::<4>() {
                        s.float_y = Some((tag, f32::from_le_bytes(*b)));
                    }
                }
                RunnerResponse::BatchDone { slot, result, .. } => {
                    let Some(is_int8) = s.pair.kind(slot) else {
                        return self;
                    };
                    match result {
                        Err(e) => s.pair.error = Some(e),
                        Ok(batch) if is_int8 => {
                            let Some(info) = &s.pair.int8 else {
                                return self;
                            };
                            let (scale, zp) = quantization(info.outputs.first());
                            s.int8_ms = Some(batch.mean_ms);
                            s.curves.int8 = Some(
                                batch
                                    .outputs
                                    .iter()
                                    .map(|&q| dequantize_i8(q as i8, scale, zp))
                                    .collect(),
                            );
                        }
                        Ok(batch) => {
                            s.float_ms = Some(batch.mean_ms);
                            s.curves.float = Some(
                                batch
                                    .outputs
                                    .chunks_exact(4)
                                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                                    .collect(),
                            );
                        }
                    }
                }
                RunnerResponse::Progress { .. } | RunnerResponse::WasReset { .. } => return self,
            },
        }
        Rc::new(s)
    }
}

/// Scale and zero point of a tensor (1 and 0 when it has none).
fn quantization(t: Option<&crate::protocol::TensorData>) -> (f32, i32) {
    (
        t.and_then(|t| t.scale).unwrap_or(1.0),
        t.and_then(|t| t.zero_point).unwrap_or(0),
    )
}

/// x of a slider step.
fn x_of(step: u64) -> f32 {
    step as f32 / STEPS_PER_UNIT
}

/// The int8 model's input byte for slider step `step`.
fn quantized_x(info: &SlotInfo, step: u64) -> Option<i8> {
    let t = info.inputs.first()?;
    let (scale, zp) = quantization(Some(t));
    Some(quantize_i8(x_of(step), scale, zp))
}

/// The sine demo page.
#[function_component]
pub fn SineDemo(props: &DemoProps) -> Html {
    let state = use_reducer(SineState::default);
    let network = use_state(|| Network::TwoLayers);
    let step = use_state(|| (std::f32::consts::FRAC_PI_2 * STEPS_PER_UNIT).round() as u64);
    let runner = {
        let dispatcher = state.dispatcher();
        use_runner(Callback::from(move |r| {
            dispatcher.dispatch(SineAction::Runner(r))
        }))
    };
    let generation = use_mut_ref(|| 0u32);

    // A network or a board chosen: load both models of the network in the board's arena.
    {
        let (runner, dispatcher, generation) =
            (runner.clone(), state.dispatcher(), generation.clone());
        use_effect_with((*network, props.budget), move |&(network, budget)| {
            let onfail = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |e| dispatcher.dispatch(SineAction::Failed(e)))
            };
            let gen = load_pair(
                &runner,
                &generation,
                "sine",
                network.files(),
                budget,
                onfail,
            );
            dispatcher.dispatch(SineAction::Loading(gen));
        });
    }

    // Both models loaded: evaluate the grid (one batch each).
    {
        let runner = runner.clone();
        let ready = (
            state.pair.gen,
            state.pair.int8.clone(),
            state.pair.float.is_some(),
        );
        use_effect_with(ready, move |(gen, int8, float_ready)| {
            if let (Some(info), true) = (int8, *float_ready) {
                let xs = grid(GRID_POINTS);
                let t = info.inputs.first();
                let (scale, zp) = quantization(t);
                let q: Vec<u8> = xs
                    .iter()
                    .map(|&x| quantize_i8(x, scale, zp) as u8)
                    .collect();
                let f: Vec<u8> = xs.iter().flat_map(|x| x.to_le_bytes()).collect();
                let count = GRID_POINTS as u32;
                runner.send(RunnerRequest::Batch {
                    slot: gen * 2,
                    tag: 0,
                    samples: q,
                    count,
                });
                runner.send(RunnerRequest::Batch {
                    slot: gen * 2 + 1,
                    tag: 0,
                    samples: f,
                    count,
                });
            }
        });
    }

    // The slider moved (or the models arrived): run both models at x.
    {
        let runner = runner.clone();
        let deps = (
            *step,
            state.pair.gen,
            state.pair.int8.clone(),
            state.pair.float.is_some(),
        );
        use_effect_with(deps, move |(step, gen, int8, float_ready)| {
            if let Some(q) = int8.as_ref().and_then(|i| quantized_x(i, *step)) {
                runner.send(RunnerRequest::Invoke {
                    slot: gen * 2,
                    tag: *step,
                    inputs: vec![vec![q as u8]],
                });
            }
            if *float_ready {
                runner.send(RunnerRequest::Invoke {
                    slot: gen * 2 + 1,
                    tag: *step,
                    inputs: vec![x_of(*step).to_le_bytes().to_vec()],
                });
            }
        });
    }

    let oninput = {
        let step = step.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(x) = input.value().parse::<f32>() {
                step.set((x * STEPS_PER_UNIT).round().max(0.0) as u64);
            }
        })
    };
    let onnetwork = {
        let network = network.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            network.set(if select.value() == "1x16" {
                Network::OneLayer
            } else {
                Network::TwoLayers
            });
        })
    };

    let x = x_of(*step);
    let max_x = (std::f32::consts::TAU * STEPS_PER_UNIT).floor() / STEPS_PER_UNIT;
    html! {
        <section class="panel demo sine-demo" data-testid="sine-demo">
            <h2>{"Sine: the “hello world” of TinyML"}</h2>
            <p class="hint">
                {"A tiny network learnt y = sin(x) from 600 noisy samples (models/sine/train.py). \
                  The int8 model runs on the emulated MCU: x is quantized to one byte with the \
                  input tensor's scale and zero point, the engine runs the int8 kernels, and the \
                  output byte is dequantized back to y."}
            </p>
            <div class="demo-controls">
                <label>{"Network "}
                    <select data-testid="sine-network" onchange={onnetwork}>
                        <option value="2x16" selected={*network == Network::TwoLayers}>{"two hidden layers of 16 (sine.tflite)"}</option>
                        <option value="1x16" selected={*network == Network::OneLayer}>{"one hidden layer of 16, underfits (sine_1x16.tflite)"}</option>
                    </select>
                </label>
                <label class="sine-slider">{"x "}
                    <input type="range" data-testid="sine-x" min="0" max={format!("{max_x}")} step="0.001"
                           value={format!("{x}")} {oninput} />
                    <output>{ format!("{x:.3}") }</output>
                </label>
            </div>
            if let Some(e) = &state.pair.error {
                <p class="error" data-testid="sine-error">{ e }</p>
            }
            { point_table(&state, x) }
            { plot(&state, x) }
            <p class="hint">{"Latency here: the mean over the plot's 1,000 invocations (one takes about a microsecond, below the browser clock's resolution)."}</p>
            <div class="demo-stats-row">
                <div><h3>{"int8 model"}</h3>
                    <DemoStats info={state.pair.int8.clone()} board={props.board} last_ms={state.int8_ms} id="sine-int8" /></div>
                <div><h3>{"float model"}</h3>
                    <DemoStats info={state.pair.float.clone()} board={props.board} last_ms={state.float_ms} id="sine-float" /></div>
            </div>
        </section>
    }
}

/// x, sin(x), both models' y, and the int8 model's bytes.
fn point_table(state: &SineState, x: f32) -> Html {
    let int8 = state.point.as_ref();
    let float_y = state.float_y.map(|(_, y)| y);
    let f6 = |v: Option<f32>| v.map_or_else(|| "…".to_string(), |v| format!("{v:.6}"));
    html! {
        <>
        <table class="sine-point" data-testid="sine-point"
               data-step={int8.map(|p| p.step.to_string())}
               data-q-in={int8.map(|p| p.q_in.to_string())}
               data-q-out={int8.map(|p| p.q_out.to_string())}>
            <tr><th>{"x"}</th><td>{ format!("{x:.3}") }</td></tr>
            <tr><th>{"sin(x)"}</th><td data-testid="sine-true">{ format!("{:.6}", (x as f64).sin()) }</td></tr>
            <tr><th>{"int8 model"}</th>
                <td data-testid="sine-y-int8">{ f6(int8.map(|p| p.y)) }</td>
                <td class="hint">{ int8.map(|p| format!("input byte {} → output byte {}", p.q_in, p.q_out)).unwrap_or_default() }</td></tr>
            <tr><th>{"float model"}</th><td data-testid="sine-y-float">{ f6(float_y) }</td></tr>
        </table>
        { quantization_steps(state, x) }
        </>
    }
}

/// The arithmetic around the int8 model, with this x's numbers: what a firmware does before and
/// after `invoke`.
fn quantization_steps(state: &SineState, x: f32) -> Html {
    let (Some(info), Some(p)) = (&state.pair.int8, &state.point) else {
        return html! {};
    };
    let (si, zi) = quantization(info.inputs.first());
    let (so, zo) = quantization(info.outputs.first());
    html! {
        <p class="hint quant-steps" data-testid="sine-steps">
            { format!("Before invoke: q = round(x / {si:.6}) + ({zi}) = round({x:.3} / {si:.6}) + ({zi}) = {}. ", p.q_in) }
            <br />
            { format!("After invoke: y = (q − ({zo})) × {so:.6} = ({} − ({zo})) × {so:.6} = {:.6}.", p.q_out, p.y) }
        </p>
    }
}

/// The plot: sin(x) and both models over [0, 2π], the slider's x marked, with each model's MAE.
fn plot(state: &SineState, x: f32) -> Html {
    const W: f64 = 640.0;
    const H: f64 = 300.0;
    const PAD: f64 = 36.0;
    let xs = grid(GRID_POINTS);
    let px = |x: f64| PAD + x / std::f64::consts::TAU * (W - 2.0 * PAD);
    let py = |y: f64| H / 2.0 - y / 1.3 * (H / 2.0 - 12.0);
    let line = |ys: &[f32]| -> String {
        xs.iter()
            .zip(ys)
            .map(|(&x, &y)| format!("{:.1},{:.1}", px(x as f64), py(y as f64)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let truth: Vec<f32> = xs.iter().map(|&x| (x as f64).sin() as f32).collect();
    let mae = |ys: &Option<Vec<f32>>| ys.as_ref().map(|ys| mae_vs_sin(&xs, ys));
    let (mae_int8, mae_float) = (mae(&state.curves.int8), mae(&state.curves.float));
    let mae_text =
        |m: Option<f64>| m.map_or_else(|| "computing…".to_string(), |m| format!("{m:.6}"));
    html! {
        <figure class="sine-plot">
            <svg viewBox={format!("0 0 {W} {H}")} data-testid="sine-plot">
                <line class="axis" x1={px(0.0).to_string()} x2={px(std::f64::consts::TAU).to_string()} y1={py(0.0).to_string()} y2={py(0.0).to_string()} />
                <line class="axis" x1={px(0.0).to_string()} x2={px(0.0).to_string()} y1={py(1.3).to_string()} y2={py(-1.3).to_string()} />
                { for [1.0f64, -1.0].iter().map(|&v| html! {
                    <text class="tick" x={(PAD - 6.0).to_string()} y={(py(v) + 4.0).to_string()} text-anchor="end">{ format!("{v}") }</text>
                }) }
                { for [("π", std::f64::consts::PI), ("2π", std::f64::consts::TAU)].iter().map(|&(l, v)| html! {
                    <text class="tick" x={px(v).to_string()} y={(py(0.0) + 16.0).to_string()} text-anchor="middle">{ l }</text>
                }) }
                <polyline class="curve-sin" points={line(&truth)} />
                if let Some(ys) = &state.curves.float {
                    <polyline class="curve-float" data-testid="sine-curve-float" points={line(ys)} />
                }
                if let Some(ys) = &state.curves.int8 {
                    <polyline class="curve-int8" data-testid="sine-curve-int8" points={line(ys)} />
                }
                <line class="cursor" x1={px(x as f64).to_string()} x2={px(x as f64).to_string()} y1={py(1.3).to_string()} y2={py(-1.3).to_string()} />
            </svg>
            <figcaption>
                <span class="key key-sin">{"sin(x)"}</span>
                <span class="key key-float">{"float model, MAE "}
                    <b data-testid="sine-mae-float" data-mae={mae_float.map(|m| format!("{m:.9}"))}>{ mae_text(mae_float) }</b></span>
                <span class="key key-int8">{"int8 model on the MCU, MAE "}
                    <b data-testid="sine-mae-int8" data-mae={mae_int8.map(|m| format!("{m:.9}"))}>{ mae_text(mae_int8) }</b></span>
                <span class="hint">{ format!(" (mean |y − sin x| over {GRID_POINTS} evenly spaced x in [0, 2π], as the model card defines it)") }</span>
            </figcaption>
        </figure>
    }
}
