//! Browser plumbing the Wake word and Vision pages share: the microphone and the camera
//! (getUserMedia), an AudioWorklet that posts the audio to the page, canvas pixels in and out,
//! and file reading. Nothing here decides anything: the pages' logic lives in `crate::audio`
//! and `tinyml_engine::image`, which build and test on the host.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioNode, AudioWorkletNode, CanvasRenderingContext2d, HtmlCanvasElement,
    MediaStream, MediaStreamConstraints, MessageEvent,
};

/// The AudioWorklet module (static/capture-worklet.js, copied beside the page by Trunk).
const WORKLET_JS: &str = "capture-worklet.js";
/// The processor it registers.
const WORKLET_NAME: &str = "tinyml-capture";

/// A JS error in words.
pub fn js_error(e: JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// The microphone or the camera (`audio` or `video`): asks the user, once.
pub async fn user_media(audio: bool, video: bool) -> Result<MediaStream, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this browser offers no camera or microphone (is the page served over https or localhost?)")?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::from_bool(audio));
    constraints.set_video(&JsValue::from_bool(video));
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(js_error)?;
    let stream = JsFuture::from(promise).await.map_err(js_error)?;
    stream
        .dyn_into::<MediaStream>()
        .map_err(|_| "getUserMedia returned no stream".to_string())
}

/// Stops every track of `stream` (the browser's recording indicator goes off).
pub fn stop_stream(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// An audio graph whose worklet hands blocks of samples to the page; dropping it closes it.
pub struct Capture {
    /// The context (its `sample_rate` is the device's).
    pub context: AudioContext,
    /// The worklet node: connect sources to it.
    pub node: AudioWorkletNode,
    /// Kept alive while the capture runs.
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
}

impl Capture {
    /// A running AudioContext with the capture worklet loaded; `on_block` gets every block of
    /// mono float samples (channel 0) at the context's rate.
    pub async fn new(on_block: impl FnMut(Vec<f32>) + 'static) -> Result<Capture, String> {
        let context = AudioContext::new().map_err(js_error)?;
        let url = crate::app::asset_url(WORKLET_JS);
        let module = context
            .audio_worklet()
            .map_err(js_error)?
            .add_module(&url)
            .map_err(js_error)?;
        JsFuture::from(module).await.map_err(js_error)?;
        let node = AudioWorkletNode::new(&context, WORKLET_NAME).map_err(js_error)?;
        // The worklet has an output only so that the graph pulls it; it is silenced here.
        let mute = context.create_gain().map_err(js_error)?;
        mute.gain().set_value(0.0);
        node.connect_with_audio_node(&mute).map_err(js_error)?;
        mute.connect_with_audio_node(&context.destination())
            .map_err(js_error)?;
        let mut on_block = on_block;
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Ok(block) = e.data().dyn_into::<js_sys::Float32Array>() {
                on_block(block.to_vec());
            }
        });
        node.port()
            .map_err(js_error)?
            .set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        if let Ok(p) = context.resume() {
            JsFuture::from(p).await.map_err(js_error)?;
        }
        Ok(Capture {
            context,
            node,
            _onmessage: onmessage,
        })
    }

    /// The device's sample rate.
    pub fn rate(&self) -> u32 {
        self.context.sample_rate() as u32
    }

    /// Feeds `stream`'s audio (the microphone) into the worklet.
    pub fn connect_stream(&self, stream: &MediaStream) -> Result<(), String> {
        let source = self
            .context
            .create_media_stream_source(stream)
            .map_err(js_error)?;
        source
            .connect_with_audio_node(&self.node)
            .map_err(js_error)?;
        Ok(())
    }

    /// Plays `samples` (mono, at `rate`; over and over if `looped`) into the worklet and to the
    /// speakers; `onended` when done. The browser resamples them to the device rate, as it
    /// would a microphone's.
    pub fn play(
        &self,
        samples: &[f32],
        rate: u32,
        looped: bool,
        onended: impl FnOnce() + 'static,
    ) -> Result<(), String> {
        let length = samples.len().max(1) as u32;
        let buffer = self
            .context
            .create_buffer(1, length, rate as f32)
            .map_err(js_error)?;
        buffer.copy_to_channel(samples, 0).map_err(js_error)?;
        let source = self.context.create_buffer_source().map_err(js_error)?;
        source.set_buffer(Some(&buffer));
        source.set_loop(looped);
        source
            .connect_with_audio_node(&self.node)
            .map_err(js_error)?;
        let speakers: &AudioNode = &self.context.destination();
        source.connect_with_audio_node(speakers).map_err(js_error)?;
        let ended = Closure::once_into_js(onended);
        source
            .add_event_listener_with_callback("ended", ended.unchecked_ref())
            .map_err(js_error)?;
        source.start().map_err(js_error)?;
        Ok(())
    }
}

/// Dropping the capture closes its context (and with it the graph), once.
impl Drop for Capture {
    fn drop(&mut self) {
        // Blocks the worklet already posted must not reach the closure dropped with `self`.
        if let Ok(port) = self.node.port() {
            port.set_onmessage(None);
        }
        let _ = self.context.close();
    }
}

/// The 2-D context of a canvas.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
}

/// Draws RGBA pixels (`width` x `height`) onto `canvas`, resizing it to them.
pub fn put_rgba(canvas: &HtmlCanvasElement, rgba: &[u8], width: u32, height: u32) {
    if canvas.width() != width || canvas.height() != height {
        canvas.set_width(width);
        canvas.set_height(height);
    }
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    if let Ok(data) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(rgba),
        width,
        height,
    ) {
        let _ = ctx.put_image_data(&data, 0.0, 0.0);
    }
}

/// The bytes of a file the user picked.
pub async fn read_file(file: web_sys::File) -> Result<(String, Vec<u8>), String> {
    let file = gloo_file::File::from(file);
    let name = file.name();
    let bytes = gloo_file::futures::read_as_bytes(&file)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    Ok((name, bytes))
}

/// The first file of an `<input type=file>`'s change event.
pub fn picked_file(e: &yew::Event) -> Option<web_sys::File> {
    let input: web_sys::HtmlInputElement = e.target()?.dyn_into().ok()?;
    input.files().and_then(|f| f.get(0))
}
