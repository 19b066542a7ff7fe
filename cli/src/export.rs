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
    if let Some(why) = format.unsuitable_for(board) {
        bail!("no {} export for {}: {why}", format.name(), board.name);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use tinyml_deploy::board::{PICO, UF2_FAMILY_RP2040};
    use tinyml_deploy::slot::Slot;

    /// `../shared` beside the repository (or `$TINYML_SHARED`), as the other crates' tests
    /// find it.
    fn shared_dir() -> PathBuf {
        match std::env::var("TINYML_SHARED") {
            Ok(p) if PathBuf::from(&p).is_absolute() => PathBuf::from(p),
            Ok(p) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p),
            Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        }
    }

    fn word(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    /// The RP2040 boot ROM's check of boot2: CRC-32 with polynomial 0x04C11DB7, not
    /// reflected, initial value 0xFFFFFFFF, no final XOR (CRC-32/MPEG-2), over its first 252
    /// bytes, stored little-endian in the last four.
    fn crc32_mpeg2(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= (b as u32) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 {
                    (crc << 1) ^ 0x04C1_1DB7
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    #[test]
    fn boot2_crc_matches_the_reference_check_value() {
        // CRC-32/MPEG-2's catalogued check value.
        assert_eq!(crc32_mpeg2(b"123456789"), 0x0376_E6E7);
    }

    /// The embedded Pico template, patched with hello_world_int8 and an input, as a UF2 the
    /// boot ROM accepts: every block well-formed, RP2040 family, 256-byte payloads at
    /// contiguous addresses from 0x10000000, a boot2 whose CRC checks, a vector table that
    /// points into the image and the SRAM, and a model slot that parses back to the model.
    #[test]
    fn pico_uf2_is_well_formed_and_carries_the_model() {
        let path = shared_dir().join("models/tflm/hello_world_int8.tflite");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let model = Model::load(&bytes).unwrap();
        let arena = Interpreter::arena_bytes(&model).unwrap();
        let template = template(&PICO).unwrap();
        assert_eq!(template.load_address, 0x1000_0000);
        let input = [0x42u8];
        let (image, uf2) =
            tinyml_deploy::export_flash_file(&template, &model, arena, Some(&input), Format::Uf2)
                .unwrap();

        assert_eq!(uf2.len() % 512, 0);
        let blocks = uf2.len() / 512;
        let mut flash = Vec::new();
        for (n, block) in uf2.chunks(512).enumerate() {
            assert_eq!(word(block, 0), 0x0A32_4655, "block {n}: first magic");
            assert_eq!(word(block, 4), 0x9E5D_5157, "block {n}: second magic");
            assert_eq!(
                word(block, 8),
                0x0000_2000,
                "block {n}: flags: family ID present"
            );
            assert_eq!(
                word(block, 12),
                0x1000_0000 + 256 * n as u32,
                "block {n}: address"
            );
            assert_eq!(word(block, 16), 256, "block {n}: payload size");
            assert_eq!(word(block, 20), n as u32, "block {n}: block number");
            assert_eq!(word(block, 24), blocks as u32, "block {n}: block count");
            assert_eq!(word(block, 28), UF2_FAMILY_RP2040, "block {n}: family");
            assert_eq!(word(block, 508), 0x0AB1_6F30, "block {n}: final magic");
            assert!(
                block[32 + 256..508].iter().all(|&b| b == 0),
                "block {n}: padding"
            );
            flash.extend_from_slice(&block[32..32 + 256]);
        }
        // The same bytes as the raw binary, erased flash after it.
        let bin = image.contiguous();
        assert_eq!(&flash[..bin.len()], &bin[..]);
        assert!(flash[bin.len()..].iter().all(|&b| b == 0xFF));
        assert_eq!(blocks, bin.len().div_ceil(256));

        // boot2: 252 bytes of code and their CRC.
        assert_eq!(crc32_mpeg2(&flash[..252]), word(&flash, 252), "boot2 CRC");
        // The vector table boot2 jumps to: the initial stack pointer at the top of the stack
        // region in SRAM, a Thumb reset handler inside the code.
        let (sp, reset) = (word(&flash, 0x100), word(&flash, 0x104));
        assert!(
            (0x2000_0000..=0x2004_2000).contains(&sp),
            "initial SP 0x{sp:08x}"
        );
        let code_end = 0x1000_0000 + template.code.len() as u32;
        assert!(reset & 1 == 1 && (0x1000_0100..code_end).contains(&reset));

        // The model slot parses back to the model, the input and the arena.
        let slot_at = (template.slot_address - 0x1000_0000) as usize;
        assert_eq!(slot_at % 16, 0);
        assert!(slot_at >= template.code.len());
        let slot = Slot::parse(&flash[slot_at..]).unwrap();
        assert_eq!(slot.model, &bytes[..]);
        assert_eq!(slot.input, Some(&input[..]));
        assert_eq!(slot.arena_bytes as usize, arena);
    }
}
