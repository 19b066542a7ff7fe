//! The arena plan as a picture: x = execution step, y = arena offset, one box per planned
//! buffer; the persistent region (parameters, state, the engine's records) at the top, scratch
//! hatched, and the board's budget drawn as a line.

use yew::prelude::*;

use crate::format;
use crate::protocol::ModelReport;
use crate::state::Selection;

/// Props of [`MemoryView`].
#[derive(Properties, PartialEq)]
pub struct MemoryViewProps {
    /// The model.
    pub model: ModelReport,
    /// The arena budget of the chosen board.
    pub budget: usize,
    /// The board's name, for the budget line.
    pub board_name: AttrValue,
    /// Select a tensor (or an op, for its scratch).
    pub onselect: Callback<Option<Selection>>,
}

const W: f64 = 920.0;
const H: f64 = 420.0;
const LEFT: f64 = 86.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// The memory picture.
#[function_component]
pub fn MemoryView(props: &MemoryViewProps) -> Html {
    let m = &props.model;
    let steps = (m.steps as f64).max(1.0);
    // The scale follows the arena; a budget far above it is marked at the top instead of
    // squashing the plan into a sliver.
    let budget_off_scale = props.budget as f64 > m.arena_bytes as f64 * 1.5;
    let y_max = if budget_off_scale {
        m.arena_bytes as f64 * 1.15
    } else {
        m.arena_bytes.max(props.budget) as f64 * 1.06
    }
    .max(1.0);
    let x_of = |step: f64| LEFT + (W - LEFT - RIGHT) * step / steps;
    let y_of = |offset: f64| H - BOTTOM - (H - TOP - BOTTOM) * offset / y_max;

    let persistent_at = m.arena_bytes - m.persistent;
    let boxes = m.plan.iter().filter(|p| p.kind != "alias" && p.size > 0).map(|p| {
        let (x0, x1) = if p.kind == "variable" {
            (x_of(0.0), x_of(steps))
        } else {
            (x_of(p.first as f64), x_of(p.last as f64 + 1.0))
        };
        let (y_top, y_bot) = (y_of((p.offset + p.size) as f64), y_of(p.offset as f64));
        let sg = p.subgraph as usize;
        let index = p.index as usize;
        let scratch = p.kind == "scratch";
        let onclick = {
            let onselect = props.onselect.clone();
            Callback::from(move |_| {
                onselect.emit(Some(if scratch {
                    Selection::Op { subgraph: sg, op: index }
                } else {
                    Selection::Tensor { subgraph: sg, tensor: index }
                }))
            })
        };
        let name = if scratch {
            format!("scratch of op #{index}")
        } else {
            m.subgraphs
                .get(sg)
                .and_then(|s| s.tensors.get(index))
                .map_or(format!("tensor #{index}"), |t| format!("tensor #{index} {}", t.name))
        };
        let (w, h) = (x1 - x0, (y_bot - y_top).max(1.0));
        html! {
            <g class={classes!("buffer", p.kind.clone())} {onclick}>
                <title>{ format!("{name}\n{}: offset {}, {} B, steps {}–{}", p.kind,
                    format::thousands(p.offset), format::thousands(p.size), p.first, p.last) }</title>
                <rect x={format!("{x0:.1}")} y={format!("{y_top:.1}")} width={format!("{:.1}", (w - 1.0).max(1.0))}
                      height={format!("{h:.1}")} />
                if w > 26.0 && h > 12.0 {
                    <text x={format!("{:.1}", x0 + 3.0)} y={format!("{:.1}", y_top + 11.0)} class="buffer-label">
                        { if scratch { format!("s{index}") } else { format!("t{index}") } }
                    </text>
                }
            </g>
        }
    });

    // Offset ticks.
    let ticks = (0..=4).map(|k| {
        let top_value = y_max / if budget_off_scale { 1.15 } else { 1.06 };
        let off = top_value * k as f64 / 4.0;
        let y = y_of(off);
        html! {
            <g class="tick">
                <line x1={format!("{:.1}", LEFT - 4.0)} x2={format!("{LEFT:.1}")} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
                <text x={format!("{:.1}", LEFT - 6.0)} y={format!("{:.1}", y + 4.0)} class="end">{ format::thousands(off.round() as usize) }</text>
            </g>
        }
    });
    let step_ticks = (0..m.steps).filter(|s| m.steps <= 40 || s % 5 == 0).map(|s| {
        let x = x_of(s as f64 + 0.5);
        html! { <text class="tick middle" x={format!("{x:.1}")} y={format!("{:.1}", H - BOTTOM + 14.0)}>{ s }</text> }
    });

    let over = props.budget < m.arena_bytes;
    let by = if budget_off_scale {
        TOP + 2.0
    } else {
        y_of(props.budget as f64)
    };
    let ay = y_of(m.arena_bytes as f64);
    html! {
        <div class="memory-view">
            <p>
                <strong>{"arena_bytes: "}</strong>
                <span data-testid="memory-arena-bytes">{ format!("{} B", format::thousands(m.arena_bytes)) }</span>
                { format!(" = activations and scratch {} + persistent {} (of which state {}; largest scratch {}). ",
                    format::thousands(m.activations), format::thousands(m.persistent),
                    format::thousands(m.state), format::thousands(m.scratch)) }
                { format!("Budget on the {}: {}.", props.board_name, format::bytes(props.budget)) }
            </p>
            <div class="scroll">
            <svg data-testid="memory" width={W.to_string()} height={H.to_string()} viewBox={format!("0 0 {W} {H}")}>
                <defs>
                    <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="6" height="6" class="hatch-bg" />
                        <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                    </pattern>
                </defs>
                <rect class="persistent" x={format!("{:.1}", x_of(0.0))} y={format!("{ay:.1}")}
                      width={format!("{:.1}", x_of(steps) - x_of(0.0))}
                      height={format!("{:.1}", (y_of(persistent_at as f64) - ay).max(1.0))}>
                    <title>{ format!("persistent: op parameters, state, variables and the engine's records, {} B",
                        format::thousands(m.persistent)) }</title>
                </rect>
                { for boxes }
                <line class="axis" x1={LEFT.to_string()} x2={LEFT.to_string()} y1={TOP.to_string()} y2={(H - BOTTOM).to_string()} />
                <line class="axis" x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={(H - BOTTOM).to_string()} y2={(H - BOTTOM).to_string()} />
                { for ticks }
                { for step_ticks }
                <text class="tick middle" x={format!("{:.1}", (LEFT + W) / 2.0)} y={(H - 4.0).to_string()}>{"op index (execution step)"}</text>
                <text class="tick" transform={format!("translate(12 {:.1}) rotate(-90)", H / 2.0 + 30.0)}>{"arena offset (B)"}</text>
                <line class="arena-line" x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={format!("{ay:.1}")} y2={format!("{ay:.1}")} />
                <text class="arena-label" x={format!("{:.1}", W - RIGHT - 4.0)} y={format!("{:.1}", ay - 4.0)}>
                    { format!("arena_bytes {}", format::thousands(m.arena_bytes)) }</text>
                <line class={classes!("budget-line", over.then_some("over"))} x1={LEFT.to_string()} x2={(W - RIGHT).to_string()}
                      y1={format!("{by:.1}")} y2={format!("{by:.1}")} />
                <text class={classes!("budget-label", over.then_some("over"))} x={format!("{:.1}", LEFT + 6.0)} y={format!("{:.1}", by - 4.0)}>
                    { format!("budget {} ({}){}", format::thousands(props.budget), props.board_name,
                        if over { " — too small" } else if budget_off_scale { " — above, off the scale" } else { "" }) }</text>
            </svg>
            </div>
            <p class="legend">
                <span class="swatch activation"></span>{"activation "}
                <span class="swatch scratch"></span>{"scratch "}
                <span class="swatch variable"></span>{"variable "}
                <span class="swatch persistent"></span>{"persistent (parameters, state, records) "}
                <span class="muted">{"Boxes are the engine's own plan entries; hover for details, click to select."}</span>
            </p>
        </div>
    }
}
