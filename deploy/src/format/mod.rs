//! The export formats, one file each. All are pure functions of a [`FlashImage`] (or, for the
//! C array, of the model), so the CLI and the page write the same bytes.

pub mod c_array;
pub mod dfuse;
pub mod ihex;
pub mod uf2;

use alloc::vec::Vec;

use crate::image::FlashImage;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Raw flash contents from 0x0800_0000, gaps erased (`0xFF`).
    Bin,
    /// Intel HEX: only the bytes written, with their addresses.
    Hex,
    /// ST's DfuSe file (`dfu-util -a 0 -D image.dfu` with the ROM bootloader).
    Dfu,
    /// UF2 blocks for the STM32F4 family, for boards with a UF2 bootloader.
    Uf2,
    /// `model_data.cc` / `model_data.h`: the model as a C array, for your own firmware.
    C,
}

/// Every format, in the order the CLI lists them.
pub const FORMATS: &[Format] = &[
    Format::Bin,
    Format::Hex,
    Format::Dfu,
    Format::Uf2,
    Format::C,
];

impl Format {
    /// The name on the command line (`bin`, `hex`, `dfu`, `uf2`, `c`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Bin => "bin",
            Format::Hex => "hex",
            Format::Dfu => "dfu",
            Format::Uf2 => "uf2",
            Format::C => "c",
        }
    }

    /// The format called `name`.
    pub fn by_name(name: &str) -> Option<Format> {
        FORMATS.iter().copied().find(|f| f.name() == name)
    }

    /// The flash file for `image` (not the C array, which is made from the model alone).
    pub fn flash_file(self, image: &FlashImage) -> Option<Vec<u8>> {
        Some(match self {
            Format::Bin => image.contiguous(),
            Format::Hex => ihex::write(image),
            Format::Dfu => dfuse::write(image),
            Format::Uf2 => uf2::write(image),
            Format::C => return None,
        })
    }
}
