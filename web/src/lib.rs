//! # tinyml-web
//!
//! The TinyML Playground page. The pure parts (the worker's engine session, board presets, the
//! cost model, graph layout, value decoding) build and test on the host; the Yew page and the
//! gloo worker glue build for `wasm32-unknown-unknown` only. See `web/README.md`.

#![warn(missing_docs)]

pub mod audio;
pub mod boards;
pub mod codesize;
pub mod cost;
pub mod demo_core;
pub mod format;
pub mod graph;
pub mod protocol;
pub mod runner;
pub mod session;
pub mod usb_descriptors;
pub mod values;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod demos;
#[cfg(target_arch = "wasm32")]
pub mod runner_worker;
#[cfg(target_arch = "wasm32")]
pub mod state;
#[cfg(target_arch = "wasm32")]
pub mod webusb;
#[cfg(target_arch = "wasm32")]
pub mod worker;
