//! Loading a model: drop a file, pick one, or take one from the gallery.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_file::callbacks::FileReader;
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

use crate::format;
use crate::state::GalleryEntry;

/// Props of [`LoadPanel`].
#[derive(Properties, PartialEq)]
pub struct LoadPanelProps {
    /// The project's models.
    pub gallery: Vec<GalleryEntry>,
    /// Name of the file being loaded, if any.
    pub loading: Option<String>,
    /// The last load's error, in plain words.
    pub error: Option<String>,
    /// A file's name and bytes, to load.
    pub onload: Callback<(String, Vec<u8>)>,
    /// Reading or fetching failed.
    pub onloadfail: Callback<String>,
}

/// Reads `file` and hands its bytes to `onload`, keeping the reader alive in `slot` until it
/// finishes (dropping a `FileReader` cancels the read).
fn read_file(
    file: web_sys::File,
    slot: Rc<RefCell<Option<FileReader>>>,
    onload: Callback<(String, Vec<u8>)>,
    onfail: Callback<String>,
) {
    let file = gloo_file::File::from(file);
    let name = file.name();
    let done = slot.clone();
    let reader = gloo_file::callbacks::read_as_bytes(&file, move |result| {
        match result {
            Ok(bytes) => onload.emit((name, bytes)),
            Err(e) => onfail.emit(format!("could not read the file: {e}")),
        }
        done.borrow_mut().take();
    });
    *slot.borrow_mut() = Some(reader);
}

/// The load panel.
#[function_component]
pub fn LoadPanel(props: &LoadPanelProps) -> Html {
    let reader = use_mut_ref(|| None::<FileReader>);
    let dragging = use_state(|| false);

    let onchange = {
        let (reader, onload, onfail) = (
            reader.clone(),
            props.onload.clone(),
            props.onloadfail.clone(),
        );
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                read_file(file, reader.clone(), onload.clone(), onfail.clone());
            }
            // Picking the same file again must load it again.
            input.set_value("");
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let (reader, onload, onfail, dragging) = (
            reader.clone(),
            props.onload.clone(),
            props.onloadfail.clone(),
            dragging.clone(),
        );
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let file = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                read_file(file, reader.clone(), onload.clone(), onfail.clone());
            }
        })
    };

    let gallery = if props.gallery.is_empty() {
        html! {
            <p class="hint" data-testid="gallery-empty">
                {"The project's own models appear here once models/ has some."}
            </p>
        }
    } else {
        html! {
            <ul class="gallery" data-testid="gallery">
                { for props.gallery.iter().map(|entry| {
                    let onclick = {
                        let (entry, onload, onfail) =
                            (entry.clone(), props.onload.clone(), props.onloadfail.clone());
                        Callback::from(move |_| {
                            let (entry, onload, onfail) =
                                (entry.clone(), onload.clone(), onfail.clone());
                            wasm_bindgen_futures::spawn_local(async move {
                                match fetch_bytes(&entry.path).await {
                                    Ok(bytes) => onload.emit((entry.name.clone(), bytes)),
                                    Err(e) => onfail.emit(e),
                                }
                            });
                        })
                    };
                    html! {
                        <li>
                            <button class="link" {onclick}>{ &entry.name }</button>
                            <span class="muted">{ format!(" {}", format::bytes(entry.bytes)) }</span>
                        </li>
                    }
                }) }
            </ul>
        }
    };

    html! {
        <section class="panel load">
            <h2>{"1. Load a model"}</h2>
            <label
                class={classes!("dropzone", (*dragging).then_some("dragging"))}
                {ondragover}
                {ondragleave}
                {ondrop}
            >
                <span>{"Drop a .tflite file here, or "}</span>
                <input
                    type="file"
                    id="model-file"
                    data-testid="model-file"
                    accept=".tflite"
                    {onchange}
                />
            </label>
            if let Some(name) = &props.loading {
                <p class="status">{ format!("Loading {name}…") }</p>
            }
            if let Some(e) = &props.error {
                <p class="error">{"The engine cannot load this file: "}
                    <span data-testid="load-error">{ e }</span></p>
            }
            <h3>{"Gallery"}</h3>
            { gallery }
        </section>
    }
}

async fn fetch_bytes(path: &str) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(path)
        .send()
        .await
        .map_err(|e| format!("could not fetch {path}: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "could not fetch {path}: HTTP {}",
            response.status()
        ));
    }
    response
        .binary()
        .await
        .map_err(|e| format!("could not fetch {path}: {e}"))
}
