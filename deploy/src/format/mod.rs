//! The export formats, one file each. All are pure functions of a [`FlashImage`] (or, for the
//! C array, of the model), so the CLI and the page write the same bytes.

pub mod c_array;
pub mod dfuse;
pub mod ihex;
pub mod uf2;

use alloc::vec::Vec;

use crate::board::{Board, Loader};
use crate::image::FlashImage;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Raw flash contents from the board's flash origin (0x0800_0000 on the STM32s,
    /// 0x1000_0000 on the RP2040), gaps erased (`0xFF`).
    Bin,
    /// Intel HEX: only the bytes written, with their addresses.
    Hex,
    /// ST's DfuSe file (`dfu-util -a 0 -D image.dfu` with the ROM bootloader).
    Dfu,
    /// UF2 blocks with the board's family ID: the RP2040 boot ROM's drag-and-drop format, and
    /// STM32F4 boards with a UF2 bootloader.
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

    /// Why this format is no use for `board`'s loader (`None`: it is). The C array suits every
    /// board: it is for people who build their own firmware.
    pub fn unsuitable_for(self, board: &Board) -> Option<&'static str> {
        match (board.loader, self) {
            (_, Format::C) | (Loader::Stm32, _) => None,
            (Loader::Rp2040BootRom, Format::Bin | Format::Uf2) => None,
            (Loader::Rp2040BootRom, _) => Some(
                "the RP2040 boot ROM takes uf2 (drop it onto the RPI-RP2 drive that appears \
                 when the Pico is plugged in with BOOTSEL held) or bin (picotool load); it \
                 reads neither Intel HEX nor DfuSe",
            ),
            (Loader::Emulator, Format::Bin) => None,
            (Loader::Emulator, _) => Some(
                "it is QEMU's microbit machine, not a board: export bin and boot it with \
                 -device loader (firmware/README.md)",
            ),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{BOARDS, NETDUINOPLUS2, PICO, QEMU_M0};

    #[test]
    fn each_loader_gets_the_files_it_reads() {
        let takes = |board: &Board| -> Vec<&str> {
            FORMATS
                .iter()
                .filter(|f| f.unsuitable_for(board).is_none())
                .map(|f| f.name())
                .collect()
        };
        assert_eq!(takes(&NETDUINOPLUS2), ["bin", "hex", "dfu", "uf2", "c"]);
        assert_eq!(takes(&PICO), ["bin", "uf2", "c"]);
        assert_eq!(takes(&QEMU_M0), ["bin", "c"]);
        assert!(Format::Hex
            .unsuitable_for(&PICO)
            .is_some_and(|why| why.contains("RPI-RP2")));
        for board in BOARDS {
            assert!(Format::C.unsuitable_for(board).is_none());
        }
    }
}
