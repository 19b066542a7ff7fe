//! Small views the demo pages share: class-score bars, a raster as the model sees it, a
//! progress bar and a confusion matrix. Each draws plain data; the pages own the state.

use yew::prelude::*;

/// Props of [`ScoreBars`].
#[derive(Properties, PartialEq)]
pub struct ScoreBarsProps {
    /// Class names, in the model's order.
    pub labels: Vec<String>,
    /// One score (0..1) per class.
    pub scores: Vec<f64>,
    /// Test id (`digits-scores`); each bar is `{id}-{label}` with `data-score`.
    pub id: String,
}

/// One horizontal bar per class, the best highlighted.
#[function_component]
pub fn ScoreBars(props: &ScoreBarsProps) -> Html {
    let best = crate::demo_core::quant::argmax(&props.scores);
    html! {
        <div class="score-bars" data-testid={props.id.clone()}>
            { for props.labels.iter().zip(&props.scores).enumerate().map(|(i, (label, &s))| html! {
                <div class={classes!("score-row", (Some(i) == best).then_some("best"))}
                     data-testid={format!("{}-{label}", props.id)} data-score={format!("{s:.6}")}>
                    <span class="score-label">{ label }</span>
                    <span class="score-bar"><span style={format!("width: {:.1}%", (s.clamp(0.0, 1.0) * 100.0))}></span></span>
                    <span class="score-value">{ format!("{:.1}%", s * 100.0) }</span>
                </div>
            }) }
        </div>
    }
}

/// Props of [`RasterView`].
#[derive(Properties, PartialEq)]
pub struct RasterViewProps {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major pixels: 1 byte (gray) or 3 bytes (RGB) each, 0..255.
    pub pixels: Vec<u8>,
    /// Bytes a pixel (1 or 3).
    pub channels: usize,
    /// Test id; the pixels are also in `data-pixels` (hex) so tests read what the model reads.
    pub id: String,
}

/// The pixels, one SVG square each (black background; only lit pixels are drawn).
#[function_component]
pub fn RasterView(props: &RasterViewProps) -> Html {
    let c = props.channels.max(1);
    let hex: String = props.pixels.iter().map(|b| format!("{b:02x}")).collect();
    let lit = props
        .pixels
        .chunks_exact(c)
        .enumerate()
        .filter(|(_, px)| px.iter().any(|&v| v > 0))
        .map(|(i, px)| {
            let (x, y) = (i % props.width.max(1), i / props.width.max(1));
            let fill = match px {
                [r, g, b] => format!("rgb({r},{g},{b})"),
                [v, ..] => format!("rgb({v},{v},{v})"),
                [] => String::new(),
            };
            html! { <rect x={x.to_string()} y={y.to_string()} width="1" height="1" {fill} /> }
        });
    html! {
        <svg class="raster" viewBox={format!("0 0 {} {}", props.width, props.height)}
             shape-rendering="crispEdges" data-testid={props.id.clone()} data-pixels={hex}>
            <rect x="0" y="0" width={props.width.to_string()} height={props.height.to_string()} fill="black" />
            { for lit }
        </svg>
    }
}

/// Props of [`Progress`].
#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    /// Done.
    pub done: u32,
    /// In all.
    pub total: u32,
    /// Test id.
    pub id: String,
    /// What is progressing.
    pub label: String,
}

/// A labelled progress bar.
#[function_component]
pub fn Progress(props: &ProgressProps) -> Html {
    html! {
        <div class="demo-progress">
            <label>{ format!("{} {} / {}", props.label, props.done, props.total) }
                <progress data-testid={props.id.clone()} max={props.total.max(1).to_string()} value={props.done.to_string()}></progress>
            </label>
        </div>
    }
}

/// Props of [`ConfusionTable`].
#[derive(Properties, PartialEq)]
pub struct ConfusionTableProps {
    /// Class names.
    pub labels: Vec<String>,
    /// `matrix[true][predicted]`.
    pub matrix: Vec<Vec<u32>>,
    /// Test id; the matrix is also in `data-matrix` (JSON).
    pub id: String,
}

/// A confusion matrix: rows the true class, columns the predicted one, the diagonal marked and
/// each cell shaded by its share of its row.
#[function_component]
pub fn ConfusionTable(props: &ConfusionTableProps) -> Html {
    let json = format!(
        "[{}]",
        props
            .matrix
            .iter()
            .map(|r| format!(
                "[{}]",
                r.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    html! {
        <table class="confusion" data-testid={props.id.clone()} data-matrix={json}>
            <thead><tr><th title="true ↓ / predicted →">{"↓ / →"}</th>
                { for props.labels.iter().map(|l| html! { <th>{ l }</th> }) }
            </tr></thead>
            <tbody>
            { for props.matrix.iter().enumerate().map(|(t, row)| {
                let sum: u32 = row.iter().sum();
                html! {
                    <tr>
                        <th>{ props.labels.get(t).cloned().unwrap_or_default() }</th>
                        { for row.iter().enumerate().map(|(p, &v)| {
                            let share = if sum > 0 { v as f64 / sum as f64 } else { 0.0 };
                            let style = if v == 0 { String::new() } else if p == t {
                                format!("background: rgba(40, 140, 80, {:.2})", 0.15 + 0.6 * share)
                            } else {
                                format!("background: rgba(200, 60, 40, {:.2})", 0.2 + 0.8 * share)
                            };
                            html! { <td {style} class={classes!((p == t).then_some("diag"))}>{ if v == 0 { String::new() } else { v.to_string() } }</td> }
                        }) }
                    </tr>
                }
            }) }
            </tbody>
        </table>
    }
}

/// What a pointer does on a drawing surface, in the surface's own coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PenEvent {
    /// Pressed at (x, y).
    Down(f64, f64),
    /// Moved to (x, y) (pressed or not: the page's state knows).
    Move(f64, f64),
    /// Released or cancelled.
    Up,
}

/// The pointer handlers of a drawing surface: attach `surface` as its `ref` and the three
/// callbacks to `onpointerdown`, `onpointermove` and `onpointerup`/`onpointercancel`.
pub struct Pen {
    /// The surface element.
    pub surface: NodeRef,
    /// `onpointerdown`: captures the pointer, so a stroke leaving the surface still ends.
    pub down: Callback<PointerEvent>,
    /// `onpointermove`.
    pub moved: Callback<PointerEvent>,
    /// `onpointerup` and `onpointercancel`.
    pub up: Callback<PointerEvent>,
}

/// Mouse, pen and touch on a surface drawn `size` × `size` units wide (whatever its CSS size),
/// reported to `on` in those units.
#[hook]
pub fn use_pen(size: f64, on: Callback<PenEvent>) -> Pen {
    let surface = use_node_ref();
    let to_surface = {
        let surface = surface.clone();
        move |e: &PointerEvent| -> Option<(f64, f64)> {
            let r = surface
                .cast::<web_sys::Element>()?
                .get_bounding_client_rect();
            if r.width() <= 0.0 || r.height() <= 0.0 {
                return None;
            }
            Some((
                (e.client_x() as f64 - r.left()) * size / r.width(),
                (e.client_y() as f64 - r.top()) * size / r.height(),
            ))
        }
    };
    let down = {
        let (on, to_surface, surface) = (on.clone(), to_surface.clone(), surface.clone());
        Callback::from(move |e: PointerEvent| {
            e.prevent_default();
            if let Some(el) = surface.cast::<web_sys::Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            if let Some((x, y)) = to_surface(&e) {
                on.emit(PenEvent::Down(x, y));
            }
        })
    };
    let moved = {
        let on = on.clone();
        Callback::from(move |e: PointerEvent| {
            if let Some((x, y)) = to_surface(&e) {
                on.emit(PenEvent::Move(x, y));
            }
        })
    };
    let up = Callback::from(move |_: PointerEvent| on.emit(PenEvent::Up));
    Pen {
        surface,
        down,
        moved,
        up,
    }
}
