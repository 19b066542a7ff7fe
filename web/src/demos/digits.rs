//! The digits demo: draw a digit with the mouse or a finger, see the 28×28 image the model reads
//! (the drawing preprocessed as models/digits/train.py preprocessed its own drawings), the class
//! scores of the int8 model on the emulated MCU and the float model's verdict beside it; then
//! evaluate both models on a test set the user gives (MNIST IDX files) in the worker, with
//! progress, accuracy and a confusion matrix each.
//!
//! Slots carry a load generation as in the sine demo (`demo_core::pair::ModelPair`): `gen * 2` int8,
//! `gen * 2 + 1` float.

use std::rc::Rc;

use gloo_file::callbacks::FileReader;
use yew::prelude::*;

use super::widgets::{use_pen, ConfusionTable, PenEvent, Progress, RasterView, ScoreBars};
use super::{load_pair, use_runner, DemoProps, DemoStats};
use crate::demo_core::digit::{preprocess, render, Stroke, SIDE};
use crate::demo_core::mnist::{TestSet, PIXELS};
use crate::demo_core::pair::{ModelPair, PairScores};
use crate::demo_core::quant::{argmax, Confusion};
use crate::runner::{RunnerRequest, RunnerResponse};

/// The drawing surface, in its own pixels (CSS may scale it; pointer positions are mapped back).
const CANVAS: usize = 280;
/// The brush: models/digits/train.py drew its mouse-like digits 18 px wide on 280 × 280.
const BRUSH: f32 = 18.0;
/// The models' labels.
const CLASSES: usize = 10;
/// models/digits/train.py held out every fifth MNIST test digit (`index % 5 == 0`).
const HELD_OUT_EVERY: usize = 5;

fn labels() -> Vec<String> {
    (0..CLASSES).map(|d| d.to_string()).collect()
}

/// The strokes drawn so far. A reducer, so that pointer events arriving between two renders
/// all land (a `use_state` handle would hold the strokes of the last render).
#[derive(Clone, Debug, PartialEq, Default)]
struct Drawing {
    strokes: Vec<Stroke>,
    drawing: bool,
    /// Bumped when a stroke ends or the drawing is cleared: the moment to classify.
    finished: u32,
}

enum Pen {
    Down(f32, f32),
    Move(f32, f32),
    Up,
    Clear,
}

impl Reducible for Drawing {
    type Action = Pen;

    fn reduce(self: Rc<Self>, action: Pen) -> Rc<Self> {
        let mut d = (*self).clone();
        match action {
            Pen::Down(x, y) => {
                d.strokes.push(vec![(x, y)]);
                d.drawing = true;
            }
            Pen::Move(x, y) if d.drawing => match d.strokes.last_mut() {
                Some(s) => s.push((x, y)),
                None => return self,
            },
            Pen::Move(..) => return self,
            Pen::Up if d.drawing => {
                d.drawing = false;
                d.finished += 1;
            }
            Pen::Up => return self,
            Pen::Clear => {
                d = Drawing {
                    finished: d.finished + 1,
                    ..Drawing::default()
                }
            }
        }
        Rc::new(d)
    }
}

/// One model's evaluation on the user's test set.
#[derive(Clone, Debug, PartialEq, Default)]
struct Evaluation {
    done: u32,
    result: Option<Confusion>,
    mean_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Default)]
struct DigitsState {
    pair: ModelPair,
    /// Scores of the drawing (the image they are of is `image`), per model; `scores.of` is the
    /// drawing (`Drawing::finished`) they are of.
    scores: PairScores,
    /// The evaluation under way or done: its tag, its labels, each model's progress.
    eval_tag: u64,
    eval_labels: Rc<Vec<u8>>,
    eval_int8: Evaluation,
    eval_float: Evaluation,
    eval_error: Option<String>,
}

enum DigitsAction {
    Loading(u32),
    Failed(String),
    /// A test set is being evaluated under this tag.
    Evaluating(u64, Rc<Vec<u8>>),
    EvalFailed(String),
    ClearScores,
    Runner(RunnerResponse),
}

impl Reducible for DigitsState {
    type Action = DigitsAction;

    fn reduce(self: Rc<Self>, action: DigitsAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            DigitsAction::Loading(gen) => {
                s = DigitsState {
                    pair: ModelPair::new(gen),
                    eval_tag: s.eval_tag,
                    ..DigitsState::default()
                }
            }
            DigitsAction::Failed(e) => s.pair.error = Some(e),
            DigitsAction::Evaluating(tag, labels) => {
                s.eval_tag = tag;
                s.eval_labels = labels;
                s.eval_int8 = Evaluation::default();
                s.eval_float = Evaluation::default();
                s.eval_error = None;
            }
            DigitsAction::EvalFailed(e) => s.eval_error = Some(e),
            DigitsAction::ClearScores => {
                s.scores.clear();
            }
            DigitsAction::Runner(r) => match r {
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
                RunnerResponse::Progress {
                    slot, tag, done, ..
                } => {
                    let Some(is_int8) = s.pair.kind(slot).filter(|_| tag == s.eval_tag) else {
                        return self;
                    };
                    if is_int8 {
                        s.eval_int8.done = done;
                    } else {
                        s.eval_float.done = done;
                    }
                }
                RunnerResponse::BatchDone { slot, tag, result } => {
                    let Some(is_int8) = s.pair.kind(slot).filter(|_| tag == s.eval_tag) else {
                        return self;
                    };
                    let info = if is_int8 { &s.pair.int8 } else { &s.pair.float };
                    let scored = result.and_then(|batch| {
                        let out = info
                            .as_ref()
                            .and_then(|i| i.outputs.first().map(|o| (o, i.output_bytes())))
                            .ok_or("the model has no output")?;
                        Confusion::of_batch(out.0, &batch.outputs, out.1, &s.eval_labels, CLASSES)
                            .map(|c| (c, batch.mean_ms))
                    });
                    match scored {
                        Err(e) => s.eval_error = Some(e),
                        Ok((confusion, mean_ms)) => {
                            let eval = if is_int8 {
                                &mut s.eval_int8
                            } else {
                                &mut s.eval_float
                            };
                            eval.done = confusion.total();
                            eval.result = Some(confusion);
                            eval.mean_ms = Some(mean_ms);
                        }
                    }
                }
                RunnerResponse::WasReset { .. } => return self,
            },
        }
        Rc::new(s)
    }
}

/// The int8 model's input for 0..255 pixels: q = pixel - 128 (scale 1/255, zero point -128).
fn int8_input(pixels: &[u8]) -> Vec<u8> {
    pixels.iter().map(|&p| p ^ 0x80).collect()
}

/// The float model's input: pixel / 255 as little-endian f32 (numpy's float32 division).
fn float_input(pixels: &[u8]) -> Vec<u8> {
    pixels
        .iter()
        .flat_map(|&p| (p as f32 / 255.0).to_le_bytes())
        .collect()
}

/// The digits demo page.
#[function_component]
pub fn DigitsDemo(props: &DemoProps) -> Html {
    let state = use_reducer(DigitsState::default);
    let drawing = use_reducer(Drawing::default);
    // The image the model reads, and which drawing (`Drawing::finished`) it is of.
    let image = use_state(|| (0u32, vec![0u8; SIDE * SIDE]));
    let runner = {
        let dispatcher = state.dispatcher();
        use_runner(Callback::from(move |r| {
            dispatcher.dispatch(DigitsAction::Runner(r))
        }))
    };
    let generation = use_mut_ref(|| 0u32);
    let eval_tags = use_mut_ref(|| 0u64);
    let files = use_state(|| (None::<web_sys::File>, None::<web_sys::File>));
    let held_out = use_state(|| false);
    let readers = use_mut_ref(Vec::<FileReader>::new);

    // The board chosen: load both models in its arena.
    {
        let (runner, dispatcher, generation) =
            (runner.clone(), state.dispatcher(), generation.clone());
        use_effect_with(props.budget, move |&budget| {
            let onfail = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |e| dispatcher.dispatch(DigitsAction::Failed(e)))
            };
            let gen = load_pair(
                &runner,
                &generation,
                "digits",
                ("digits.tflite", "digits_float.tflite"),
                budget,
                onfail,
            );
            dispatcher.dispatch(DigitsAction::Loading(gen));
        });
    }

    // A stroke finished (or the models arrived): preprocess the drawing and classify it.
    {
        let (runner, dispatcher, image) = (runner.clone(), state.dispatcher(), image.clone());
        let ready = state.pair.ready();
        let deps = (drawing.finished, state.pair.gen, ready);
        let strokes = drawing.strokes.clone();
        use_effect_with(deps, move |&(finished, gen, ready)| {
            let pixels = preprocess(&render(&strokes, CANVAS, CANVAS, BRUSH), CANVAS, CANVAS);
            image.set((finished, pixels.clone()));
            let tag = finished as u64;
            if strokes.is_empty() {
                dispatcher.dispatch(DigitsAction::ClearScores);
            } else if ready {
                runner.send(RunnerRequest::Invoke {
                    slot: gen * 2,
                    tag,
                    inputs: vec![int8_input(&pixels)],
                });
                runner.send(RunnerRequest::Invoke {
                    slot: gen * 2 + 1,
                    tag,
                    inputs: vec![float_input(&pixels)],
                });
            }
        });
    }

    // Pointer (mouse, pen, touch) to the surface's own 280 × 280 pixels.
    let pen = {
        let drawing = drawing.dispatcher();
        use_pen(
            CANVAS as f64,
            Callback::from(move |e| {
                drawing.dispatch(match e {
                    PenEvent::Down(x, y) => Pen::Down(x as f32, y as f32),
                    PenEvent::Move(x, y) => Pen::Move(x as f32, y as f32),
                    PenEvent::Up => Pen::Up,
                })
            }),
        )
    };
    let onclear = {
        let drawing = drawing.dispatcher();
        Callback::from(move |_: MouseEvent| drawing.dispatch(Pen::Clear))
    };

    let onfile = |images: bool| {
        let files = files.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let file = input.files().and_then(|l| l.get(0));
            let (mut i, mut l) = (*files).clone();
            if images {
                i = file;
            } else {
                l = file;
            }
            files.set((i, l));
        })
    };
    let onevaluate = {
        let (runner, dispatcher, files, readers, eval_tags) = (
            runner.clone(),
            state.dispatcher(),
            files.clone(),
            readers.clone(),
            eval_tags.clone(),
        );
        let gen = state.pair.gen;
        let held_out = *held_out;
        Callback::from(move |_: MouseEvent| {
            let (Some(images), Some(labels)) = (*files).clone() else {
                dispatcher.dispatch(DigitsAction::EvalFailed(
                    "choose both files: the images (…idx3-ubyte, gzip'd or not) and the labels (…idx1-ubyte)".into(),
                ));
                return;
            };
            let tag = {
                let mut t = eval_tags.borrow_mut();
                *t += 1;
                *t
            };
            // A new evaluation supersedes any reading still under way (dropping cancels it).
            readers.borrow_mut().clear();
            let (runner, dispatcher, readers2) =
                (runner.clone(), dispatcher.clone(), readers.clone());
            // Read the images, then the labels, then send both batches.
            let labels = gloo_file::File::from(labels);
            let reader =
                gloo_file::callbacks::read_as_bytes(&gloo_file::File::from(images), move |r| {
                    let images = match r {
                        Ok(b) => b,
                        Err(e) => {
                            dispatcher
                                .dispatch(DigitsAction::EvalFailed(format!("images file: {e}")));
                            return;
                        }
                    };
                    let (runner, dispatcher) = (runner.clone(), dispatcher.clone());
                    let reader = gloo_file::callbacks::read_as_bytes(&labels, move |r| {
                        let set = r
                            .map_err(|e| format!("labels file: {e}"))
                            .and_then(|labels| TestSet::from_files(&images, &labels));
                        match set {
                            Err(e) => dispatcher.dispatch(DigitsAction::EvalFailed(e)),
                            Ok(set) if held_out => start_evaluation(
                                &runner,
                                &dispatcher,
                                gen,
                                tag,
                                set.every(HELD_OUT_EVERY),
                            ),
                            Ok(set) => start_evaluation(&runner, &dispatcher, gen, tag, set),
                        }
                    });
                    readers2.borrow_mut().push(reader);
                });
            readers.borrow_mut().push(reader);
        })
    };

    let predicted = state.scores.int8.as_deref().and_then(argmax);
    let float_predicted = state.scores.float.as_deref().and_then(argmax);
    html! {
        <section class="panel demo digits-demo" data-testid="digits-demo">
            <h2>{"Digits: a CNN reads your handwriting"}</h2>
            <p class="hint">
                {"Draw a digit (0-9) with the mouse or a finger. The drawing is cropped to its ink, \
                  scaled so its longer side is 20 px and centred by its centre of mass in 28 × 28, \
                  as MNIST's digits were made and as models/digits/train.py checked its drawings. \
                  The int8 model runs on the emulated MCU; the float model is shown beside it."}
            </p>
            if let Some(e) = &state.pair.error {
                <p class="error" data-testid="digits-error">{ e }</p>
            }
            <div class="digits-row">
                <div class="draw-box">
                    <svg ref={pen.surface.clone()} class="draw-surface" data-testid="digits-canvas"
                         viewBox={format!("0 0 {CANVAS} {CANVAS}")}
                         onpointerdown={pen.down.clone()} onpointermove={pen.moved.clone()}
                         onpointerup={pen.up.clone()} onpointercancel={pen.up.clone()}>
                        <rect x="0" y="0" width={CANVAS.to_string()} height={CANVAS.to_string()} class="draw-bg" />
                        { for drawing.strokes.iter().map(|s| html! {
                            <polyline class="ink" stroke-width={BRUSH.to_string()}
                                points={s.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")} />
                        }) }
                        { for drawing.strokes.iter().filter(|s| s.len() == 1).map(|s| html! {
                            <circle class="ink-dot" cx={s[0].0.to_string()} cy={s[0].1.to_string()} r={(BRUSH / 2.0).to_string()} />
                        }) }
                    </svg>
                    <button data-testid="digits-clear" onclick={onclear}>{"Clear"}</button>
                </div>
                <div class="model-sees" data-testid="digits-sees" data-drawing={image.0.to_string()}>
                    <h3>{"What the model sees (28 × 28)"}</h3>
                    <RasterView width={SIDE} height={SIDE} pixels={image.1.clone()} channels={1} id="digits-image" />
                </div>
                <div class="digits-scores">
                    <h3>{"int8 model: "}
                        <span data-testid="digits-class" data-drawing={state.scores.of.map(|t| t.to_string())}>{ predicted.map_or_else(|| "–".to_string(), |d| d.to_string()) }</span></h3>
                    if let Some(scores) = &state.scores.int8 {
                        <ScoreBars labels={labels()} scores={scores.clone()} id="digits-scores" />
                    } else {
                        <p class="hint">{"Draw a digit."}</p>
                    }
                    <p data-testid="digits-float-class">{ match (float_predicted, &state.scores.float) {
                        (Some(d), Some(s)) => format!("float model: {d} ({:.1}%)", s.get(d).copied().unwrap_or(0.0) * 100.0),
                        _ => String::new(),
                    } }</p>
                </div>
            </div>
            <div class="demo-stats-row">
                <div><h3>{"int8 model"}</h3>
                    <DemoStats info={state.pair.int8.clone()} board={props.board} last_ms={state.scores.int8_ms} id="digits-int8" /></div>
                <div><h3>{"float model (for comparison: four times the weights, float kernels)"}</h3>
                    <DemoStats info={state.pair.float.clone()} board={props.board} last_ms={state.scores.float_ms} id="digits-float" /></div>
            </div>

            <h3>{"Evaluate on a test set"}</h3>
            <p class="hint">
                {"Give MNIST's IDX files (t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, \
                  gzip'd as distributed or not). Both models run over every digit in the worker, \
                  on the emulated MCU; nothing leaves this browser. The model card's figures are \
                  on the held-out fifth of MNIST's test set (every fifth digit, the box below); \
                  the other digits trained the model, so the whole set scores a little higher."}
            </p>
            <div class="demo-controls">
                <label>{"Images "}<input type="file" data-testid="digits-images" onchange={onfile(true)} /></label>
                <label>{"Labels "}<input type="file" data-testid="digits-labels" onchange={onfile(false)} /></label>
                <label title="models/digits/train.py trained on the other four fifths">
                    <input type="checkbox" data-testid="digits-held-out" checked={*held_out}
                           onchange={{ let held_out = held_out.clone(); Callback::from(move |_: Event| held_out.set(!*held_out)) }} />
                    {" only the held-out digits (every fifth), as the model card"}
                </label>
                <button data-testid="digits-evaluate" onclick={onevaluate}
                        disabled={!state.pair.ready()}>{"Evaluate"}</button>
            </div>
            if let Some(e) = &state.eval_error {
                <p class="error" data-testid="digits-eval-error">{ e }</p>
            }
            if !state.eval_labels.is_empty() {
                <div class="eval-results">
                    { evaluation_view("int8", &state.eval_int8, state.eval_labels.len()) }
                    { evaluation_view("float", &state.eval_float, state.eval_labels.len()) }
                </div>
            }
        </section>
    }
}

/// Sends the test set to both slots (one batch each), having told the page what to expect.
fn start_evaluation(
    runner: &gloo_worker::WorkerBridge<crate::runner_worker::RunnerWorker>,
    dispatcher: &UseReducerDispatcher<DigitsState>,
    gen: u32,
    tag: u64,
    set: TestSet,
) {
    let count = set.len() as u32;
    dispatcher.dispatch(DigitsAction::Evaluating(tag, Rc::new(set.labels.clone())));
    debug_assert_eq!(set.images.len(), set.len() * PIXELS);
    runner.send(RunnerRequest::Batch {
        slot: gen * 2,
        tag,
        samples: int8_input(&set.images),
        count,
    });
    runner.send(RunnerRequest::Batch {
        slot: gen * 2 + 1,
        tag,
        samples: float_input(&set.images),
        count,
    });
}

/// One model's progress, then its accuracy and confusion matrix.
fn evaluation_view(which: &'static str, eval: &Evaluation, total: usize) -> Html {
    html! {
        <div class={classes!("eval", which)}>
            <h4>{ format!("{which} model") }</h4>
            if let Some(c) = &eval.result {
                <p>{"Accuracy "}
                    <b data-testid={format!("digits-accuracy-{which}")} data-correct={c.correct().to_string()}
                       data-total={c.total().to_string()}>
                        { format!("{:.2}%", c.accuracy() * 100.0) }
                    </b>
                    { format!(" ({} of {} digits", c.correct(), c.total()) }
                    { eval.mean_ms.map(|ms| format!(", {} an inference here)", crate::format::ms(ms))).unwrap_or_else(|| ")".into()) }
                </p>
                <ConfusionTable labels={labels()} matrix={c.matrix.clone()} id={format!("digits-confusion-{which}")} />
            } else {
                <Progress done={eval.done} total={total as u32} id={format!("digits-progress-{which}")} label="Evaluating" />
            }
        </div>
    }
}
