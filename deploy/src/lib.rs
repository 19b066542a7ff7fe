//! # tinyml-deploy
//!
//! Everything between a model and a board, shared by the firmware, the CLI and the page so that
//! all three agree byte for byte:
//!
//! - [`slot`]: the model slot the firmware reads its model (and a boot input) from;
//! - [`board`]: the boards and their flash and SRAM;
//! - [`template`]: a firmware image with an empty slot, and patching a model into it;
//! - [`format`]: the export files (raw binary, Intel HEX, DfuSe, UF2, C array);
//! - [`elf`]: turning the firmware's ELF into a template (build scripts);
//! - [`dfuse`]: flashing an image over USB DFU to the STM32 ROM bootloader, through a transport
//!   trait (WebUSB in the page), with a simulated device for tests;
//! - [`picoboot`]: flashing the Raspberry Pi Pico over the RP2040 boot ROM's PICOBOOT
//!   interface, through a bulk transport trait (WebUSB in the page), with a simulated boot ROM;
//! - [`buildscript`] (feature `build`): building and embedding the firmware templates.
//!
//! Without the `alloc` feature only the firmware's part is built (slot reader, boards, CRC).

#![no_std]
#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod board;
#[cfg(feature = "build")]
pub mod buildscript;
pub mod crc32;
#[cfg(feature = "alloc")]
pub mod dfuse;
#[cfg(feature = "alloc")]
pub mod elf;
#[cfg(feature = "alloc")]
pub mod format;
#[cfg(feature = "alloc")]
pub mod image;
#[cfg(feature = "alloc")]
pub mod picoboot;
pub mod slot;
pub mod template;

use core::fmt;

/// The flash file of `format` for `model` on `template`'s board, with `input` run at boot:
/// the one path from a model to export bytes, so the CLI and the page write the same files.
/// `arena_bytes` is `Interpreter::arena_bytes(model)` (the host's engine measures it).
/// Returns the image (for its segments and sizes) and the file.
#[cfg(all(feature = "alloc", feature = "engine"))]
pub fn export_flash_file(
    template: &template::Template<'_>,
    model: &tinyml_engine::Model<'_>,
    arena_bytes: usize,
    input: Option<&[u8]>,
    format: format::Format,
) -> Result<(image::FlashImage, alloc::vec::Vec<u8>), DeployError> {
    if let Some(why) = format.unsuitable_for(template.board) {
        return Err(DeployError::FormatNotForBoard {
            board: template.board.name,
            format: format.name(),
            why,
        });
    }
    let spec = slot::SlotSpec::from_model(model, arena_bytes, input)?;
    let image = template.patch(&spec)?;
    let file = format
        .flash_file(&image)
        .ok_or(DeployError::NotAFlashFormat)?;
    Ok((image, file))
}

/// Why an image cannot be made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeployError {
    /// The engine rejected the model.
    #[cfg(feature = "engine")]
    Engine(tinyml_engine::Error),
    /// The slot (header, model, input) is larger than the flash the firmware leaves for it.
    FlashTooSmall {
        /// The board.
        board: &'static str,
        /// Bytes the slot needs.
        needed: usize,
        /// Bytes the model slot holds.
        available: usize,
        /// The board's whole flash.
        flash: usize,
    },
    /// The model's arena is larger than the SRAM the firmware leaves for it.
    SramTooSmall {
        /// The board.
        board: &'static str,
        /// Arena bytes the model needs.
        needed: usize,
        /// SRAM bytes free for the arena.
        available: usize,
        /// The board's whole (main) SRAM.
        sram: usize,
    },
    /// The boot input does not have the size of the model's inputs together.
    WrongInputSize {
        /// Bytes of all model inputs.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// More inputs and outputs than a slot header describes.
    TooManyTensors {
        /// Inputs plus outputs.
        count: usize,
    },
    /// A size does not fit 32 bits.
    TooLarge,
    /// The C array is not a flash image.
    NotAFlashFormat,
    /// The board's loader does not read this format.
    FormatNotForBoard {
        /// The board.
        board: &'static str,
        /// The format's name.
        format: &'static str,
        /// What the board takes instead.
        why: &'static str,
    },
    /// An embedded firmware template is damaged (a build problem, not the user's).
    BadTemplate(&'static str),
    /// The firmware ELF cannot be read.
    BadElf(&'static str),
    /// The firmware ELF lacks a linker symbol the template needs.
    MissingSymbol(&'static str),
}

#[cfg(feature = "engine")]
impl From<tinyml_engine::Error> for DeployError {
    fn from(e: tinyml_engine::Error) -> Self {
        DeployError::Engine(e)
    }
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            #[cfg(feature = "engine")]
            DeployError::Engine(e) => write!(f, "{e}"),
            DeployError::FlashTooSmall {
                board,
                needed,
                available,
                flash,
            } => write!(
                f,
                "the model does not fit {board}'s flash: its slot needs {} B but the firmware \
                 leaves {} B of the {} B flash for it",
                T(needed),
                T(available),
                T(flash)
            ),
            DeployError::SramTooSmall {
                board,
                needed,
                available,
                sram,
            } => write!(
                f,
                "the model does not fit {board}'s SRAM: its arena needs {} B but the firmware \
                 leaves {} B of the {} B SRAM for it",
                T(needed),
                T(available),
                T(sram)
            ),
            DeployError::WrongInputSize { expected, actual } => write!(
                f,
                "the input has {actual} bytes but the model's inputs take {expected}"
            ),
            DeployError::TooManyTensors { count } => write!(
                f,
                "the model has {count} inputs and outputs; a model slot describes at most {}",
                slot::MAX_TENSORS
            ),
            DeployError::TooLarge => write!(f, "a size does not fit 32 bits"),
            DeployError::NotAFlashFormat => {
                write!(f, "the C array holds the model, not a flash image")
            }
            DeployError::FormatNotForBoard { board, format, why } => {
                write!(f, "no {format} export for {board}: {why}")
            }
            DeployError::BadTemplate(what) => {
                write!(f, "the embedded firmware template is damaged ({what})")
            }
            DeployError::BadElf(what) => write!(f, "the firmware ELF cannot be read: {what}"),
            DeployError::MissingSymbol(name) => {
                write!(f, "the firmware ELF does not define {name}")
            }
        }
    }
}

impl core::error::Error for DeployError {}

/// Formats a byte count with thousands separators (`312,345`).
struct T(usize);

impl fmt::Display for T {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut groups = [0u16; 8];
        let (mut n, mut len) = (self.0, 0);
        loop {
            groups[len] = (n % 1000) as u16;
            len += 1;
            n /= 1000;
            if n == 0 || len == groups.len() {
                break;
            }
        }
        write!(f, "{}", groups[len - 1])?;
        for g in groups[..len - 1].iter().rev() {
            write!(f, ",{g:03}")?;
        }
        Ok(())
    }
}
