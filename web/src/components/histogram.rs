//! A histogram of tensor values as a small SVG bar chart.

use yew::prelude::*;

use crate::values::Histogram;

/// Props of [`HistogramView`].
#[derive(Properties, PartialEq)]
pub struct HistogramViewProps {
    /// The bins.
    pub histogram: Histogram,
}

const W: f64 = 320.0;
const H: f64 = 140.0;
const PAD: f64 = 24.0;

/// The histogram picture.
#[function_component]
pub fn HistogramView(props: &HistogramViewProps) -> Html {
    let h = &props.histogram;
    let peak = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = h.counts.len().max(1) as f64;
    let bw = (W - 2.0 * PAD) / n;
    let bars = h.counts.iter().enumerate().map(|(i, &c)| {
        let bh = (H - 2.0 * PAD) * c as f64 / peak;
        let x = PAD + i as f64 * bw;
        let lo = h.min + (h.max - h.min) * i as f64 / n;
        let hi = h.min + (h.max - h.min) * (i + 1) as f64 / n;
        html! {
            <rect class="bar" x={format!("{x:.1}")} y={format!("{:.1}", H - PAD - bh)}
                  width={format!("{:.1}", (bw - 1.0).max(0.5))} height={format!("{bh:.1}")}>
                <title>{ format!("[{lo:.3}, {hi:.3}): {c}") }</title>
            </rect>
        }
    });
    html! {
        <svg class="histogram" data-testid="histogram" width={W.to_string()} height={H.to_string()}>
            { for bars }
            <line x1={PAD.to_string()} x2={(W - PAD).to_string()} y1={(H - PAD).to_string()} y2={(H - PAD).to_string()} class="axis" />
            <text x={PAD.to_string()} y={(H - 6.0).to_string()} class="tick">{ format!("{}", h.min) }</text>
            <text x={(W - PAD).to_string()} y={(H - 6.0).to_string()} class="tick end">{ format!("{}", h.max) }</text>
            <text x={PAD.to_string()} y="14" class="tick">{ format!("max count {}", peak as usize) }</text>
        </svg>
    }
}
