//! `tinyml run`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tinyml_engine::{Interpreter, Model};

use crate::read_model;

/// Runs the model over the input files and writes the output files.
pub fn run(model_path: &Path, inputs: &[PathBuf], outputs: &[PathBuf]) -> Result<()> {
    let bytes = read_model(model_path)?;
    let model = Model::load(&bytes).with_context(|| format!("{}", model_path.display()))?;
    let arena_bytes = Interpreter::arena_bytes(&model)?;
    let mut arena = vec![0u8; arena_bytes];
    let mut interp = Interpreter::new(&model, &mut arena)?;
    if inputs.len() != interp.input_count() {
        bail!(
            "the model has {} input(s) but {} --input file(s) were given",
            interp.input_count(),
            inputs.len()
        );
    }
    if outputs.len() != interp.output_count() {
        bail!(
            "the model has {} output(s) but {} --output file(s) were given",
            interp.output_count(),
            outputs.len()
        );
    }
    let mut data = Vec::new();
    let mut runs = None;
    for (i, path) in inputs.iter().enumerate() {
        let d = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let size = interp.input_info(i)?.bytes;
        if size == 0 || d.is_empty() || d.len() % size != 0 {
            bail!(
                "input {i} ({}) has {} bytes, not a whole number of {}-byte tensors",
                path.display(),
                d.len(),
                size
            );
        }
        let k = d.len() / size;
        match runs {
            None => runs = Some(k),
            Some(r) if r != k => {
                bail!("input files hold different numbers of tensors ({r} and {k})")
            }
            _ => {}
        }
        data.push((d, size));
    }
    let runs = runs.unwrap_or(1);
    let mut results: Vec<Vec<u8>> = vec![Vec::new(); outputs.len()];
    for r in 0..runs {
        for (i, (d, size)) in data.iter().enumerate() {
            interp.set_input(i, &d[r * size..(r + 1) * size])?;
        }
        interp.invoke().with_context(|| format!("invocation {r}"))?;
        for (o, buf) in results.iter_mut().enumerate() {
            buf.extend_from_slice(interp.output(o)?);
        }
    }
    for (path, buf) in outputs.iter().zip(&results) {
        std::fs::write(path, buf).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
