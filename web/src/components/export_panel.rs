//! Export and flash: the loaded model as a firmware image for a board (the files
//! `tinyml export` writes, made by the same deploy code on the same firmware template), saved as
//! a download or written to an attached board over WebUSB: an STM32 through its ROM
//! bootloader's DfuSe, a Raspberry Pi Pico through its boot ROM's PICOBOOT interface.
//!
//! The firmware templates are built with the page (web/firmware.sh) and fetched from
//! `firmware/<board>.tmlf` only when this panel is used, so they cost nothing at first load. The
//! image is made in the engine worker; flashing runs here (WebUSB is the page's), awaiting each
//! transfer, so the page stays responsive throughout.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tinyml_deploy::board::{Board, Loader, BOARDS};
use tinyml_deploy::dfuse::{self, DeviceInfo, FlashError, Phase, Progress};
use tinyml_deploy::format::{Format, FORMATS};
use tinyml_deploy::image::{FlashImage, Segment};
use tinyml_deploy::picoboot;
use wasm_bindgen::JsCast;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::format;
use crate::protocol::{ExportReport, Request};
use crate::state::{InputKind, State};
use crate::webusb::picoboot::Picoboot;
use crate::webusb::Dfu;

/// Props of [`ExportPanel`].
#[derive(Properties, PartialEq)]
pub struct ExportPanelProps {
    /// Page state (the model, the run panel's input choice, the last export).
    pub state: UseReducerHandle<State>,
    /// Sends a request to the engine worker.
    pub onrequest: Callback<Request>,
}

/// What an export was asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Purpose {
    Download,
    Flash,
}

/// The flashing flow, as shown.
#[derive(Clone, Debug, PartialEq)]
enum FlashStatus {
    Idle,
    Connecting,
    Working(Progress),
    Done(String),
    Failed(String, Option<&'static str>),
}

/// The board being flashed, opened and claimed.
enum Flasher {
    /// An STM32's ROM bootloader (DfuSe).
    Stm32(Dfu),
    /// A Pico's boot ROM (PICOBOOT).
    Pico(Picoboot),
}

impl Flasher {
    /// Asks for the board's bootloader in the browser's chooser and opens it.
    async fn request(board: &Board) -> Result<Flasher, (String, Option<&'static str>)> {
        if board.loader == Loader::Rp2040BootRom {
            Picoboot::request()
                .await
                .map(Flasher::Pico)
                .map_err(|e| (e.to_string(), e.detail()))
        } else {
            Dfu::request()
                .await
                .map(Flasher::Stm32)
                .map_err(|e| (e.to_string(), e.detail()))
        }
    }

    /// Lets go of the device.
    async fn close(&mut self) {
        match self {
            Flasher::Stm32(dfu) => dfu.close().await,
            Flasher::Pico(pico) => pico.close().await,
        }
    }
}

/// A saved file: its name and an object URL of its bytes.
#[derive(Clone, Debug, PartialEq)]
struct Link {
    name: String,
    url: String,
    bytes: usize,
    testid: &'static str,
}

/// Fetched firmware templates by board name.
type Templates = Rc<RefCell<HashMap<&'static str, Vec<u8>>>>;

/// The Export panel.
#[function_component]
pub fn ExportPanel(props: &ExportPanelProps) -> Html {
    let state = &props.state;
    let board = use_state(|| BOARDS[0].name);
    let format_name = use_state(|| "bin");
    let pending: Rc<RefCell<Option<Purpose>>> = use_mut_ref(|| None);
    let busy = use_state(|| None::<Purpose>);
    let fetch_error = use_state(|| None::<String>);
    let device: Rc<RefCell<Option<Flasher>>> = use_mut_ref(|| None);
    let flash_status = use_state(|| FlashStatus::Idle);
    // The files of the last download export, with that export's number (for tests to wait on).
    let links = use_state(|| (0u32, Vec::<Link>::new()));
    // Flash attempts so far: each status line says which attempt it is about.
    let attempt = use_state(|| 0u32);
    let templates: Templates = use_mut_ref(HashMap::new);

    // A finished export: save its files, or flash its image.
    {
        let (pending, busy, device, flash_status, links) = (
            pending.clone(),
            busy.clone(),
            device.clone(),
            flash_status.clone(),
            links.clone(),
        );
        let export = state.export.clone();
        use_effect_with(state.export_seq, move |&seq| {
            let purpose = pending.borrow_mut().take();
            match (purpose, export) {
                (Some(Purpose::Download), Some(Ok(report))) => {
                    busy.set(None);
                    let made = make_links(&report);
                    // One file saves at once; the C array's two are links to click (browsers
                    // hold back a second download that no click asked for).
                    if let ([_], Some(first)) = (&report.files[..], made.first()) {
                        click_download(first);
                    }
                    revoke(&links.1);
                    links.set((seq, made));
                }
                (Some(Purpose::Flash), Some(Ok(report))) => {
                    let dfu = device.borrow_mut().take();
                    if let Some(dfu) = dfu {
                        wasm_bindgen_futures::spawn_local(flash_image(
                            dfu,
                            report,
                            flash_status,
                            busy,
                        ));
                    } else {
                        busy.set(None);
                    }
                }
                (Some(Purpose::Flash), _) => {
                    // The export failed (its message shows): let go of the device.
                    let taken = device.borrow_mut().take();
                    if let Some(mut dfu) = taken {
                        wasm_bindgen_futures::spawn_local(async move { dfu.close().await });
                    }
                    flash_status.set(FlashStatus::Idle);
                    busy.set(None);
                }
                (Some(Purpose::Download), _) => busy.set(None),
                (None, _) => {}
            }
        });
    }

    let Some(model) = &state.model else {
        return html! {};
    };
    let chosen = Board::by_name(&board).unwrap_or(&BOARDS[0]);

    let onboard = {
        let (board, format_name) = (board.clone(), format_name.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(b) = Board::by_name(&select.value()) {
                board.set(b.name);
                // Keep the format if this board's loader reads it, else its first that it does.
                let suits = |f: &Format| f.unsuitable_for(b).is_none();
                let current = Format::by_name(&format_name).filter(suits);
                if let Some(f) = current.or_else(|| FORMATS.iter().copied().find(suits)) {
                    format_name.set(f.name());
                }
            }
        })
    };
    let onformat = {
        let format_name = format_name.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(f) = FORMATS.iter().find(|f| f.name() == select.value()) {
                format_name.set(f.name());
            }
        })
    };

    // Starts an export in the worker once the board's template is here.
    let start_export = {
        let (templates, onrequest, state, fetch_error, pending, busy) = (
            templates.clone(),
            props.onrequest.clone(),
            state.clone(),
            fetch_error.clone(),
            pending.clone(),
            busy.clone(),
        );
        move |purpose: Purpose, board: &'static str, format: &'static str| {
            let (templates, onrequest, fetch_error, pending, busy) = (
                templates.clone(),
                onrequest.clone(),
                fetch_error.clone(),
                pending.clone(),
                busy.clone(),
            );
            let input = state.input_choice();
            async move {
                let template = if format == "c" {
                    Vec::new()
                } else {
                    match template_for(&templates, board).await {
                        Ok(t) => t,
                        Err(e) => {
                            fetch_error.set(Some(e));
                            busy.set(None);
                            return false;
                        }
                    }
                };
                fetch_error.set(None);
                *pending.borrow_mut() = Some(purpose);
                onrequest.emit(Request::Export {
                    board: board.into(),
                    format: format.into(),
                    template,
                    input,
                });
                true
            }
        }
    };

    let ondownload = {
        let (busy, start_export) = (busy.clone(), start_export.clone());
        let (board, format_name) = (*board, *format_name);
        Callback::from(move |_| {
            if busy.is_some() {
                return;
            }
            busy.set(Some(Purpose::Download));
            let run = start_export(Purpose::Download, board, format_name);
            wasm_bindgen_futures::spawn_local(async move {
                run.await;
            });
        })
    };

    let onflash = {
        let (busy, device, flash_status) = (busy.clone(), device.clone(), flash_status.clone());
        let board = chosen;
        let attempt = attempt.clone();
        Callback::from(move |_| {
            if busy.is_some() {
                return;
            }
            attempt.set(*attempt + 1);
            busy.set(Some(Purpose::Flash));
            flash_status.set(FlashStatus::Connecting);
            let (busy, device, flash_status) = (busy.clone(), device.clone(), flash_status.clone());
            let start_export = start_export.clone();
            // The chooser first, while the click still counts as a user gesture.
            wasm_bindgen_futures::spawn_local(async move {
                match Flasher::request(board).await {
                    Ok(flasher) => {
                        *device.borrow_mut() = Some(flasher);
                        if !start_export(Purpose::Flash, board.name, "bin").await {
                            let taken = device.borrow_mut().take();
                            if let Some(mut dfu) = taken {
                                dfu.close().await;
                            }
                            flash_status.set(FlashStatus::Idle);
                        }
                    }
                    Err((text, detail)) => {
                        flash_status.set(FlashStatus::Failed(text, detail));
                        busy.set(None);
                    }
                }
            });
        })
    };

    let input_note = match (*format_name, state.input_kind) {
        ("c", _) => "The C array holds the model only; the input is not used.".to_string(),
        (_, InputKind::Zero) => "The image runs the model once at boot on zeros (each input's zero point), the run panel's input.".into(),
        (_, InputKind::Random) => format!("The image runs the model once at boot on the run panel's random input (seed {}).", state.seed),
        (_, InputKind::File) => match &state.input_file {
            Some((name, _)) => format!("The image runs the model once at boot on the run panel's input file {name}."),
            None => "No input file chosen in the run panel: the image runs on zeros.".into(),
        },
    };

    let export_result = match &state.export {
        Some(Err(e)) => {
            html! { <p class="error" data-testid="export-error" data-seq={state.export_seq.to_string()}>{ e }</p> }
        }
        Some(Ok(r)) => {
            html! { <p class="muted" data-testid="export-summary" data-seq={state.export_seq.to_string()}>{ &r.summary }</p> }
        }
        None => html! {},
    };
    let fetch_problem = match &*fetch_error {
        Some(e) => html! { <p class="error" data-testid="export-error">{ e }</p> },
        None => html! {},
    };

    let flash_view = match &*flash_status {
        FlashStatus::Idle => html! {},
        FlashStatus::Connecting => {
            html! { <p class="muted" data-testid="flash-status" data-attempt={attempt.to_string()}>{"Choose the board in the browser's list…"}</p> }
        }
        FlashStatus::Working(p) => {
            let what = match p.phase {
                Phase::Erase => format!("Erasing sector {} of {}", p.done + 1, p.total),
                Phase::Write => format!(
                    "Writing: {} of {} B",
                    format::thousands(p.done),
                    format::thousands(p.total)
                ),
                Phase::Verify => format!(
                    "Reading back: {} of {} B",
                    format::thousands(p.done),
                    format::thousands(p.total)
                ),
            };
            html! {
                <div data-testid="flash-progress" data-attempt={attempt.to_string()}>
                    <progress max={p.total.max(1).to_string()} value={p.done.to_string()} />
                    <span class="muted">{ " " }{ what }</span>
                </div>
            }
        }
        FlashStatus::Done(text) => {
            html! { <p class="ok" data-testid="flash-status" data-state="done" data-attempt={attempt.to_string()}>{ text }</p> }
        }
        FlashStatus::Failed(text, detail) => html! {
            <div class="error" data-testid="flash-status" data-state="failed" data-attempt={attempt.to_string()}>
                <p>{ text }</p>
                if let Some(detail) = detail {
                    <pre data-testid="udev-rule">{ *detail }</pre>
                }
            </div>
        },
    };

    let flash_title = match chosen.loader {
        Loader::Rp2040BootRom => "Write the image to a Pico in BOOTSEL mode over WebUSB (PICOBOOT)",
        _ => "Write the image to an STM32 in DFU mode (BOOT0 high) over WebUSB",
    };
    // QEMU-only "boards" are for the CLI's emulator checks, not for people's hardware.
    let board_options = BOARDS.iter().filter(|b| b.loader != Loader::Emulator).map(|b| {
        html! { <option value={b.name} selected={b.name == *board}>{ format!("{} — {}", b.name, b.title) }</option> }
    });
    let format_options = FORMATS.iter().map(|f| {
        let label = match f.name() {
            "bin" => format!("bin — raw flash from 0x{:08x}", chosen.flash_origin),
            "hex" => "hex — Intel HEX".into(),
            "dfu" => "dfu — DfuSe file (dfu-util -a 0 -D)".into(),
            "uf2" if chosen.loader == Loader::Rp2040BootRom => "uf2 — drop onto RPI-RP2".into(),
            "uf2" => "uf2 — for UF2 bootloaders".into(),
            _ => "c — model_data.cc / .h for your own firmware".into(),
        };
        let unsuitable = f.unsuitable_for(chosen);
        html! {
            <option value={f.name()} selected={f.name() == *format_name} disabled={unsuitable.is_some()}
                title={unsuitable.unwrap_or_default()}>{ label }</option>
        }
    });

    html! {
        <div class="export-panel" data-testid="export-panel" data-attempt={attempt.to_string()}>
            <p class="hint">
                { format!("{} as a firmware image: the {} firmware template (the same engine, built for {}) \
                    with the model in its flash slot, exactly the bytes `tinyml export` writes. ",
                    model.name, chosen.name, chosen.firmware_target) }
            </p>
            <div class="export-controls">
                <label>{"Board "}
                    <select id="export-board" data-testid="export-board" onchange={onboard}>{ for board_options }</select>
                </label>
                <label>{" Format "}
                    <select id="export-format" data-testid="export-format" onchange={onformat}>{ for format_options }</select>
                </label>
            </div>
            <p class="muted">
                { format!("{}: {} flash, {} SRAM. ", chosen.chip, format::bytes(chosen.flash_bytes as usize), format::bytes(chosen.sram_bytes as usize)) }
                { input_note }
            </p>
            <p>
                <button class="primary" id="export-download" data-testid="export-download" onclick={ondownload} disabled={busy.is_some()}>
                    { if *busy == Some(Purpose::Download) { "Exporting…" } else { "Download" } }
                </button>
                { " " }
                <button class="secondary" id="export-flash" data-testid="export-flash" onclick={onflash}
                    disabled={busy.is_some() || chosen.loader == Loader::Emulator}
                    title={flash_title}>
                    { if *busy == Some(Purpose::Flash) { "Flashing…" } else { "Flash over WebUSB" } }
                </button>
            </p>
            if chosen.loader == Loader::Rp2040BootRom {
                <p class="muted" data-testid="flash-how">{"Hold BOOTSEL while plugging the Pico in, then Flash: \
                    the page writes the .bin at 0x10000000 through the boot ROM's PICOBOOT interface (\"RP2 Boot\" \
                    in the browser's list), reads it back and reboots the Pico into it. Without WebUSB, download \
                    the .uf2 and drop it onto the RPI-RP2 drive."}</p>
            } else if chosen.loader == Loader::Stm32 {
                <p class="muted" data-testid="flash-how">{"Set BOOT0 high and reset (or plug in) the board, then Flash: \
                    the page writes the image through the STM32 ROM bootloader's DfuSe (\"STM32 BOOTLOADER\" in \
                    the browser's list), reads it back and leaves DFU mode."}</p>
            }
            { fetch_problem }
            { export_result }
            if !links.1.is_empty() {
                <p class="export-files" data-seq={links.0.to_string()}>
                    { for links.1.iter().map(|l| html! {
                        <><a href={l.url.clone()} download={l.name.clone()} data-testid={l.testid} data-name={l.name.clone()}>
                            { format!("{} ({} B)", l.name, format::thousands(l.bytes)) }
                        </a>{ " " }</>
                    }) }
                </p>
            }
            { flash_view }
        </div>
    }
}

/// The board's firmware template, fetched once from `firmware/<board>.tmlf`.
async fn template_for(templates: &Templates, board: &'static str) -> Result<Vec<u8>, String> {
    if let Some(t) = templates.borrow().get(board) {
        return Ok(t.clone());
    }
    let path = format!("firmware/{board}.tmlf");
    let response = gloo_net::http::Request::get(&path)
        .send()
        .await
        .map_err(|e| format!("cannot fetch the firmware template {path}: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "the firmware template {path} is missing from this build (HTTP {})",
            response.status()
        ));
    }
    let bytes = response
        .binary()
        .await
        .map_err(|e| format!("cannot read the firmware template {path}: {e}"))?;
    templates.borrow_mut().insert(board, bytes.clone());
    Ok(bytes)
}

/// Writes the exported image to the device, then lets go of it whatever happened.
async fn flash_image(
    mut flasher: Flasher,
    report: ExportReport,
    status: UseStateHandle<FlashStatus>,
    busy: UseStateHandle<Option<Purpose>>,
) {
    let result = match Board::by_name(&report.board) {
        None => Err((format!("unknown board {}", report.board), None)),
        Some(board) => {
            let image = FlashImage {
                board,
                segments: report
                    .segments
                    .into_iter()
                    .map(|(address, data)| Segment { address, data })
                    .collect(),
            };
            let progress_status = status.clone();
            let mut progress = move |p: Progress| progress_status.set(FlashStatus::Working(p));
            match &mut flasher {
                Flasher::Stm32(dfu) => flash_stm32(dfu, &image, &mut progress).await,
                Flasher::Pico(pico) => flash_pico(pico, &image, &mut progress).await,
            }
        }
    };
    flasher.close().await;
    status.set(match result {
        Ok(text) => FlashStatus::Done(text),
        Err((text, detail)) => FlashStatus::Failed(text, detail),
    });
    busy.set(None);
}

/// A status line, or a message and the text to show verbatim under it.
type Outcome = Result<String, (String, Option<&'static str>)>;

async fn flash_stm32(
    dfu: &mut Dfu,
    image: &FlashImage,
    progress: &mut dyn FnMut(Progress),
) -> Outcome {
    let layout = dfu.layout.clone();
    let info = DeviceInfo {
        flash_layout: &layout,
        ..dfu.info()
    };
    dfuse::flash(dfu, &info, image, progress)
        .await
        .map_err(|e| match e {
            FlashError::Transport(u) => {
                let detail = u.detail();
                (u.to_string(), detail)
            }
            other => (other.to_string(), None),
        })
        .map(|r| {
            format!(
                "Flashed {}: {} sectors erased, {} B written and read back; the board \
                 left DFU mode and runs the image.",
                image.board.name,
                r.sectors_erased,
                format::thousands(r.bytes_written)
            )
        })
}

async fn flash_pico(
    pico: &mut Picoboot,
    image: &FlashImage,
    progress: &mut dyn FnMut(Progress),
) -> Outcome {
    let info = pico.info();
    picoboot::flash(pico, &info, image, progress)
        .await
        .map_err(|e| match e {
            picoboot::FlashError::Transport(u) => {
                let detail = u.detail();
                (u.to_string(), detail)
            }
            other => (other.to_string(), None),
        })
        .map(|r| {
            format!(
                "Flashed {}: {} sectors of 4 KB erased, {} pages of 256 B written, {} B read \
                 back; the Pico rebooted and runs the image.",
                image.board.name,
                r.sectors_erased,
                format::thousands(r.pages_written),
                format::thousands(r.bytes_written)
            )
        })
}

/// Object URLs for an export's files, and for the input it carries.
fn make_links(report: &ExportReport) -> Vec<Link> {
    let mut out: Vec<Link> = report
        .files
        .iter()
        .filter_map(|f| {
            Some(Link {
                name: f.name.clone(),
                url: object_url(&f.bytes)?,
                bytes: f.bytes.len(),
                testid: "export-file",
            })
        })
        .collect();
    if !report.input.is_empty() {
        if let Some(url) = object_url(&report.input) {
            out.push(Link {
                name: "input.bin".into(),
                url,
                bytes: report.input.len(),
                testid: "export-input",
            });
        }
    }
    out
}

fn object_url(bytes: &[u8]) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

fn revoke(links: &[Link]) {
    for l in links.iter() {
        let _ = web_sys::Url::revoke_object_url(&l.url);
    }
}

/// Saves a file as a browser download.
fn click_download(link: &Link) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(a) = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    else {
        return;
    };
    a.set_href(&link.url);
    a.set_download(&link.name);
    a.click();
}
