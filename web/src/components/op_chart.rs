//! The per-op bar chart (plotters on a canvas): each op's share of the time beside its share of
//! the MACs, which shows at a glance which ops are bound by arithmetic and which by memory.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::protocol::RunReport;

/// Props of [`OpChart`].
#[derive(Properties, PartialEq)]
pub struct OpChartProps {
    /// The profiled run.
    pub report: RunReport,
}

const TIME: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const MACS: RGBColor = RGBColor(0xdd, 0x8a, 0x2e);

fn draw(canvas: HtmlCanvasElement, report: &RunReport) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2D canvas")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let n = report.ops.len().max(1);
    let total_ms: f64 = report.ops.iter().map(|o| o.ms).sum::<f64>().max(1e-12);
    let total_macs = report.ops.iter().map(|o| o.macs).sum::<u64>().max(1) as f64;
    let shares: Vec<(f64, f64)> = report
        .ops
        .iter()
        .map(|o| (o.ms * 100.0 / total_ms, o.macs as f64 * 100.0 / total_macs))
        .collect();
    let peak = shares
        .iter()
        .map(|&(t, m)| t.max(m))
        .fold(1.0, f64::max)
        .min(100.0);
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .caption("share of time and of MACs per op", ("sans-serif", 15))
        .x_label_area_size(34)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..peak * 1.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("op index")
        .y_desc("% of total")
        .x_labels(n.min(40))
        .x_label_formatter(&|x| format!("{:.0}", x))
        .draw()
        .map_err(|e| e.to_string())?;
    let bar = 0.38;
    chart
        .draw_series(shares.iter().enumerate().map(|(i, &(t, _))| {
            let x = i as f64;
            Rectangle::new([(x - bar, 0.0), (x, t)], TIME.filled())
        }))
        .map_err(|e| e.to_string())?
        .label("time")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], TIME.filled()));
    chart
        .draw_series(shares.iter().enumerate().map(|(i, &(_, m))| {
            let x = i as f64;
            Rectangle::new([(x, 0.0), (x + bar, m)], MACS.filled())
        }))
        .map_err(|e| e.to_string())?
        .label("MACs")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], MACS.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// The chart.
#[function_component]
pub fn OpChart(props: &OpChartProps) -> Html {
    let canvas = use_node_ref();
    let error = use_state(|| None::<String>);
    {
        let (canvas, error) = (canvas.clone(), error.clone());
        use_effect_with(props.report.clone(), move |report| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                error.set(draw(c, report).err());
            }
        });
    }
    html! {
        <div class="chart">
            <canvas ref={canvas} data-testid="op-chart" width="920" height="280"></canvas>
            if let Some(e) = &*error {
                <p class="error">{ format!("chart: {e}") }</p>
            }
        </div>
    }
}
