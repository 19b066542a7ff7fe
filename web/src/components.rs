//! The page's function components, one per file.

pub mod board_panel;
pub mod details_panel;
pub mod export_panel;
pub mod graph_view;
pub mod histogram;
pub mod load_panel;
pub mod memory_view;
pub mod model_summary;
pub mod op_chart;
pub mod output_view;
pub mod run_panel;
