//! The Wake word page: the microphone (or a WAV file) through an AudioWorklet, resampled to
//! 16 kHz, features, a keyword or wake-word model on the emulated MCU, and detections — with a
//! live spectrogram of the features and the scores over time.
//!
//! The audio path itself is [`Listener`] (host-tested in web/tests/wakeword_stream.rs); this
//! file only connects it to the browser: blocks from the worklet go into the listener, its
//! jobs go to the runner worker, the runner's answers come back into it, and every model answer
//! redraws the page. Three models:
//!
//! - the project's keyword model (models/keyword, from the gallery; the default);
//! - TFLM's micro_speech model with TFLM's audio preprocessor (both loaded by the user);
//! - a microWakeWord streaming model (loaded by the user, with its .json settings).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::WorkerBridge;
use web_sys::{HtmlCanvasElement, HtmlInputElement, HtmlSelectElement, MediaStream};
use yew::prelude::*;

use super::media::{self, Capture};
use super::{fetch_bytes, use_runner, DemoProps, DemoStats};
use crate::audio::listener::{
    Listener, ModelKind, MODEL_SLOT, PREPROCESSOR_SLOT, SCORE_POINTS, SPECTROGRAM_FRAMES,
};
use crate::audio::recognize::RecognizerConfig;
use crate::audio::wav;
use crate::runner::{RunnerRequest, RunnerResponse, SlotInfo};
use crate::runner_worker::RunnerWorker;

/// The project's keyword model and its card, in the gallery.
const KEYWORD_MODEL: &str = "models/keyword/keyword.tflite";
const KEYWORD_CARD: &str = "models/keyword/card.json";
/// micro_speech's classes (TFLM's micro_speech example, `micro_model_settings.h`).
const MICRO_SPEECH_LABELS: [&str; 4] = ["silence", "unknown", "yes", "no"];

/// Which model the page runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Keyword,
    MicroSpeech,
    WakeWord,
}

impl Choice {
    fn from_value(v: &str) -> Choice {
        match v {
            "micro_speech" => Choice::MicroSpeech,
            "wakeword" => Choice::WakeWord,
            _ => Choice::Keyword,
        }
    }
}

/// A microWakeWord model's settings (its .json's `micro` part).
#[derive(Clone, Debug, PartialEq)]
struct WakeSettings {
    name: String,
    cutoff: f32,
    window: usize,
}

/// Where the audio comes from.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    Idle,
    Microphone,
    File(String),
}

/// The page's mutable state, shared with the worklet's and the runner's callbacks.
struct Inner {
    choice: Choice,
    keyword_labels: Vec<String>,
    /// User-loaded files: (name, bytes).
    micro_speech: Option<(String, Vec<u8>)>,
    preprocessor: Option<(String, Vec<u8>)>,
    wake_model: Option<(String, Vec<u8>)>,
    keyword: Option<(String, Vec<u8>)>,
    wake: WakeSettings,
    recognizer: RecognizerConfig,
    model: Option<SlotInfo>,
    pre: Option<SlotInfo>,
    listener: Option<Listener>,
    capture: Option<Capture>,
    stream: Option<MediaStream>,
    source: Source,
    /// Play WAV files over and over (as Chromium's fake microphone plays its file).
    loop_file: bool,
    /// Tags carry it, so answers to a previous run are dropped.
    generation: u64,
    last_ms: Option<f64>,
    pre_ms: Option<f64>,
    error: Option<String>,
    bridge: Option<Rc<WorkerBridge<RunnerWorker>>>,
    /// Bumped whenever the model files change (the load effect's key: a counter here, not a
    /// value captured by a callback at some earlier render).
    version: u32,
}

/// The next files version (see `Inner::version`).
fn bump(inner: &RefCell<Inner>) -> u32 {
    let mut s = inner.borrow_mut();
    s.version += 1;
    s.version
}

impl Inner {
    fn new() -> Self {
        Inner {
            choice: Choice::Keyword,
            keyword_labels: Vec::new(),
            micro_speech: None,
            preprocessor: None,
            wake_model: None,
            keyword: None,
            wake: WakeSettings {
                name: "wake word".into(),
                cutoff: 0.85,
                window: 5,
            },
            recognizer: RecognizerConfig::default(),
            model: None,
            pre: None,
            listener: None,
            capture: None,
            stream: None,
            source: Source::Idle,
            loop_file: false,
            generation: 0,
            last_ms: None,
            pre_ms: None,
            error: None,
            bridge: None,
            version: 0,
        }
    }

    fn send(&self, request: RunnerRequest) {
        if let Some(b) = &self.bridge {
            b.send(request);
        }
    }

    /// Sends the listener's jobs, tagged with the run's generation.
    fn send_jobs(&self, jobs: Vec<crate::audio::listener::Job>) {
        for job in jobs {
            self.send(RunnerRequest::Invoke {
                slot: job.slot,
                tag: (self.generation << 40) | job.time_ms,
                inputs: vec![job.input],
            });
        }
    }

    /// Stops the microphone or the file and drops the listener's audio graph.
    fn stop(&mut self) {
        if let Some(stream) = self.stream.take() {
            media::stop_stream(&stream);
        }
        // Dropping the capture closes its audio graph.
        self.capture = None;
        self.source = Source::Idle;
    }

    /// The listener for the chosen model at `rate`, with the slots' state reset.
    fn start_listener(&mut self, rate: u32) -> Result<(), String> {
        let model = self.model.as_ref().ok_or("the model is not loaded yet")?;
        let kind = match self.choice {
            Choice::Keyword => ModelKind::Commands {
                labels: self.keyword_labels.clone(),
                every: 10,
                recognizer: self.recognizer,
            },
            Choice::MicroSpeech => ModelKind::MicroSpeech {
                labels: MICRO_SPEECH_LABELS.iter().map(|s| s.to_string()).collect(),
                every: 5,
                recognizer: self.recognizer,
            },
            Choice::WakeWord => ModelKind::WakeWord {
                name: self.wake.name.clone(),
                cutoff: self.wake.cutoff,
                window: self.wake.window,
            },
        };
        let pre = if self.choice == Choice::MicroSpeech {
            self.pre.as_ref()
        } else {
            None
        };
        let listener = Listener::new(kind, model, pre, rate)?;
        self.generation += 1;
        // Fresh state: microWakeWord's variables, the preprocessor's noise estimate.
        self.send(RunnerRequest::Reset { slot: MODEL_SLOT });
        if self.choice == Choice::MicroSpeech {
            self.send(RunnerRequest::Reset {
                slot: PREPROCESSOR_SLOT,
            });
        }
        self.listener = Some(listener);
        self.error = None;
        Ok(())
    }

    /// The files the chosen model needs: (slot, name, bytes).
    fn files(&self) -> Vec<(u32, &(String, Vec<u8>))> {
        match self.choice {
            Choice::Keyword => self.keyword.iter().map(|f| (MODEL_SLOT, f)).collect(),
            Choice::MicroSpeech => self
                .micro_speech
                .iter()
                .map(|f| (MODEL_SLOT, f))
                .chain(self.preprocessor.iter().map(|f| (PREPROCESSOR_SLOT, f)))
                .collect(),
            Choice::WakeWord => self.wake_model.iter().map(|f| (MODEL_SLOT, f)).collect(),
        }
    }
}

/// Reads a microWakeWord model's .json (`wake_word`, `micro.probability_cutoff`,
/// `micro.sliding_window_size`).
fn parse_wake_json(bytes: &[u8]) -> Result<WakeSettings, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let micro = &v["micro"];
    let cutoff = micro["probability_cutoff"]
        .as_f64()
        .ok_or("no micro.probability_cutoff")? as f32;
    let window = micro["sliding_window_size"]
        .as_u64()
        .ok_or("no micro.sliding_window_size")? as usize;
    let name = v["wake_word"].as_str().unwrap_or("wake word").to_string();
    Ok(WakeSettings {
        name,
        cutoff,
        window,
    })
}

/// The wakeword demo page.
#[function_component]
pub fn WakeWordDemo(props: &DemoProps) -> Html {
    let inner = use_mut_ref(Inner::new);
    let redraw = use_force_update();
    // Bumped when the model files change, so the load effect runs.
    let files_version = use_state(|| 0u32);

    let onresponse = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |response: RunnerResponse| {
            let mut s = inner.borrow_mut();
            match response {
                RunnerResponse::Loaded { slot, result } => {
                    match result {
                        Ok(info) if slot == MODEL_SLOT => s.model = Some(info),
                        Ok(info) => s.pre = Some(info),
                        Err(e) => s.error = Some(format!("loading the model: {e}")),
                    }
                    drop(s);
                    redraw.force_update();
                }
                RunnerResponse::Invoked { slot, tag, result } => {
                    if tag >> 40 != s.generation {
                        return;
                    }
                    match result {
                        Ok(inv) => {
                            if slot == MODEL_SLOT {
                                s.last_ms = Some(inv.ms);
                            } else {
                                s.pre_ms = Some(inv.ms);
                            }
                            let raw = inv.outputs.first().map(|o| o.raw.as_slice()).unwrap_or(&[]);
                            let time_ms = tag & ((1 << 40) - 1);
                            let jobs = s
                                .listener
                                .as_mut()
                                .map(|l| l.on_output(slot, time_ms, raw))
                                .unwrap_or_default();
                            s.send_jobs(jobs);
                        }
                        Err(e) => {
                            s.error = Some(format!("running the model: {e}"));
                            s.stop();
                        }
                    }
                    let model_answer = slot == MODEL_SLOT;
                    drop(s);
                    if model_answer {
                        redraw.force_update();
                    }
                }
                _ => {}
            }
        })
    };
    let bridge = use_runner(onresponse);
    inner.borrow_mut().bridge = Some(bridge.clone());

    // The project's keyword model and its labels, from the gallery, once.
    {
        let inner = inner.clone();
        let files_version = files_version.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let card = fetch_bytes(KEYWORD_CARD).await.and_then(|b| {
                    let v: serde_json::Value =
                        serde_json::from_slice(&b).map_err(|e| format!("{KEYWORD_CARD}: {e}"))?;
                    Ok(v["labels"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|l| l.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default())
                });
                let model = fetch_bytes(KEYWORD_MODEL).await;
                {
                    let mut s = inner.borrow_mut();
                    match (card, model) {
                        (Ok(labels), Ok(bytes)) => {
                            s.keyword_labels = labels;
                            s.keyword = Some(("keyword.tflite".into(), bytes));
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            s.error = Some(format!(
                                "the project's keyword model is not in this build's gallery ({e}); load a model below"
                            ))
                        }
                    }
                }
                files_version.set(bump(&inner));
            });
        });
    }

    // (Re)load the chosen model's files whenever they, the choice or the board change.
    {
        let inner = inner.clone();
        let choice = inner.borrow().choice;
        use_effect_with(
            (choice, props.budget, *files_version),
            move |&(_, budget, _)| {
                let mut s = inner.borrow_mut();
                s.model = None;
                s.pre = None;
                let loads: Vec<_> = s
                    .files()
                    .into_iter()
                    .map(|(slot, (name, bytes))| RunnerRequest::Load {
                        slot,
                        name: name.clone(),
                        bytes: bytes.clone(),
                        budget: Some(budget),
                    })
                    .collect();
                for l in loads {
                    s.send(l);
                }
            },
        );
    }

    // Stop the microphone when the page goes.
    {
        let inner = inner.clone();
        use_effect_with((), move |_| move || inner.borrow_mut().stop());
    }

    // The spectrogram, after every render: the last frames, newest on the right.
    let spectrogram = use_node_ref();
    {
        let inner = inner.clone();
        let canvas = spectrogram.clone();
        use_effect(move || {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                let s = inner.borrow();
                draw_spectrogram(&canvas, s.listener.as_ref());
            }
        });
    }

    let onchoice = {
        let inner = inner.clone();
        let files_version = files_version.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            {
                let mut s = inner.borrow_mut();
                s.stop();
                s.listener = None;
                s.choice = Choice::from_value(&select.value());
                s.error = None;
            }
            files_version.set(bump(&inner));
        })
    };

    // A user file into one of the model slots (or the .json settings).
    let onfile = |which: &'static str| {
        let inner = inner.clone();
        let files_version = files_version.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let Some(file) = media::picked_file(&e) else {
                return;
            };
            let inner = inner.clone();
            let files_version = files_version.clone();
            let redraw = redraw.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let read = media::read_file(file).await;
                let mut s = inner.borrow_mut();
                match read {
                    Err(e) => s.error = Some(e),
                    Ok((name, bytes)) => match which {
                        "micro_speech" => s.micro_speech = Some((name, bytes)),
                        "preprocessor" => s.preprocessor = Some((name, bytes)),
                        "wake_model" => s.wake_model = Some((name, bytes)),
                        _ => match parse_wake_json(&bytes) {
                            Ok(w) => s.wake = w,
                            Err(e) => s.error = Some(format!("{name}: {e}")),
                        },
                    },
                }
                drop(s);
                if which == "wake_json" {
                    redraw.force_update();
                } else {
                    files_version.set(bump(&inner));
                }
            });
        })
    };

    let onmic = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |_| {
            let inner = inner.clone();
            let redraw = redraw.clone();
            inner.borrow_mut().stop();
            wasm_bindgen_futures::spawn_local(async move {
                let result = start_microphone(inner.clone()).await;
                if let Err(e) = result {
                    let mut s = inner.borrow_mut();
                    s.stop();
                    s.error = Some(e);
                }
                redraw.force_update();
            });
        })
    };

    let onwav = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let Some(file) = media::picked_file(&e) else {
                return;
            };
            let inner = inner.clone();
            let redraw = redraw.clone();
            inner.borrow_mut().stop();
            wasm_bindgen_futures::spawn_local(async move {
                let result = play_file(inner.clone(), file, redraw.clone()).await;
                if let Err(e) = result {
                    let mut s = inner.borrow_mut();
                    s.stop();
                    s.error = Some(e);
                }
                redraw.force_update();
            });
        })
    };

    let onstop = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |_| {
            inner.borrow_mut().stop();
            redraw.force_update();
        })
    };

    let onloop = {
        let inner = inner.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            inner.borrow_mut().loop_file = input.checked();
        })
    };

    let number = |apply: fn(&mut Inner, f64)| {
        let inner = inner.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<f64>() {
                if v.is_finite() && v >= 0.0 {
                    apply(&mut inner.borrow_mut(), v);
                }
            }
        })
    };

    let s = inner.borrow();
    let ready = s.model.is_some() && (s.choice != Choice::MicroSpeech || s.pre.is_some());
    let listening = s.source != Source::Idle;
    let labels: Vec<String> = s
        .listener
        .as_ref()
        .map(|l| l.labels().to_vec())
        .unwrap_or_default();
    let threshold = match s.choice {
        Choice::WakeWord => s.wake.cutoff,
        _ => s.recognizer.threshold,
    };
    html! {
        <section class="panel demo wakeword" data-testid="wakeword">
            <h2>{"Wake word"}</h2>
            <p class="hint">
                {"Say a word to the microphone (or play a WAV file): the audio is resampled to 16 kHz, \
                  TFLM's micro frontend turns every 10 ms into 40 features, and the model runs on \
                  the emulated MCU, in the board's arena. Nothing leaves this page."}
            </p>
            <div class="media-controls">
                <label>{"Model "}
                    <select onchange={onchoice} data-testid="wakeword-model">
                        <option value="keyword" selected={s.choice == Choice::Keyword}>{"yes / no (the project's keyword model)"}</option>
                        <option value="micro_speech" selected={s.choice == Choice::MicroSpeech}>{"TFLM micro_speech (load it)"}</option>
                        <option value="wakeword" selected={s.choice == Choice::WakeWord}>{"microWakeWord (load it)"}</option>
                    </select>
                </label>
            </div>
            { match s.choice {
                Choice::Keyword => html! {
                    <p class="note">{"models/keyword: trained on synthetic speech (espeak-ng); it catches a clear, close \"yes\" or \"no\". Labels from its card: "}{ s.keyword_labels.join(", ") }</p>
                },
                Choice::MicroSpeech => html! {
                    <div class="media-files">
                        <p class="note">
                            {"TFLM's micro_speech example (tflite-micro repository, tensorflow/lite/micro/examples/micro_speech/models): \
                              micro_speech_quantized.tflite and audio_preprocessor_int8.tflite, its feature generator \
                              (TFLM Signal ops, run here window by window in a second slot)."}
                        </p>
                        <label>{"micro_speech model "}<input type="file" accept=".tflite" data-testid="wakeword-micro-speech-file" onchange={onfile("micro_speech")} /></label>
                        <label>{"audio preprocessor "}<input type="file" accept=".tflite" data-testid="wakeword-preprocessor-file" onchange={onfile("preprocessor")} /></label>
                    </div>
                },
                Choice::WakeWord => html! {
                    <div class="media-files">
                        <p class="note">
                            {"A microWakeWord streaming model (e.g. okay_nabu.tflite from PyPI pymicro-wakeword's models/ folder, \
                              or github.com/esphome/micro-wake-word-models) and its .json: int8 input of a few frames, \
                              uint8 probability, state in resource variables."}
                        </p>
                        <label>{"model "}<input type="file" accept=".tflite" data-testid="wakeword-mww-file" onchange={onfile("wake_model")} /></label>
                        <label>{"settings (.json) "}<input type="file" accept=".json" data-testid="wakeword-mww-json" onchange={onfile("wake_json")} /></label>
                        <label>{"cutoff "}<input type="number" step="0.01" min="0" max="1" value={s.wake.cutoff.to_string()}
                            onchange={number(|s, v| s.wake.cutoff = v as f32)} /></label>
                        <label>{"sliding window "}<input type="number" step="1" min="1" value={s.wake.window.to_string()}
                            onchange={number(|s, v| s.wake.window = (v as usize).max(1))} /></label>
                        <span class="note">{ format!("wake word: {}", s.wake.name) }</span>
                    </div>
                },
            } }
            if s.choice != Choice::WakeWord {
                <div class="media-controls recognizer">
                    <span class="note">{"Recogniser (as micro_speech's): "}</span>
                    <label>{"threshold "}<input type="number" step="0.01" min="0" max="1" value={format!("{:.3}", s.recognizer.threshold)}
                        onchange={number(|s, v| s.recognizer.threshold = v as f32)} /></label>
                    <label>{"average over (ms) "}<input type="number" step="100" min="100" value={s.recognizer.average_window_ms.to_string()}
                        onchange={number(|s, v| s.recognizer.average_window_ms = v as u64)} /></label>
                    <label>{"suppression (ms) "}<input type="number" step="100" min="0" value={s.recognizer.suppression_ms.to_string()}
                        onchange={number(|s, v| s.recognizer.suppression_ms = v as u64)} /></label>
                </div>
            }
            <div class="media-controls">
                <button class="primary" onclick={onmic} disabled={!ready} data-testid="wakeword-mic">{"Start the microphone"}</button>
                <label class="file-button">{"Play a WAV file "}
                    <input type="file" accept=".wav,audio/wav" disabled={!ready} data-testid="wakeword-wav" onchange={onwav} />
                </label>
                <label><input type="checkbox" checked={s.loop_file} onchange={onloop} data-testid="wakeword-loop" />{" loop"}</label>
                <button onclick={onstop} disabled={!listening} data-testid="wakeword-stop">{"Stop"}</button>
                <span class="status" data-testid="wakeword-status">{ match &s.source {
                    Source::Idle if !ready => "loading the model…".to_string(),
                    Source::Idle => "idle".to_string(),
                    Source::Microphone => format!("listening ({} Hz device, resampled to 16 kHz)", s.capture.as_ref().map_or(0, |c| c.rate())),
                    Source::File(name) => format!("playing {name}{}", if s.loop_file { " (looped)" } else { "" }),
                } }</span>
            </div>
            if let Some(e) = &s.error {
                <p class="error" data-testid="wakeword-error">{ e }</p>
            }
            <div class="wakeword-live">
                <div>
                    <h3>{"Features (the model's input)"}</h3>
                    <canvas ref={spectrogram} class="spectrogram" width={SPECTROGRAM_FRAMES.to_string()} height="40" data-testid="wakeword-spectrogram"></canvas>
                    <p class="note">{"40 mel channels (low at the bottom), 10 ms a column, the last 4 s."}</p>
                    <h3>{"Scores over time"}</h3>
                    { strip_chart(s.listener.as_ref(), &labels, threshold) }
                </div>
                <div>
                    <h3>{"Heard"}</h3>
                    <ol class="detections" data-testid="wakeword-detections">
                        { for s.listener.iter().flat_map(|l| l.detections.iter().rev()).take(12).map(|d| html! {
                            <li data-label={d.label.clone()}>
                                <strong>{ &d.label }</strong>
                                { format!(" {:.2} at {:.1} s", d.score, d.time_ms as f64 / 1000.0) }
                            </li>
                        }) }
                    </ol>
                    <DemoStats info={s.model.clone()} board={props.board} last_ms={s.last_ms} id="wakeword" />
                    if s.choice == Choice::MicroSpeech {
                        <h4>{"Audio preprocessor"}</h4>
                        <DemoStats info={s.pre.clone()} board={props.board} last_ms={s.pre_ms} id="wakeword-preprocessor" />
                    }
                </div>
            </div>
        </section>
    }
}

/// Microphone → worklet → listener.
async fn start_microphone(inner: Rc<RefCell<Inner>>) -> Result<(), String> {
    let stream = media::user_media(true, false).await?;
    let capture = Capture::new(on_block(inner.clone())).await?;
    {
        let mut s = inner.borrow_mut();
        s.start_listener(capture.rate())?;
        capture.connect_stream(&stream)?;
        s.stream = Some(stream);
        s.capture = Some(capture);
        s.source = Source::Microphone;
    }
    Ok(())
}

/// A WAV file → the same worklet → listener, in real time.
async fn play_file(
    inner: Rc<RefCell<Inner>>,
    file: web_sys::File,
    redraw: UseForceUpdateHandle,
) -> Result<(), String> {
    let (name, bytes) = media::read_file(file).await?;
    let mut audio = wav::parse(&bytes).map_err(|e| format!("{name}: {e}"))?;
    let looped = inner.borrow().loop_file;
    if !looped {
        // A second of silence after the recording, so that the one-second window slides over
        // its end too: a one-second clip alone would fill the window only once.
        audio
            .samples
            .extend(std::iter::repeat_n(0.0, audio.rate as usize));
    }
    let capture = Capture::new(on_block(inner.clone())).await?;
    let mut s = inner.borrow_mut();
    s.start_listener(capture.rate())?;
    let generation = s.generation;
    let ended = {
        let inner = inner.clone();
        move || {
            let mut s = inner.borrow_mut();
            if s.generation == generation {
                s.stop();
            }
            drop(s);
            redraw.force_update();
        }
    };
    capture.play(&audio.samples, audio.rate, looped, ended)?;
    s.capture = Some(capture);
    s.source = Source::File(name);
    Ok(())
}

/// What the worklet's blocks do: into the listener, its jobs to the runner.
fn on_block(inner: Rc<RefCell<Inner>>) -> impl FnMut(Vec<f32>) {
    move |block| {
        let Ok(mut s) = inner.try_borrow_mut() else {
            return;
        };
        let jobs = s
            .listener
            .as_mut()
            .map(|l| l.push(&block))
            .unwrap_or_default();
        s.send_jobs(jobs);
    }
}

/// The features as an image: one column a frame, channel 0 at the bottom.
fn draw_spectrogram(canvas: &HtmlCanvasElement, listener: Option<&Listener>) {
    let (w, h) = (SPECTROGRAM_FRAMES, 40usize);
    let mut rgba = vec![0u8; w * h * 4];
    if let Some(l) = listener {
        let offset = w - l.spectrogram.len().min(w);
        for (x, frame) in l.spectrogram.iter().enumerate() {
            for (c, &v) in frame.iter().take(h).enumerate() {
                let y = h - 1 - c;
                let at = (y * w + offset + x) * 4;
                if let Some(px) = rgba.get_mut(at..at + 4) {
                    px.copy_from_slice(&heat(v));
                }
            }
        }
    }
    for px in rgba.chunks_exact_mut(4) {
        px[3] = 255;
    }
    media::put_rgba(canvas, &rgba, w as u32, h as u32);
}

/// A dark-blue-to-yellow colour for a 0-255 intensity.
fn heat(v: u8) -> [u8; 4] {
    let t = u16::from(v);
    [
        (t * 2).min(255) as u8,
        (t * t / 255) as u8,
        (60 + t / 2).min(255).saturating_sub(t * t / 512) as u8,
        255,
    ]
}

/// Each label's score over the last inferences, as SVG polylines, with the threshold.
fn strip_chart(listener: Option<&Listener>, labels: &[String], threshold: f32) -> Html {
    const W: f64 = 600.0;
    const H: f64 = 140.0;
    // Commands: silence grey, unknown orange, then the words; a lone wake word in the accent.
    const COLOURS: [&str; 6] = [
        "#98a2b3", "#dd8a2e", "#1e7a46", "#b42318", "#2b6cb0", "#7a3cb4",
    ];
    let colour = |k: usize| {
        if labels.len() == 1 {
            "#2b6cb0"
        } else {
            COLOURS[k % COLOURS.len()]
        }
    };
    let x_of = |i: usize| i as f64 * W / (SCORE_POINTS - 1) as f64;
    let y_of = |v: f32| H - f64::from(v.clamp(0.0, 1.0)) * H;
    let scores: Vec<&(u64, Vec<f32>)> = listener
        .map(|l| l.scores.iter().collect())
        .unwrap_or_default();
    let offset = SCORE_POINTS - scores.len().min(SCORE_POINTS);
    let latest = scores.last().map(|(_, s)| s.clone()).unwrap_or_default();
    html! {
        <div class="strip-chart">
            <svg viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" data-testid="wakeword-chart">
                <line x1="0" x2={W.to_string()} y1={y_of(threshold).to_string()} y2={y_of(threshold).to_string()} class="threshold" />
                { for labels.iter().enumerate().map(|(k, _)| {
                    let points: String = scores.iter().enumerate()
                        .filter_map(|(i, (_, s))| s.get(k).map(|v| format!("{:.1},{:.1} ", x_of(offset + i), y_of(*v))))
                        .collect();
                    html! { <polyline points={points} fill="none" stroke={colour(k)} stroke-width="2" /> }
                }) }
            </svg>
            <ul class="legend" data-testid="wakeword-scores">
                { for labels.iter().enumerate().map(|(k, l)| html! {
                    <li data-label={l.clone()} data-score={latest.get(k).map(|v| format!("{v:.4}")).unwrap_or_default()}>
                        <span class="swatch" style={format!("background:{}", colour(k))}></span>
                        { format!("{l} {}", latest.get(k).map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into())) }
                    </li>
                }) }
            </ul>
        </div>
    }
}
