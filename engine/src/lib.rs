//! # tinyml-engine
//!
//! A `no_std` inference engine for TensorFlow Lite models that runs them exactly as
//! TensorFlow Lite Micro's reference kernels do — bit for bit — inside one byte arena that the
//! caller provides (a microcontroller's SRAM, or a slice in a browser).
//!
//! ```no_run
//! use tinyml_engine::{Interpreter, Model};
//! # fn demo(bytes: &[u8]) -> Result<(), tinyml_engine::Error> {
//! let model = Model::load(bytes)?;
//! let mut arena = [0u8; 100 * 1024];
//! let mut interpreter = Interpreter::new(&model, &mut arena)?;
//! interpreter.input_mut(0)?.fill(0);
//! interpreter.invoke()?;
//! let scores = interpreter.output(0)?;
//! # let _ = scores; Ok(()) }
//! ```
//!
//! Everything a malformed model can reach is checked: a bad file is an [`Error`], never a panic.
//! Nothing is allocated on the heap: tensors, parameters, state and the engine's own records
//! all live in the arena, and [`ArenaUsage::total`] is the exact size needed.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod arena;
pub mod error;
pub mod format;
pub mod frontend;
pub mod image;
pub mod interpreter;
pub mod kernels;
pub mod model;
pub mod plan;
pub mod quant;
pub mod tensor;

pub use error::{Error, Result, Thousands};
pub use interpreter::{ArenaUsage, BufferKind, Interpreter, OpEvent, PlanEntry, Profiler};
pub use model::Model;
pub use tensor::{DType, Quant, Shape, TensorInfo};
