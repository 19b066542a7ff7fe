//! Board presets: SRAM, flash, core and clock from each part's datasheet, and the default
//! reserve for stack and application that is kept out of the arena.
//!
//! "SRAM" here is the RAM one contiguous arena can occupy. Where a part has RAM the arena
//! cannot sensibly use, the note says what was left out and why.

use crate::cost::Core;

/// A board the page can fit a model into.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Board {
    /// Stable id (used in the page's `<select>` and by the browser tests).
    pub id: &'static str,
    /// Board name.
    pub name: &'static str,
    /// Microcontroller.
    pub mcu: &'static str,
    /// RAM available to one contiguous arena plus the reserve, in bytes.
    pub sram: usize,
    /// Flash (program memory) in bytes.
    pub flash: usize,
    /// CPU core.
    pub core: Core,
    /// Core clock in MHz.
    pub clock_mhz: u32,
    /// Default reserve for stack, heap and application, in bytes.
    pub reserve: usize,
    /// What counts as SRAM and flash, and where the figures come from.
    pub note: &'static str,
}

const KB: usize = 1024;

/// The presets, smallest-first would hide the interesting ones: the order is the issue's.
pub const BOARDS: &[Board] = &[
    Board {
        id: "nano33ble",
        name: "Arduino Nano 33 BLE Sense",
        mcu: "nRF52840",
        sram: 256 * KB,
        flash: 1024 * KB,
        core: Core::CortexM4F,
        clock_mhz: 64,
        reserve: 32 * KB,
        note: "nRF52840 product specification: 256 KB RAM, 1 MB flash, Cortex-M4F at 64 MHz. \
               The reserve is larger than elsewhere because Mbed OS and the BLE stack share the RAM.",
    },
    Board {
        id: "blackpill-f411",
        name: "STM32F411 Black Pill",
        mcu: "STM32F411CEU6",
        sram: 128 * KB,
        flash: 512 * KB,
        core: Core::CortexM4F,
        clock_mhz: 100,
        reserve: 8 * KB,
        note: "STM32F411xC/xE datasheet: 128 KB SRAM, 512 KB flash, Cortex-M4F up to 100 MHz.",
    },
    Board {
        id: "netduino-f405",
        name: "STM32F405 (Netduino Plus 2)",
        mcu: "STM32F405RGT6",
        sram: 128 * KB,
        flash: 1024 * KB,
        core: Core::CortexM4F,
        clock_mhz: 168,
        reserve: 8 * KB,
        note: "STM32F405xx datasheet: 192 KB RAM = 112 KB + 16 KB main SRAM (contiguous at \
               0x2000_0000, on the bus matrix, reachable by DMA) + 64 KB core-coupled memory \
               (CCM, at 0x1000_0000, CPU-only, no DMA). Counted here: the 128 KB main SRAM, the \
               one block a single arena can occupy. The 64 KB CCM is not counted; put the stack \
               and application data there. 1 MB flash, Cortex-M4F at 168 MHz.",
    },
    Board {
        id: "f746-disco",
        name: "STM32F746G-Discovery",
        mcu: "STM32F746NGH6",
        sram: 320 * KB,
        flash: 1024 * KB,
        core: Core::CortexM7,
        clock_mhz: 216,
        reserve: 16 * KB,
        note: "STM32F746xx datasheet: 320 KB RAM (64 KB DTCM + 240 KB SRAM1 + 16 KB SRAM2, one \
               contiguous range from 0x2000_0000), 1 MB flash, Cortex-M7 at 216 MHz. The board's \
               8 MB SDRAM and 16 MB QSPI flash are external and not counted.",
    },
    Board {
        id: "pico",
        name: "Raspberry Pi Pico",
        mcu: "RP2040",
        sram: 264 * KB,
        flash: 2048 * KB,
        core: Core::CortexM0Plus,
        clock_mhz: 133,
        reserve: 16 * KB,
        note: "RP2040 datasheet: 264 KB SRAM in six banks, contiguous from 0x2000_0000; \
               dual Cortex-M0+ at 133 MHz (one core used). Flash: the Pico's 2 MB QSPI chip.",
    },
    Board {
        id: "esp32s3",
        name: "ESP32-S3 (8 MB flash module)",
        mcu: "ESP32-S3",
        sram: 512 * KB,
        flash: 8 * 1024 * KB,
        core: Core::XtensaLx7,
        clock_mhz: 240,
        reserve: 192 * KB,
        note: "ESP32-S3 datasheet: 512 KB internal SRAM, dual Xtensa LX7 at 240 MHz (one core \
               used). Flash: 8 MB, the typical ESP32-S3-WROOM-1-N8 module. ESP-IDF, Wi-Fi and \
               the instruction cache take a large share of the SRAM, hence the large reserve. \
               Optional PSRAM is not counted.",
    },
    Board {
        id: "uno",
        name: "Arduino Uno",
        mcu: "ATmega328P",
        sram: 2 * KB,
        flash: 32 * KB,
        core: Core::Avr8,
        clock_mhz: 16,
        reserve: 512,
        note: "ATmega328P datasheet: 2 KB SRAM, 32 KB flash (0.5 KB of it the bootloader), \
               8-bit AVR at 16 MHz. The classic \"does it fit at all\" case.",
    },
];

/// Id of the custom board, whose SRAM and flash the user types.
pub const CUSTOM_ID: &str = "custom";

/// A preset by id.
pub fn board(id: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.id == id)
}

/// The arena the engine is given: SRAM minus the reserve (0 when the reserve takes it all).
pub fn arena_budget(sram: usize, reserve: usize) -> usize {
    sram.saturating_sub(reserve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uno_budget_is_the_issues_1536_bytes() {
        let uno = board("uno").expect("uno preset");
        assert_eq!(arena_budget(uno.sram, uno.reserve), 1536);
    }

    #[test]
    fn ids_are_unique_and_reserves_leave_room() {
        for (i, b) in BOARDS.iter().enumerate() {
            assert!(BOARDS[i + 1..].iter().all(|o| o.id != b.id), "{}", b.id);
            assert!(b.reserve < b.sram, "{}", b.id);
            assert_ne!(b.id, CUSTOM_ID);
        }
    }
}
