//! Details of the selected op or tensor; for a constant tensor, a histogram of its values.

use yew::prelude::*;

use crate::components::histogram::HistogramView;
use crate::format;
use crate::graph;
use crate::protocol::{ModelReport, TensorValues};
use crate::state::Selection;
use crate::values;

/// Props of [`DetailsPanel`].
#[derive(Properties, PartialEq)]
pub struct DetailsPanelProps {
    /// The model.
    pub model: ModelReport,
    /// What to describe.
    pub selection: Option<Selection>,
    /// Values of the selected constant tensor, when they arrived.
    pub values: Option<Result<TensorValues, String>>,
    /// Select another op or tensor.
    pub onselect: Callback<Option<Selection>>,
}

/// The details panel.
#[function_component]
pub fn DetailsPanel(props: &DetailsPanelProps) -> Html {
    let m = &props.model;
    let tensor_link = |sg: usize, t: i32| -> Html {
        if t < 0 {
            return html! { <li class="muted">{"(omitted)"}</li> };
        }
        let Some(tr) = m.subgraphs.get(sg).and_then(|s| s.tensors.get(t as usize)) else {
            return html! {};
        };
        let onselect = props.onselect.clone();
        let onclick = Callback::from(move |_| {
            onselect.emit(Some(Selection::Tensor {
                subgraph: sg,
                tensor: t as usize,
            }))
        });
        html! {
            <li>
                <button class="link" {onclick}>{ format!("#{t} {}", tr.name) }</button>
                <span class="muted">{ format!(" {}{}", graph::tensor_label(tr),
                    if tr.is_const { " (constant)" } else { "" }) }</span>
            </li>
        }
    };

    let body = match props.selection {
        None => html! {
            <p class="hint">{"Nothing selected. Click an op box, an edge or a constant in the graph."}</p>
        },
        Some(Selection::Op { subgraph, op }) => {
            let Some(o) = m.subgraphs.get(subgraph).and_then(|s| s.ops.get(op)) else {
                return html! {};
            };
            html! {
                <div data-testid="op-details">
                    <h3><code class="op-name">{ &o.op }</code>{ format!(" v{} · op #{op}", o.version) }</h3>
                    <p>{ format!("MACs per run: {}", format::count(o.macs)) }</p>
                    <h4>{"Inputs"}</h4>
                    <ul>{ for o.inputs.iter().map(|&t| tensor_link(subgraph, t)) }</ul>
                    <h4>{"Outputs"}</h4>
                    <ul>{ for o.outputs.iter().map(|&t| tensor_link(subgraph, t)) }</ul>
                </div>
            }
        }
        Some(Selection::Tensor { subgraph, tensor }) => {
            let Some(t) = m
                .subgraphs
                .get(subgraph)
                .and_then(|s| s.tensors.get(tensor))
            else {
                return html! {};
            };
            let planned = m.plan.iter().find(|p| {
                p.subgraph as usize == subgraph && p.index as usize == tensor && p.kind != "scratch"
            });
            let storage = if t.is_const {
                "constant, in the model (flash)".to_string()
            } else if let Some(p) = planned {
                format!(
                    "{} at arena offset {}, {} B, alive steps {}–{}",
                    p.kind,
                    format::thousands(p.offset),
                    format::thousands(p.size),
                    p.first,
                    p.last
                )
            } else {
                "no storage".to_string()
            };
            let quant = match (t.scale, t.zero_point) {
                (Some(s), Some(zp)) if t.channels > 1 => {
                    format!(
                        "per-channel, {} scales (channel 0: scale {s}, zero point {zp})",
                        t.channels
                    )
                }
                (Some(s), Some(zp)) => format!("scale {s}, zero point {zp}"),
                _ => "none".into(),
            };
            let histogram = if t.is_const {
                match &props.values {
                    Some(Ok(v)) if v.data.tensor as usize == tensor => {
                        let raw = values::decode(&v.data.dtype, &v.data.raw).unwrap_or_default();
                        let h = values::histogram(&raw, 32);
                        html! {
                            <>
                                <h4>{ format!("Values ({} elements, raw {})", raw.len(), v.data.dtype) }</h4>
                                <HistogramView histogram={h} />
                            </>
                        }
                    }
                    Some(Err(e)) => html! { <p class="error">{ e }</p> },
                    _ => html! { <p class="status">{"Reading values…"}</p> },
                }
            } else {
                html! {}
            };
            html! {
                <div data-testid="tensor-details">
                    <h3>{ format!("Tensor #{tensor} ") }<span class="muted">{ &t.name }</span></h3>
                    <table class="facts">
                        <tr><th>{"type"}</th><td>{ &t.dtype }</td></tr>
                        <tr><th>{"shape"}</th><td>{ format!("{:?}", t.shape) }</td></tr>
                        <tr><th>{"bytes"}</th><td>{ format::thousands(t.bytes) }</td></tr>
                        <tr><th>{"quantization"}</th><td>{ quant }</td></tr>
                        <tr><th>{"storage"}</th><td>{ storage }</td></tr>
                    </table>
                    { histogram }
                </div>
            }
        }
    };
    html! {
        <aside class="details">
            <h3 class="details-title">{"Details"}</h3>
            { body }
        </aside>
    }
}
