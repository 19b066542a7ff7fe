//! The operator graph as SVG, in the spirit of Netron: op boxes named as the schema names them,
//! constant inputs listed inside, edges labelled with shape, type and quantization.

use yew::prelude::*;

use crate::graph::{self, NodeKind, LINE_H, NODE_W};
use crate::protocol::ModelReport;
use crate::state::{Action, Selection};

/// Props of [`GraphView`].
#[derive(Properties, PartialEq)]
pub struct GraphViewProps {
    /// The model.
    pub model: ModelReport,
    /// Subgraph to draw.
    pub subgraph: usize,
    /// Current selection (highlighted).
    pub selection: Option<Selection>,
    /// Select an op or tensor.
    pub onselect: Callback<Option<Selection>>,
    /// Page actions (subgraph choice).
    pub ondispatch: Callback<Action>,
}

/// The graph picture.
#[function_component]
pub fn GraphView(props: &GraphViewProps) -> Html {
    let sgi = props
        .subgraph
        .min(props.model.subgraphs.len().saturating_sub(1));
    let Some(sg) = props.model.subgraphs.get(sgi) else {
        return html! {};
    };
    let layout = use_memo((props.model.clone(), sgi), |(m, i)| {
        graph::layout(&m.subgraphs[*i])
    });
    let tensor_name = |t: u32| {
        sg.tensors
            .get(t as usize)
            .map_or_else(|| format!("tensor {t}"), |t| t.name.clone())
    };
    let select_tensor = |t: u32| {
        let onselect = props.onselect.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            onselect.emit(Some(Selection::Tensor {
                subgraph: sgi,
                tensor: t as usize,
            }))
        })
    };
    let is_selected_tensor = |t: u32| {
        props.selection
            == Some(Selection::Tensor {
                subgraph: sgi,
                tensor: t as usize,
            })
    };

    let edges = layout.edges.iter().map(|e| {
        let (x1, y1) = e.from;
        let (x2, y2) = e.to;
        let my = (y1 + y2) / 2.0;
        let path = format!("M{x1:.1},{y1:.1} C{x1:.1},{my:.1} {x2:.1},{my:.1} {x2:.1},{y2:.1}");
        let label = sg
            .tensors
            .get(e.tensor as usize)
            .map(graph::tensor_label)
            .unwrap_or_default();
        let (lx, ly) = ((x1 + x2) / 2.0, my);
        let class = classes!("edge", is_selected_tensor(e.tensor).then_some("selected"));
        html! {
            <g {class} onclick={select_tensor(e.tensor)} data-tensor={e.tensor.to_string()}>
                <title>{ tensor_name(e.tensor) }</title>
                <path d={path} />
                <text x={format!("{:.1}", lx + 6.0)} y={format!("{:.1}", ly + 4.0)} class="edge-label">{ label }</text>
            </g>
        }
    });

    let nodes = layout.nodes.iter().map(|n| {
        let (x, y, h) = (n.x, n.y, n.h);
        match n.kind {
            NodeKind::Op(i) => {
                let op = &sg.ops[i];
                let selected = props.selection == Some(Selection::Op { subgraph: sgi, op: i });
                let onclick = {
                    let onselect = props.onselect.clone();
                    Callback::from(move |_| onselect.emit(Some(Selection::Op { subgraph: sgi, op: i })))
                };
                let consts = n.consts.iter().enumerate().map(|(k, &t)| {
                    let text = sg.tensors.get(t as usize).map_or(String::new(), |tr| {
                        let shape = tr.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×");
                        format!("{} ⟨{}⟩ {}", const_role(&op.op, op.inputs.iter().position(|&x| x == t as i32)), shape, tr.dtype)
                    });
                    html! {
                        <text class={classes!("const", is_selected_tensor(t).then_some("selected"))}
                              x={format!("{:.1}", x + 10.0)}
                              y={format!("{:.1}", y + 44.0 + k as f64 * LINE_H)}
                              onclick={select_tensor(t)}>
                            <title>{ tensor_name(t) }</title>
                            { text }
                        </text>
                    }
                });
                html! {
                    <g class={classes!("op", selected.then_some("selected"))} {onclick}
                       data-op={op.op.clone()} data-index={i.to_string()}>
                        <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={NODE_W.to_string()}
                              height={format!("{h:.1}")} rx="5" />
                        <rect class="op-band" x={format!("{x:.1}")} y={format!("{y:.1}")}
                              width={NODE_W.to_string()} height="26" rx="5" />
                        <text class="op-title" x={format!("{:.1}", x + 10.0)} y={format!("{:.1}", y + 18.0)}>
                            { &op.op }
                        </text>
                        <text class="op-index" x={format!("{:.1}", x + NODE_W - 8.0)} y={format!("{:.1}", y + 18.0)}>
                            { format!("#{i}") }
                        </text>
                        { for consts }
                    </g>
                }
            }
            NodeKind::Input(t) | NodeKind::Output(t) => {
                let word = if matches!(n.kind, NodeKind::Input(_)) { "input" } else { "output" };
                html! {
                    <g class={classes!("io", is_selected_tensor(t).then_some("selected"))}
                       onclick={select_tensor(t)}>
                        <rect x={format!("{x:.1}")} y={format!("{y:.1}")} width={NODE_W.to_string()}
                              height={format!("{h:.1}")} rx="14" />
                        <text x={format!("{:.1}", x + NODE_W / 2.0)} y={format!("{:.1}", y + 19.0)} class="io-label">
                            { format!("{word}: {}", tensor_name(t)) }
                        </text>
                    </g>
                }
            }
        }
    });

    let subgraph_picker = if props.model.subgraphs.len() > 1 {
        let ondispatch = props.ondispatch.clone();
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = select.value().parse() {
                ondispatch.emit(Action::ShowSubgraph(i));
            }
        });
        html! {
            <label>{"Subgraph "}
                <select {onchange}>
                    { for (0..props.model.subgraphs.len()).map(|i| html! {
                        <option value={i.to_string()} selected={i == sgi}>{ i }</option>
                    }) }
                </select>
            </label>
        }
    } else {
        html! {}
    };

    html! {
        <div class="graph-view">
            { subgraph_picker }
            <div class="scroll">
                <svg data-testid="graph" width={format!("{:.0}", layout.width)} height={format!("{:.0}", layout.height)}
                     viewBox={format!("0 0 {:.0} {:.0}", layout.width, layout.height)}>
                    { for edges }
                    { for nodes }
                </svg>
            </div>
        </div>
    }
}

/// Netron-style role letters of a constant input: the filter and bias of convolutions and
/// fully connected ops, otherwise the input's position.
fn const_role(op: &str, position: Option<usize>) -> String {
    let weighted = matches!(
        op,
        "CONV_2D" | "DEPTHWISE_CONV_2D" | "FULLY_CONNECTED" | "TRANSPOSE_CONV"
    );
    match (weighted, position) {
        (true, Some(1)) => "W".into(),
        (true, Some(2)) => "B".into(),
        (_, Some(p)) => format!("in{p}"),
        _ => "?".into(),
    }
}
