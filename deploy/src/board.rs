//! The boards an image can be exported for: the facts about each chip that the flash files and
//! the size checks need. Where the firmware and the model slot sit inside the flash is the
//! firmware's business (its `memory.x`); a [`Template`](crate::template::Template) carries it.

/// One supported board.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// The name used on the command line and in the page (`netduinoplus2`).
    pub name: &'static str,
    /// The board, for people.
    pub title: &'static str,
    /// The microcontroller.
    pub chip: &'static str,
    /// Start of the internal flash (where the chip boots from).
    pub flash_origin: u32,
    /// Internal flash bytes.
    pub flash_bytes: u32,
    /// Main SRAM bytes the firmware uses (on the STM32F4s SRAM1 + SRAM2, contiguous at
    /// 0x2000_0000; the 64 KB of core-coupled memory of the F405/F407 is left out: QEMU does
    /// not emulate it and DMA cannot reach it).
    pub sram_bytes: u32,
    /// Flash sectors from `flash_origin`, as (count, bytes) runs: what one erase clears.
    pub sectors: &'static [(u32, u32)],
    /// UF2 family ID (from UF2's family list: `STM32F4`, `RP2040`, ...).
    pub uf2_family: u32,
    /// What puts an image into the flash, which decides the export files that make sense.
    pub loader: Loader,
    /// The Rust target the firmware is built for (the Cortex-M4F or the Cortex-M0/M0+).
    pub firmware_target: &'static str,
    /// The cargo profile the firmware is built with for this board (firmware/Cargo.toml):
    /// `release` (speed) on 1 MB parts, `release-small` (size) on 512 KB ones.
    pub firmware_profile: &'static str,
}

/// The sector runs of a 1 MB STM32F405/F407: four 16 KB, one 64 KB, seven 128 KB.
const SECTORS_1M: &[(u32, u32)] = &[(4, 16 * 1024), (1, 64 * 1024), (7, 128 * 1024)];
/// The sector runs of a 512 KB STM32F411xE.
const SECTORS_512K: &[(u32, u32)] = &[(4, 16 * 1024), (1, 64 * 1024), (3, 128 * 1024)];
/// UF2's family ID for the STM32F4 series (`STM32F4`, 0x57755a57).
pub const UF2_FAMILY_STM32F4: u32 = 0x5775_5a57;
/// UF2's family ID for the RP2040 (`RP2040`, 0xe48bff56): the boot ROM ignores other blocks.
pub const UF2_FAMILY_RP2040: u32 = 0xe48b_ff56;
/// UF2's family ID for the nRF51 (`NRF51`, 0x1b57745f).
pub const UF2_FAMILY_NRF51: u32 = 0x1b57_745f;
/// The Cortex-M4F target of the STM32F4 boards.
const THUMBV7EM: &str = "thumbv7em-none-eabihf";
/// The Cortex-M0/M0+ target (RP2040, nRF51).
const THUMBV6M: &str = "thumbv6m-none-eabi";

/// What writes an image into a board's flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loader {
    /// The STM32 ROM bootloader (DfuSe over USB), a debug probe, or a UF2 bootloader: every
    /// flash file.
    Stm32,
    /// The RP2040 boot ROM: a UF2 dropped onto the RPI-RP2 drive (hold BOOTSEL while plugging
    /// in), or `picotool load` with a `.bin`. It reads neither Intel HEX nor DfuSe.
    Rp2040BootRom,
    /// An emulator (QEMU) loading a raw `.bin`: nothing to flash.
    Emulator,
}

/// Netduino Plus 2: an STM32F405RG, and the board QEMU's `netduinoplus2` machine emulates.
pub const NETDUINOPLUS2: Board = Board {
    name: "netduinoplus2",
    title: "Netduino Plus 2 (also QEMU's netduinoplus2 machine)",
    chip: "STM32F405RG",
    flash_origin: 0x0800_0000,
    flash_bytes: 1024 * 1024,
    sram_bytes: 128 * 1024,
    sectors: SECTORS_1M,
    uf2_family: UF2_FAMILY_STM32F4,
    loader: Loader::Stm32,
    firmware_target: THUMBV7EM,
    firmware_profile: "release",
};

/// WeAct "Black Pill" with an STM32F411CE.
pub const STM32F411_BLACKPILL: Board = Board {
    name: "stm32f411-blackpill",
    title: "WeAct Black Pill (STM32F411CE)",
    chip: "STM32F411CE",
    flash_origin: 0x0800_0000,
    flash_bytes: 512 * 1024,
    sram_bytes: 128 * 1024,
    sectors: SECTORS_512K,
    uf2_family: UF2_FAMILY_STM32F4,
    loader: Loader::Stm32,
    firmware_target: THUMBV7EM,
    firmware_profile: "release-small",
};

/// ST's STM32F4DISCOVERY (STM32F407VG).
pub const STM32F407_DISCOVERY: Board = Board {
    name: "stm32f407-discovery",
    title: "STM32F4DISCOVERY (STM32F407VG)",
    chip: "STM32F407VG",
    flash_origin: 0x0800_0000,
    flash_bytes: 1024 * 1024,
    sram_bytes: 128 * 1024,
    sectors: SECTORS_1M,
    uf2_family: UF2_FAMILY_STM32F4,
    loader: Loader::Stm32,
    firmware_target: THUMBV7EM,
    firmware_profile: "release",
};

/// Raspberry Pi Pico: an RP2040 (Cortex-M0+) with 2 MB of QSPI flash, executed in place at
/// 0x1000_0000 (the firmware starts with the 256-byte boot2 there), and 264 KB of SRAM.
pub const PICO: Board = Board {
    name: "pico",
    title: "Raspberry Pi Pico (RP2040)",
    chip: "RP2040",
    flash_origin: 0x1000_0000,
    flash_bytes: 2048 * 1024,
    sram_bytes: 264 * 1024,
    // The W25Q080's 4 KB erase sectors (the boot ROM erases what a UF2 writes).
    sectors: &[(512, 4096)],
    uf2_family: UF2_FAMILY_RP2040,
    loader: Loader::Rp2040BootRom,
    firmware_target: THUMBV6M,
    firmware_profile: "release",
};

/// Not a board: QEMU's `microbit` machine (an nRF51822, Cortex-M0) with its flash and SRAM
/// enlarged to 1 MB and 256 KB (`-global nrf51-soc.flash-size=1048576 -global
/// nrf51-soc.sram-size=262144`), where the Cortex-M0 build (the Pico's target and profile)
/// is checked against the host engine. A real micro:bit's 256 KB of flash does not hold the
/// engine's Cortex-M0 code and a model.
pub const QEMU_M0: Board = Board {
    name: "qemu-m0",
    title: "QEMU microbit machine, Cortex-M0, memories enlarged (emulator only)",
    chip: "nRF51822 (emulated)",
    flash_origin: 0,
    flash_bytes: 1024 * 1024,
    sram_bytes: 256 * 1024,
    // The nRF51's 1 KB flash pages.
    sectors: &[(1024, 1024)],
    uf2_family: UF2_FAMILY_NRF51,
    loader: Loader::Emulator,
    firmware_target: THUMBV6M,
    firmware_profile: "release",
};

/// Every supported board.
pub const BOARDS: &[Board] = &[
    NETDUINOPLUS2,
    STM32F411_BLACKPILL,
    STM32F407_DISCOVERY,
    PICO,
    QEMU_M0,
];

impl Board {
    /// The board called `name`.
    pub fn by_name(name: &str) -> Option<&'static Board> {
        BOARDS.iter().find(|b| b.name == name)
    }

    /// The flash sectors as (address, bytes), in order.
    pub fn sector_list(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.sectors
            .iter()
            .flat_map(|&(count, bytes)| (0..count).map(move |_| bytes))
            .scan(self.flash_origin, |address, bytes| {
                let start = *address;
                *address += bytes;
                Some((start, bytes))
            })
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;

    #[test]
    fn sectors_cover_the_flash() {
        for b in BOARDS {
            let total: u32 = b.sector_list().map(|(_, n)| n).sum();
            assert_eq!(total, b.flash_bytes, "{}", b.name);
            assert_eq!(Board::by_name(b.name), Some(b));
        }
        let f405: alloc::vec::Vec<_> = NETDUINOPLUS2.sector_list().collect();
        assert_eq!(f405[4], (0x0801_0000, 64 * 1024));
        assert_eq!(f405[5], (0x0802_0000, 128 * 1024));
        assert_eq!(f405.len(), 12);
        let pico: alloc::vec::Vec<_> = PICO.sector_list().collect();
        assert_eq!(pico[1], (0x1000_1000, 4096));
        assert_eq!(pico.len(), 512);
    }
}
