//! The magic-wand demo: draw a gesture (W, O or L) with the mouse or a finger — or, on a phone,
//! wave the phone with the button held (its gyroscope integrated into a stroke, as TFLM's newer
//! magic_wand example integrates its IMU) — and see the 32×32 raster the model reads (the stroke
//! normalised and rasterised exactly as models/magic_wand/rasterize.py does) and the class.
//!
//! Slots carry a load generation (`demo_core::pair::ModelPair`): `gen * 2` int8, `gen * 2 + 1` float.

use std::rc::Rc;

use yew::prelude::*;

use super::motion::MotionButton;
use super::widgets::{use_pen, PenEvent, RasterView, ScoreBars};
use super::{fetch_bytes, load_pair, use_runner, DemoProps, DemoStats};
use crate::demo_core::pair::{ModelPair, PairScores};
use crate::demo_core::quant::argmax;
use crate::demo_core::stroke::{normalise, rasterize, CHANNELS, HEIGHT, WIDTH};
use crate::runner::{RunnerRequest, RunnerResponse};

/// The drawing surface, in its own units.
const SURFACE: f64 = 320.0;
/// The card's labels, in the model's order (models/magic_wand/card.json `labels`).
const CARD: &str = "models/magic_wand/card.json";

/// The stroke being drawn, a reducer so that every pointer event lands.
#[derive(Clone, Debug, PartialEq, Default)]
struct Gesture {
    points: Vec<(f64, f64)>,
    drawing: bool,
    /// Bumped when a stroke is complete: the moment to classify.
    finished: u32,
}

enum Pen {
    Down(f64, f64),
    Move(f64, f64),
    Up,
    /// A whole stroke at once (from the motion sensor).
    Stroke(Vec<(f64, f64)>),
}

impl Reducible for Gesture {
    type Action = Pen;

    fn reduce(self: Rc<Self>, action: Pen) -> Rc<Self> {
        let mut g = (*self).clone();
        match action {
            // A gesture is one stroke: a new one replaces the last.
            Pen::Down(x, y) => {
                g.points = vec![(x, y)];
                g.drawing = true;
            }
            Pen::Move(x, y) if g.drawing => g.points.push((x, y)),
            Pen::Up if g.drawing => {
                g.drawing = false;
                g.finished += 1;
            }
            Pen::Stroke(points) => {
                g.points = points;
                g.drawing = false;
                g.finished += 1;
            }
            Pen::Move(..) | Pen::Up => return self,
        }
        Rc::new(g)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
struct WandState {
    pair: ModelPair,
    labels: Vec<String>,
    /// The latest scores; `scores.of` is the stroke (`Gesture::finished`) they are of.
    scores: PairScores,
}

enum WandAction {
    Loading(u32),
    Labels(Vec<String>),
    Failed(String),
    ClearScores,
    Runner(RunnerResponse),
}

impl Reducible for WandState {
    type Action = WandAction;

    fn reduce(self: Rc<Self>, action: WandAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            WandAction::Loading(gen) => {
                s = WandState {
                    pair: ModelPair::new(gen),
                    labels: s.labels,
                    ..WandState::default()
                }
            }
            WandAction::Labels(labels) => s.labels = labels,
            WandAction::Failed(e) => s.pair.error = Some(e),
            WandAction::ClearScores => {
                s.scores.clear();
            }
            WandAction::Runner(r) => match r {
                RunnerResponse::Loaded { slot, result } => {
                    if !s.pair.take_loaded(slot, result) {
                        return self;
                    }
                }
                RunnerResponse::Invoked { slot, result, tag } => {
                    let Some(is_int8) = s.pair.kind(slot) else {
                        return self;
                    };
                    match result {
                        Err(e) => s.pair.error = Some(e),
                        Ok(inv) => s.scores.take_invoked(is_int8, tag, &inv),
                    }
                }
                _ => return self,
            },
        }
        Rc::new(s)
    }
}

/// The labels of the model card.
async fn card_labels() -> Result<Vec<String>, String> {
    let bytes = fetch_bytes(CARD).await?;
    let card: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{CARD}: {e}"))?;
    card["labels"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .ok_or_else(|| format!("{CARD}: no labels"))
}

/// The magic-wand demo page.
#[function_component]
pub fn WandDemo(props: &DemoProps) -> Html {
    let state = use_reducer(WandState::default);
    let gesture = use_reducer(Gesture::default);
    // The raster the model reads, and which stroke (`Gesture::finished`) it is of.
    let raster = use_state(|| (0u32, rasterize(&[])));
    let runner = {
        let dispatcher = state.dispatcher();
        use_runner(Callback::from(move |r| {
            dispatcher.dispatch(WandAction::Runner(r))
        }))
    };
    let generation = use_mut_ref(|| 0u32);

    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match card_labels().await {
                    Ok(l) => dispatcher.dispatch(WandAction::Labels(l)),
                    Err(e) => dispatcher.dispatch(WandAction::Failed(e)),
                }
            });
        });
    }

    // The board chosen: load both models in its arena.
    {
        let (runner, dispatcher, generation) =
            (runner.clone(), state.dispatcher(), generation.clone());
        use_effect_with(props.budget, move |&budget| {
            let onfail = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |e| dispatcher.dispatch(WandAction::Failed(e)))
            };
            let gen = load_pair(
                &runner,
                &generation,
                "magic_wand",
                ("magic_wand.tflite", "magic_wand_float.tflite"),
                budget,
                onfail,
            );
            dispatcher.dispatch(WandAction::Loading(gen));
        });
    }

    // A stroke complete (or the models arrived): rasterise it and classify it.
    {
        let (runner, dispatcher, raster) = (runner.clone(), state.dispatcher(), raster.clone());
        let ready = state.pair.ready();
        let points = gesture.points.clone();
        use_effect_with(
            (gesture.finished, state.pair.gen, ready),
            move |&(finished, gen, ready)| {
                let r = rasterize(&normalise(&points));
                raster.set((finished, r.clone()));
                let tag = finished as u64;
                if points.len() < 2 {
                    dispatcher.dispatch(WandAction::ClearScores);
                } else if ready {
                    let int8: Vec<u8> = r.iter().map(|&v| v as u8).collect();
                    // The float model: raster + 128 (bytes 0..255) as float32.
                    let float: Vec<u8> = r
                        .iter()
                        .flat_map(|&v| (v as f32 + 128.0).to_le_bytes())
                        .collect();
                    runner.send(RunnerRequest::Invoke {
                        slot: gen * 2,
                        tag,
                        inputs: vec![int8],
                    });
                    runner.send(RunnerRequest::Invoke {
                        slot: gen * 2 + 1,
                        tag,
                        inputs: vec![float],
                    });
                }
            },
        );
    }

    let pen = {
        let gesture = gesture.dispatcher();
        use_pen(
            SURFACE,
            Callback::from(move |e| {
                gesture.dispatch(match e {
                    PenEvent::Down(x, y) => Pen::Down(x, y),
                    PenEvent::Move(x, y) => Pen::Move(x, y),
                    PenEvent::Up => Pen::Up,
                })
            }),
        )
    };
    let onmotionstroke = {
        let gesture = gesture.dispatcher();
        Callback::from(move |points: Vec<(f64, f64)>| gesture.dispatch(Pen::Stroke(points)))
    };

    let labels = state.labels.clone();
    let predicted = state.scores.int8.as_deref().and_then(argmax);
    let name = |i: Option<usize>| {
        i.and_then(|i| labels.get(i).cloned())
            .unwrap_or_else(|| "–".into())
    };
    // The stroke as drawn, scaled into the surface when it came from the motion sensor.
    let shown = fit_into_surface(&gesture.points);
    let rgb: Vec<u8> = raster.1.iter().map(|&v| (v as i16 + 128) as u8).collect();
    html! {
        <section class="panel demo wand-demo" data-testid="wand-demo">
            <h2>{"Magic wand: gestures W, O, L"}</h2>
            <p class="hint">
                {"Draw a W, an O or an L in one stroke. TFLM's magic_wand example turns the \
                  wand's motion into a stroke like this one, keeps at most 160 points, centres \
                  and scales it, and draws it into a 32 × 32 image whose colour tells time (red → \
                  green → blue); a small CNN reads the image. The rasteriser here is the \
                  example's integer code, ported bit for bit."}
            </p>
            if let Some(e) = &state.pair.error {
                <p class="error" data-testid="wand-error">{ e }</p>
            }
            <div class="wand-row">
                <div class="draw-box">
                    <svg ref={pen.surface.clone()} class="draw-surface" data-testid="wand-canvas"
                         viewBox={format!("0 0 {SURFACE} {SURFACE}")}
                         onpointerdown={pen.down.clone()} onpointermove={pen.moved.clone()}
                         onpointerup={pen.up.clone()} onpointercancel={pen.up.clone()}>
                        <rect x="0" y="0" width={SURFACE.to_string()} height={SURFACE.to_string()} class="draw-bg" />
                        <polyline class="wand-ink"
                            points={shown.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")} />
                    </svg>
                    <MotionButton onstroke={onmotionstroke} />
                </div>
                <div class="model-sees" data-testid="wand-sees" data-stroke={raster.0.to_string()}>
                    <h3>{"What the model sees (32 × 32 × 3)"}</h3>
                    <RasterView width={WIDTH} height={HEIGHT} pixels={rgb} channels={CHANNELS} id="wand-raster" />
                    <p class="hint">{ format!("{} points drawn, {} kept", gesture.points.len(), gesture.points.len().min(crate::demo_core::stroke::MAX_POINTS)) }</p>
                </div>
                <div class="wand-scores">
                    <h3>{"int8 model: "}<span data-testid="wand-class" data-stroke={state.scores.of.map(|t| t.to_string())}>{ name(predicted) }</span></h3>
                    if let Some(scores) = &state.scores.int8 {
                        <ScoreBars labels={labels.clone()} scores={scores.clone()} id="wand-scores" />
                    } else {
                        <p class="hint">{"Draw a gesture."}</p>
                    }
                    <p data-testid="wand-float-class">{ match &state.scores.float {
                        Some(s) => { let i = argmax(s); format!("float model: {} ({:.1}%)", name(i), i.and_then(|i| s.get(i)).copied().unwrap_or(0.0) * 100.0) }
                        None => String::new(),
                    } }</p>
                </div>
            </div>
            <div class="demo-stats-row">
                <div><h3>{"int8 model"}</h3>
                    <DemoStats info={state.pair.int8.clone()} board={props.board} last_ms={state.scores.int8_ms} id="wand-int8" /></div>
                <div><h3>{"float model (for comparison: four times the weights, float kernels)"}</h3>
                    <DemoStats info={state.pair.float.clone()} board={props.board} last_ms={state.scores.float_ms} id="wand-float" /></div>
            </div>
        </section>
    }
}

/// Pointer strokes as they are; any other stroke (the motion sensor's, in degrees) scaled and
/// centred into the surface for display. Only the display: the model gets the stroke itself.
fn fit_into_surface(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let inside = points
        .iter()
        .all(|&(x, y)| (0.0..=SURFACE).contains(&x) && (0.0..=SURFACE).contains(&y));
    if inside || points.is_empty() {
        return points.to_vec();
    }
    let (mut lo, mut hi) = (points[0], points[0]);
    for &(x, y) in points {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    let side = (hi.0 - lo.0).max(hi.1 - lo.1).max(1e-9);
    let k = SURFACE * 0.8 / side;
    let c = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
    points
        .iter()
        .map(|&(x, y)| (SURFACE / 2.0 + (x - c.0) * k, SURFACE / 2.0 + (y - c.1) * k))
        .collect()
}
