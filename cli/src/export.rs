//! `tinyml export`: a flash image for a board (the firmware template with the model patched
//! into its slot), or the model as a C array.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use tinyml_deploy::board::{Board, BOARDS};
use tinyml_deploy::format::{c_array, Format};
use tinyml_deploy::template::Template;
use tinyml_engine::{Interpreter, Model, Thousands};

use crate::read_model;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The embedded template for `board`.
pub fn template(board: &Board) -> Result<Template<'static>> {
    let blob = TEMPLATES
        .iter()
        .find(|(name, _)| *name == board.name)
        .map(|(_, blob)| *blob)
        .ok_or_else(|| anyhow!("no firmware template for {}", board.name))?;
    Ok(Template::parse(blob)?)
}

/// Board names, for error messages.
pub fn board_names() -> String {
    BOARDS.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}

/// Writes the export of `model_path` for `board` in `format` to `output`.
pub fn export(
    model_path: &Path,
    board: &str,
    format: &str,
    input: Option<&Path>,
    output: &Path,
) -> Result<()> {
    let board = Board::by_name(board)
        .ok_or_else(|| anyhow!("unknown board {board:?}; boards: {}", board_names()))?;
    let format = Format::by_name(format)
        .ok_or_else(|| anyhow!("unknown format {format:?}; formats: bin, hex, dfu, uf2, c"))?;
    let bytes = read_model(model_path)?;
    let model = Model::load(&bytes).with_context(|| format!("{}", model_path.display()))?;
    let arena_bytes = Interpreter::arena_bytes(&model)?;
    let input_bytes = match input {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        None => None,
    };

    if format == Format::C {
        if input_bytes.is_some() {
            bail!("--input goes into firmware images; the C array holds the model only");
        }
        return write_c_array(model_path, &bytes, arena_bytes, board, output);
    }
    let template = template(board)?;
    let (image, file) = tinyml_deploy::export_flash_file(
        &template,
        &model,
        arena_bytes,
        input_bytes.as_deref(),
        format,
    )
    .with_context(|| format!("{}", model_path.display()))?;
    std::fs::write(output, &file).with_context(|| format!("cannot write {}", output.display()))?;
    let slot = &image.segments[1];
    let mut out = String::new();
    outln!(
        out,
        "{}: {} for {} ({} B): firmware {} B at 0x{:08x}, model slot {} B at 0x{:08x} \
         ({} B free), arena {} B of {} B SRAM free",
        output.display(),
        format.name(),
        board.name,
        Thousands(file.len()),
        Thousands(template.code.len()),
        template.load_address,
        Thousands(slot.data.len()),
        slot.address,
        Thousands(template.slot_capacity as usize - slot.data.len()),
        Thousands(arena_bytes),
        Thousands(template.arena_capacity as usize),
    );
    crate::emit(&out)
}

/// `model_data.cc` and `model_data.h` beside `output` (a `.cc` path) or inside it (a folder).
fn write_c_array(
    model_path: &Path,
    bytes: &[u8],
    arena_bytes: usize,
    board: &Board,
    output: &Path,
) -> Result<()> {
    let (source_path, header_path) = if output.extension().is_some_and(|e| e == "cc") {
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        (output.to_path_buf(), output.with_file_name("model_data.h"))
    } else {
        std::fs::create_dir_all(output)
            .with_context(|| format!("cannot create {}", output.display()))?;
        (output.join("model_data.cc"), output.join("model_data.h"))
    };
    let name = model_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (header, source) = c_array::export(&name, bytes, arena_bytes, board);
    for (path, text) in [(&source_path, source), (&header_path, header)] {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut out = String::new();
    outln!(
        out,
        "{} and {}: {} B model as g_model (alignas(16))",
        source_path.display(),
        header_path.display(),
        Thousands(bytes.len())
    );
    crate::emit(&out)
}
