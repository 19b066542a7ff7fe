//! The Vision page: the webcam (or an uploaded picture) through the engine's image
//! preprocessing (`tinyml_engine::image`: centre crop, area resize, gray or RGB, the input's
//! type and quantization — the same function as `tinyml image`) into any image classifier with
//! a 2-D input, on the emulated MCU: the project's digits model from the gallery, or one the
//! user loads, such as TFLM's person_detect.
//!
//! The page shows the image as the model sees it (after crop, resize and inversion), the class
//! scores and the figures every demo shows. The camera runs a few frames a second, one
//! invocation in flight at a time.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use gloo_worker::WorkerBridge;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlCanvasElement, HtmlImageElement, HtmlInputElement, HtmlVideoElement, MediaStream,
};
use yew::prelude::*;

use super::media;
use super::{fetch_bytes, use_runner, DemoProps, DemoStats};
use crate::audio::listener::decode_scores;
use crate::runner::{RunnerRequest, RunnerResponse, SlotInfo};
use crate::runner_worker::RunnerWorker;
use tinyml_engine::image::{self, Encoding, Image, PixelFormat, PixelRange, Target};
use tinyml_engine::DType;

/// The project's digits model and its card, in the gallery.
const DIGITS_MODEL: &str = "models/digits/digits.tflite";
const DIGITS_CARD: &str = "models/digits/card.json";
/// person_detect's classes (TFLM's person_detection example, `model_settings.h`).
const PERSON_LABELS: [&str; 2] = ["no person", "person"];
/// Milliseconds between camera frames.
const FRAME_MS: u32 = 200;
/// The model's slot.
const SLOT: u32 = 0;

/// Where the picture comes from.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    Idle,
    Camera,
    Picture(String),
}

/// The page's mutable state, shared with the camera timer and the runner's callback.
struct Inner {
    /// The model file: the gallery's digits model, or the user's.
    file: Option<(String, Vec<u8>)>,
    digits_labels: Vec<String>,
    user_model: bool,
    labels_text: String,
    invert: bool,
    /// How a pixel maps to the model's float input (see `tinyml_engine::image`).
    range: PixelRange,
    model: Option<SlotInfo>,
    source: Source,
    stream: Option<MediaStream>,
    timer: Option<Interval>,
    busy: bool,
    /// The last input tensor and its picture as the model sees it (RGBA), with its size.
    input: Vec<u8>,
    preview: Option<(Vec<u8>, u32, u32)>,
    raw_output: Vec<u8>,
    scores: Vec<f32>,
    frames: u64,
    last_ms: Option<f64>,
    error: Option<String>,
    picture_url: Option<String>,
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
            file: None,
            digits_labels: Vec::new(),
            user_model: false,
            labels_text: String::new(),
            invert: true,
            range: PixelRange::Tensor,
            model: None,
            source: Source::Idle,
            stream: None,
            timer: None,
            busy: false,
            input: Vec::new(),
            preview: None,
            raw_output: Vec::new(),
            scores: Vec::new(),
            frames: 0,
            last_ms: None,
            error: None,
            picture_url: None,
            bridge: None,
            version: 0,
        }
    }

    fn stop_camera(&mut self) {
        self.timer = None;
        if let Some(stream) = self.stream.take() {
            media::stop_stream(&stream);
        }
        if self.source == Source::Camera {
            self.source = Source::Idle;
        }
    }

    /// The target the model's input 0 asks for.
    fn target(&self) -> Result<Target, String> {
        let info = self.model.as_ref().ok_or("the model is not loaded yet")?;
        let input = info.inputs.first().ok_or("the model has no input")?;
        let shape: Vec<usize> = input.shape.iter().map(|&d| d.max(0) as usize).collect();
        let dtype = match input.dtype.as_str() {
            "INT8" => DType::I8,
            "UINT8" => DType::U8,
            "FLOAT32" => DType::F32,
            _ => DType::I16,
        };
        let quant = input.scale.zip(input.zero_point);
        Target::for_input(&shape, dtype, quant, self.range, self.invert)
            .map_err(|e| format!("{e} (it is {} {:?})", input.dtype, input.shape))
    }

    /// Preprocesses an RGBA picture and sends it to the model.
    fn classify(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<(), String> {
        let target = self.target()?;
        let source = Image {
            data: rgba,
            width: width as usize,
            height: height as usize,
            format: PixelFormat::Rgba8,
        };
        let mut input = vec![0u8; target.output_bytes().ok_or("input too large")?];
        image::preprocess(&source, &target, &mut input).map_err(|e| e.to_string())?;
        // The same picture as plain 0-255 pixels, to show what the model sees.
        let view = Target {
            encoding: Encoding::UInt8,
            ..target
        };
        let mut pixels = vec![0u8; view.output_bytes().unwrap_or(0)];
        image::preprocess(&source, &view, &mut pixels).map_err(|e| e.to_string())?;
        let channels = target.channels.count();
        let rgba_view: Vec<u8> = pixels
            .chunks_exact(channels)
            .flat_map(|p| match p {
                [v] => [*v, *v, *v, 255],
                [r, g, b, ..] => [*r, *g, *b, 255],
                _ => [0, 0, 0, 255],
            })
            .collect();
        self.preview = Some((rgba_view, target.width as u32, target.height as u32));
        self.input = input.clone();
        self.busy = true;
        self.frames += 1;
        if let Some(b) = &self.bridge {
            b.send(RunnerRequest::Invoke {
                slot: SLOT,
                tag: self.frames,
                inputs: vec![input],
            });
        }
        Ok(())
    }

    fn labels(&self) -> Vec<String> {
        let classes = self.scores.len();
        let typed: Vec<String> = self
            .labels_text
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        (0..classes)
            .map(|k| {
                typed
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| format!("class {k}"))
            })
            .collect()
    }
}

/// The vision demo page.
#[function_component]
pub fn VisionDemo(props: &DemoProps) -> Html {
    let inner = use_mut_ref(Inner::new);
    let redraw = use_force_update();
    let files_version = use_state(|| 0u32);
    let video = use_node_ref();
    let work = use_node_ref();
    let preview = use_node_ref();

    let onresponse = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |response: RunnerResponse| {
            let mut s = inner.borrow_mut();
            match response {
                RunnerResponse::Loaded { result, .. } => match result {
                    Ok(info) => {
                        s.model = Some(info);
                        if let Err(e) = s.target() {
                            s.error = Some(format!("this model cannot take a picture: {e}"));
                        }
                    }
                    Err(e) => s.error = Some(format!("loading the model: {e}")),
                },
                RunnerResponse::Invoked { tag, result, .. } => {
                    // Only the answer to the latest picture (a camera frame may still be in
                    // flight when a picture is uploaded).
                    if tag != s.frames {
                        return;
                    }
                    s.busy = false;
                    match result {
                        Ok(inv) => {
                            s.last_ms = Some(inv.ms);
                            if let Some(out) = inv.outputs.first() {
                                let meta = (out.dtype.clone(), out.scale, out.zero_point);
                                s.scores = decode_scores(&out.raw, &meta);
                                s.raw_output = out.raw.clone();
                            }
                        }
                        Err(e) => s.error = Some(format!("running the model: {e}")),
                    }
                }
                _ => return,
            }
            drop(s);
            redraw.force_update();
        })
    };
    let bridge = use_runner(onresponse);
    inner.borrow_mut().bridge = Some(bridge.clone());

    // The digits model and labels from the gallery, unless the user loaded a model first.
    {
        let inner = inner.clone();
        let files_version = files_version.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let card = fetch_bytes(DIGITS_CARD).await.ok().and_then(|b| {
                    let v: serde_json::Value = serde_json::from_slice(&b).ok()?;
                    let labels = v["labels"].as_array()?;
                    Some(
                        labels
                            .iter()
                            .filter_map(|l| l.as_str().map(String::from))
                            .collect::<Vec<_>>(),
                    )
                });
                let model = fetch_bytes(DIGITS_MODEL).await;
                let mut s = inner.borrow_mut();
                s.digits_labels = card.unwrap_or_default();
                if s.user_model {
                    return;
                }
                match model {
                    Ok(bytes) => {
                        s.file = Some(("digits.tflite".into(), bytes));
                        s.labels_text = s.digits_labels.join(", ");
                    }
                    Err(e) => {
                        s.error = Some(format!(
                            "the project's digits model is not in this build's gallery ({e}); load a model below"
                        ))
                    }
                }
                drop(s);
                files_version.set(bump(&inner));
            });
        });
    }

    // (Re)load the model when it or the board changes.
    {
        let inner = inner.clone();
        use_effect_with((props.budget, *files_version), move |&(budget, _)| {
            let mut s = inner.borrow_mut();
            if let (Some((name, bytes)), Some(b)) = (&s.file, &s.bridge) {
                b.send(RunnerRequest::Load {
                    slot: SLOT,
                    name: name.clone(),
                    bytes: bytes.clone(),
                    budget: Some(budget),
                });
                s.model = None;
                s.busy = false;
            }
        });
    }

    // The model's view of the picture, after every render.
    {
        let inner = inner.clone();
        let preview = preview.clone();
        use_effect(move || {
            if let (Some(canvas), Some((rgba, w, h))) =
                (preview.cast::<HtmlCanvasElement>(), &inner.borrow().preview)
            {
                media::put_rgba(&canvas, rgba, *w, *h);
            }
        });
    }

    // Stop the camera when the page goes.
    {
        let inner = inner.clone();
        use_effect_with((), move |_| move || inner.borrow_mut().stop_camera());
    }

    let onmodel = {
        let inner = inner.clone();
        let files_version = files_version.clone();
        Callback::from(move |e: Event| {
            let Some(file) = media::picked_file(&e) else {
                return;
            };
            let inner = inner.clone();
            let files_version = files_version.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let read = media::read_file(file).await;
                let mut s = inner.borrow_mut();
                match read {
                    Ok((name, bytes)) => {
                        // person_detect's classes and its gray, light-on-dark-agnostic input.
                        let person = name.to_ascii_lowercase().contains("person");
                        s.labels_text = if person {
                            PERSON_LABELS.join(", ")
                        } else {
                            String::new()
                        };
                        s.invert = false;
                        s.user_model = true;
                        s.file = Some((name, bytes));
                        s.scores.clear();
                        s.error = None;
                    }
                    Err(e) => s.error = Some(e),
                }
                drop(s);
                files_version.set(bump(&inner));
            });
        })
    };

    let oncamera = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        let video = video.clone();
        let work = work.clone();
        Callback::from(move |_| {
            let (inner, redraw, video, work) =
                (inner.clone(), redraw.clone(), video.clone(), work.clone());
            inner.borrow_mut().stop_camera();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = start_camera(inner.clone(), video, work, redraw.clone()).await {
                    let mut s = inner.borrow_mut();
                    s.stop_camera();
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
            inner.borrow_mut().stop_camera();
            redraw.force_update();
        })
    };

    let onpicture = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        let work = work.clone();
        Callback::from(move |e: Event| {
            let Some(file) = media::picked_file(&e) else {
                return;
            };
            let (inner, redraw, work) = (inner.clone(), redraw.clone(), work.clone());
            inner.borrow_mut().stop_camera();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = classify_picture(inner.clone(), file, work).await {
                    inner.borrow_mut().error = Some(e);
                }
                redraw.force_update();
            });
        })
    };

    let oninvert = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            inner.borrow_mut().invert = input.checked();
            redraw.force_update();
        })
    };
    let onrange = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            inner.borrow_mut().range = match select.value().as_str() {
                "0,1" => PixelRange::Float { lo: 0.0, hi: 1.0 },
                "-1,1" => PixelRange::Float { lo: -1.0, hi: 1.0 },
                _ => PixelRange::Tensor,
            };
            redraw.force_update();
        })
    };
    let onlabels = {
        let inner = inner.clone();
        let redraw = redraw.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            inner.borrow_mut().labels_text = input.value();
            redraw.force_update();
        })
    };

    let s = inner.borrow();
    let ready = s.model.is_some() && s.target().is_ok();
    let labels = s.labels();
    let top = s
        .scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, _)| k);
    let input_hex: String = s.input.iter().map(|b| format!("{b:02x}")).collect();
    let raw: Vec<String> = s.raw_output.iter().map(|b| b.to_string()).collect();
    let target_text = s.target().map_or_else(
        |e| e,
        |t| {
            format!(
                "{}x{} {}, {}{}",
                t.width,
                t.height,
                if t.channels.count() == 1 {
                    "gray"
                } else {
                    "RGB"
                },
                match t.encoding {
                    Encoding::Int8Shifted => "int8 = pixel - 128".to_string(),
                    Encoding::UInt8 => "uint8 = pixel".to_string(),
                    Encoding::Float32 { lo, hi } =>
                        format!("float32 from {lo} (black) to {hi} (white)"),
                    Encoding::Int8Quantized {
                        scale,
                        zero_point,
                        lo,
                        hi,
                    }
                    | Encoding::UInt8Quantized {
                        scale,
                        zero_point,
                        lo,
                        hi,
                    } =>
                        format!("{lo}..{hi} quantized with scale {scale}, zero point {zero_point}"),
                },
                if t.invert { ", inverted" } else { "" }
            )
        },
    );
    html! {
        <section class="panel demo vision" data-testid="vision">
            <h2>{"Vision"}</h2>
            <p class="hint">
                {"Point the webcam at something, or upload a picture: it is centre-cropped to the model's \
                  aspect ratio, area-resized, made gray or RGB and quantized as the model's input asks, \
                  then classified on the emulated MCU. The camera never leaves this page."}
            </p>
            <div class="media-files">
                <p class="note">
                    {"Model: the project's digits model (MNIST: white digit on black, so pictures of dark ink on \
                      paper are inverted), or any image classifier with a [1, H, W, 1 or 3] input, e.g. TFLM's \
                      person_detect.tflite (96x96 gray int8) from TFLM's person_detection example \
                      (github.com/tensorflow/tflite-micro, tensorflow/lite/micro/examples/person_detection)."}
                </p>
                <label>{"Load a model "}<input type="file" accept=".tflite" data-testid="vision-model-file" onchange={onmodel} /></label>
                <label>{"Labels "}<input type="text" class="labels" value={s.labels_text.clone()} onchange={onlabels} data-testid="vision-labels" /></label>
                <label title="TFLM's examples and the project's cards map a pixel over the tensor's whole range (int8: pixel - 128); a model trained on floats in [0, 1] or [-1, 1] can instead be fed those, quantized with its input's scale and zero point.">
                    {"Pixels "}
                    <select onchange={onrange} data-testid="vision-range">
                        <option value="tensor" selected={s.range == PixelRange::Tensor}>{"over the tensor's range"}</option>
                        <option value="0,1" selected={s.range == (PixelRange::Float { lo: 0.0, hi: 1.0 })}>{"as 0..1"}</option>
                        <option value="-1,1" selected={s.range == (PixelRange::Float { lo: -1.0, hi: 1.0 })}>{"as -1..1"}</option>
                    </select>
                </label>
                <label><input type="checkbox" checked={s.invert} onchange={oninvert} data-testid="vision-invert" />{" invert (light on dark)"}</label>
            </div>
            <div class="media-controls">
                <button class="primary" onclick={oncamera} disabled={!ready} data-testid="vision-camera">{"Start the camera"}</button>
                <button onclick={onstop} disabled={s.source != Source::Camera} data-testid="vision-stop">{"Stop"}</button>
                <label class="file-button">{"Upload a picture "}
                    <input type="file" accept="image/*,.bmp" disabled={!ready} data-testid="vision-image-file" onchange={onpicture} />
                </label>
                <span class="status" data-testid="vision-status">{ match &s.source {
                    Source::Idle if !ready => "loading the model…".to_string(),
                    Source::Idle => "idle".to_string(),
                    Source::Camera => format!("camera: {} frames", s.frames),
                    Source::Picture(name) => name.clone(),
                } }</span>
            </div>
            if let Some(e) = &s.error {
                <p class="error" data-testid="vision-error">{ e }</p>
            }
            <div class="vision-live">
                <div class="vision-view">
                    <video ref={video.clone()} autoplay=true muted=true playsinline=true
                        hidden={s.source != Source::Camera} data-testid="vision-video"></video>
                    if let (Some(url), Source::Picture(_)) = (&s.picture_url, &s.source) {
                        <img class="source" src={url.clone()} alt="the uploaded picture" />
                    }
                    <div>
                        <canvas ref={preview} class="model-view" data-testid="vision-model-view"
                            data-input-hex={input_hex} data-raw-output={raw.join(",")}
                            data-busy={s.busy.to_string()}></canvas>
                        <p class="note">{ format!("What the model sees: {target_text}") }</p>
                    </div>
                    <canvas ref={work} hidden=true></canvas>
                </div>
                <div>
                    <h3>{"Scores"}</h3>
                    <ul class="class-scores" data-testid="vision-scores">
                        { for s.scores.iter().enumerate().map(|(k, &v)| html! {
                            <li data-label={labels.get(k).cloned().unwrap_or_default()} data-score={format!("{v:.5}")}
                                class={classes!((top == Some(k)).then_some("top"))}>
                                <span>{ labels.get(k).cloned().unwrap_or_default() }</span>
                                <span class="bar"><span style={format!("width:{:.1}%", (v.clamp(0.0, 1.0) * 100.0))}></span></span>
                                <span>{ format!("{v:.3}") }</span>
                            </li>
                        }) }
                    </ul>
                    <DemoStats info={s.model.clone()} board={props.board} last_ms={s.last_ms} id="vision" />
                </div>
            </div>
        </section>
    }
}

/// The camera into the video element, and a timer that classifies a frame every
/// [`FRAME_MS`] when the model is free.
async fn start_camera(
    inner: Rc<RefCell<Inner>>,
    video: NodeRef,
    work: NodeRef,
    redraw: UseForceUpdateHandle,
) -> Result<(), String> {
    let stream = media::user_media(false, true).await?;
    let element = video.cast::<HtmlVideoElement>().ok_or("no video element")?;
    element.set_src_object(Some(&stream));
    if let Ok(p) = element.play() {
        let _ = JsFuture::from(p).await;
    }
    let timer = {
        let inner = inner.clone();
        Interval::new(FRAME_MS, move || {
            let (Some(video), Some(canvas)) = (
                video.cast::<HtmlVideoElement>(),
                work.cast::<HtmlCanvasElement>(),
            ) else {
                return;
            };
            let Ok(mut s) = inner.try_borrow_mut() else {
                return;
            };
            if s.busy || video.ready_state() < 2 || video.video_width() == 0 {
                return;
            }
            let (w, h) = (video.video_width(), video.video_height());
            canvas.set_width(w);
            canvas.set_height(h);
            let Some(ctx) = media::context_2d(&canvas) else {
                return;
            };
            if ctx
                .draw_image_with_html_video_element(&video, 0.0, 0.0)
                .is_err()
            {
                return;
            }
            let Ok(data) = ctx.get_image_data(0.0, 0.0, f64::from(w), f64::from(h)) else {
                return;
            };
            if let Err(e) = s.classify(&data.data(), w, h) {
                s.error = Some(e);
            }
            drop(s);
            redraw.force_update();
        })
    };
    let mut s = inner.borrow_mut();
    s.stream = Some(stream);
    s.timer = Some(timer);
    s.source = Source::Camera;
    s.error = None;
    Ok(())
}

/// A picture file, decoded by the browser, drawn at its own size, classified once.
async fn classify_picture(
    inner: Rc<RefCell<Inner>>,
    file: web_sys::File,
    work: NodeRef,
) -> Result<(), String> {
    let name = file.name();
    let url = web_sys::Url::create_object_url_with_blob(&file).map_err(media::js_error)?;
    let img: HtmlImageElement = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("img").ok())
        .and_then(|e| e.dyn_into().ok())
        .ok_or("cannot make an image element")?;
    img.set_src(&url);
    JsFuture::from(img.decode())
        .await
        .map_err(|_| format!("{name}: the browser cannot decode this picture"))?;
    let (w, h) = (img.natural_width(), img.natural_height());
    let canvas = work.cast::<HtmlCanvasElement>().ok_or("no canvas")?;
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx = media::context_2d(&canvas).ok_or("no 2-D canvas")?;
    ctx.draw_image_with_html_image_element(&img, 0.0, 0.0)
        .map_err(media::js_error)?;
    let data = ctx
        .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
        .map_err(media::js_error)?;
    let mut s = inner.borrow_mut();
    if let Some(old) = s.picture_url.replace(url) {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
    s.source = Source::Picture(name);
    s.error = None;
    s.classify(&data.data(), w, h)
}
