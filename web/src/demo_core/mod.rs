//! The demos' pure parts: everything a demo page computes between the user's gesture and the
//! engine's bytes (quantizing x, preprocessing a drawing, rasterising a stroke, reading MNIST IDX
//! files, scoring a test set). They live here rather than in `crate::demos`, which builds for
//! wasm32 only, so that each is tested on the host against the Python that trained the models.

pub mod digit;
pub mod mnist;
pub mod motion;
pub mod pair;
pub mod quant;
pub mod sine;
pub mod stroke;
