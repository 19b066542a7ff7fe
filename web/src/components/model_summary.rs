//! The loaded model in one box: size, ops, MACs, the exact arena, load time.

use yew::prelude::*;

use crate::format;
use crate::protocol::ModelReport;

/// Props of [`ModelSummary`].
#[derive(Properties, PartialEq)]
pub struct ModelSummaryProps {
    /// The model.
    pub model: ModelReport,
}

/// The summary box.
#[function_component]
pub fn ModelSummary(props: &ModelSummaryProps) -> Html {
    let m = &props.model;
    let ops: usize = m.subgraphs.iter().map(|s| s.ops.len()).sum();
    let macs: u64 = m
        .subgraphs
        .iter()
        .flat_map(|s| &s.ops)
        .map(|o| o.macs)
        .sum();
    // Op kinds in order of first use.
    let mut kinds: Vec<&str> = Vec::new();
    for op in m.subgraphs.iter().flat_map(|s| &s.ops) {
        if !kinds.contains(&op.op.as_str()) {
            kinds.push(&op.op);
        }
    }
    html! {
        <section class="panel summary" data-testid="summary">
            <h2>{ format!("{} ", m.name) }<span class="muted">{ format::bytes(m.file_bytes) }</span></h2>
            if let Some(d) = &m.description {
                <p class="muted">{ d }</p>
            }
            <div class="stats">
                <div class="stat">
                    <div class="label">{"arena_bytes"}</div>
                    <div class="value" data-testid="arena-bytes" data-bytes={m.arena_bytes.to_string()}>
                        { format!("{} B", format::thousands(m.arena_bytes)) }
                    </div>
                    <div class="muted">{ format!("activations {} · persistent {}",
                        format::thousands(m.activations), format::thousands(m.persistent)) }</div>
                </div>
                <div class="stat">
                    <div class="label">{"ops"}</div>
                    <div class="value">{ ops }</div>
                    <div class="muted">{ format!("{} subgraph(s), {} steps", m.subgraphs.len(), m.steps) }</div>
                </div>
                <div class="stat">
                    <div class="label">{"MACs per run"}</div>
                    <div class="value">{ format::count(macs) }</div>
                </div>
                <div class="stat">
                    <div class="label">{"load + plan"}</div>
                    <div class="value" data-testid="load-ms" data-ms={format!("{:.3}", m.load_ms)}>
                        { format::ms(m.load_ms) }
                    </div>
                    <div class="muted">{"in the worker"}</div>
                </div>
            </div>
            <p class="op-kinds" data-testid="op-kinds">
                { for kinds.iter().map(|k| html! { <code class="op-name">{ *k }</code> }) }
            </p>
        </section>
    }
}
