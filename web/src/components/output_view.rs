//! One output tensor, raw and dequantized.

use yew::prelude::*;

use crate::protocol::TensorData;
use crate::values;

/// Props of [`OutputView`].
#[derive(Properties, PartialEq)]
pub struct OutputViewProps {
    /// Output position.
    pub index: usize,
    /// The tensor and its bytes.
    pub tensor: TensorData,
}

/// Values listed before the rest is elided.
const SHOWN: usize = 64;

/// The output view.
#[function_component]
pub fn OutputView(props: &OutputViewProps) -> Html {
    let t = &props.tensor;
    let raw = values::decode(&t.dtype, &t.raw).unwrap_or_default();
    let real = values::dequantize(t).unwrap_or_default();
    let best = real
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i);
    let quant = match (t.scale, t.zero_point) {
        (Some(s), Some(zp)) => format!("scale {s}, zero point {zp}: real = (q − {zp}) × {s}"),
        _ => "not quantized".into(),
    };
    let rows = raw.iter().zip(&real).take(SHOWN).enumerate().map(|(i, (q, r))| {
        html! {
            <tr class={classes!((Some(i) == best && raw.len() > 1).then_some("best"))}>
                <td>{ i }</td><td class="num">{ q }</td><td class="num">{ format!("{r:.6}") }</td>
            </tr>
        }
    });
    html! {
        <div class="output" data-testid={format!("output-{}", props.index)} data-hex={values::hex(&t.raw)}>
            <p>
                <strong>{ format!("Output {} ", props.index) }</strong>
                { format!("tensor #{} {} {:?} — {quant}", t.tensor, t.dtype, t.shape) }
                if let (Some(b), true) = (best, raw.len() > 1) {
                    { format!(" — largest: index {b}") }
                }
            </p>
            <table class="values">
                <thead><tr><th>{"index"}</th><th>{"raw"}</th><th>{"dequantized"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            if raw.len() > SHOWN {
                <p class="muted">{ format!("… {} more values", raw.len() - SHOWN) }</p>
            }
            <details>
                <summary>{"raw bytes (hex)"}</summary>
                <pre class="hex">{ values::hex(&t.raw) }</pre>
            </details>
        </div>
    }
}
