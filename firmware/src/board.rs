//! The board this build is for (the `board-*` feature): its facts from `tinyml-deploy`'s table,
//! its UART and where the UART's pins are.

#[cfg(not(feature = "chip-stm32f4"))]
use tinyml_deploy::board::Board;

use crate::serial::Serial;

#[cfg(not(any(
    feature = "board-netduinoplus2",
    feature = "board-stm32f411-blackpill",
    feature = "board-stm32f407-discovery",
    feature = "board-pico",
    feature = "board-qemu-m0",
)))]
compile_error!(
    "choose a board: --features board-netduinoplus2, board-stm32f411-blackpill, \
     board-stm32f407-discovery (thumbv7em-none-eabihf), or board-pico, board-qemu-m0 \
     (with --target thumbv6m-none-eabi)"
);

/// More than one chip family means more than one board; two boards of one family are caught
/// by the duplicate `BOARD` constants below.
#[cfg(any(
    all(feature = "chip-stm32f4", feature = "chip-rp2040"),
    all(feature = "chip-stm32f4", feature = "chip-nrf51"),
    all(feature = "chip-rp2040", feature = "chip-nrf51"),
))]
compile_error!("choose one board feature, not several");

#[cfg(feature = "chip-stm32f4")]
mod stm32f4 {
    use crate::chip::stm32f4::Pins;
    use crate::hw::stm32f4::gpio;
    use tinyml_deploy::board::Board;

    /// Netduino Plus 2 (and QEMU): USART1 on PA9/PA10, QEMU's `-serial` 0.
    #[cfg(feature = "board-netduinoplus2")]
    pub const BOARD: &Board = &tinyml_deploy::board::NETDUINOPLUS2;
    #[cfg(feature = "board-netduinoplus2")]
    pub const USART1_PINS: Pins = Pins {
        port: gpio(0),
        tx: 9,
        rx: 10,
    };

    /// Black Pill: USART1 on PA9/PA10 (the pins its ROM bootloader also listens on).
    #[cfg(feature = "board-stm32f411-blackpill")]
    pub const BOARD: &Board = &tinyml_deploy::board::STM32F411_BLACKPILL;
    #[cfg(feature = "board-stm32f411-blackpill")]
    pub const USART1_PINS: Pins = Pins {
        port: gpio(0),
        tx: 9,
        rx: 10,
    };

    /// STM32F4DISCOVERY: USART1 on PB6/PB7, because PA9 is wired to the USB OTG VBUS there.
    #[cfg(feature = "board-stm32f407-discovery")]
    pub const BOARD: &Board = &tinyml_deploy::board::STM32F407_DISCOVERY;
    #[cfg(feature = "board-stm32f407-discovery")]
    pub const USART1_PINS: Pins = Pins {
        port: gpio(1),
        tx: 6,
        rx: 7,
    };
}

/// The UART driver.
#[cfg(feature = "chip-stm32f4")]
pub use crate::chip::stm32f4::Usart1 as Port;
#[cfg(feature = "chip-stm32f4")]
pub use stm32f4::BOARD;
/// What the firmware calls its UART in messages.
#[cfg(feature = "chip-stm32f4")]
pub const UART_NAME: &str = "USART1";

/// The serial port, set up.
#[cfg(feature = "chip-stm32f4")]
pub fn serial() -> Serial {
    Serial(Port::init(stm32f4::USART1_PINS))
}

/// Raspberry Pi Pico: UART0 on GP0 (TX, pin 1) and GP1 (RX, pin 2), the SDK's default.
#[cfg(feature = "board-pico")]
pub const BOARD: &Board = &tinyml_deploy::board::PICO;
#[cfg(feature = "chip-rp2040")]
pub use crate::chip::rp2040::Uart0 as Port;
#[cfg(feature = "chip-rp2040")]
pub const UART_NAME: &str = "UART0";

/// The serial port, set up (after the clocks: src/chip/rp2040.rs).
#[cfg(feature = "chip-rp2040")]
pub fn serial() -> Serial {
    Serial(Port::init())
}

/// The RP2040's second-stage bootloader: the boot ROM copies these 256 bytes (with their
/// CRC-32 in the last four) from the start of flash into SRAM and runs them; they set up the
/// Pico's W25Q080 flash for fast XIP and jump to the vector table at 0x10000100
/// (memory/pico.x puts this in `.boot2`).
#[cfg(feature = "board-pico")]
#[link_section = ".boot2"]
#[used]
static BOOT2: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

/// QEMU's `microbit` (nRF51, Cortex-M0) with enlarged memories: the UART on the micro:bit's
/// P0.24 (TX) / P0.25 (RX), QEMU's `-serial` 0.
#[cfg(feature = "board-qemu-m0")]
pub const BOARD: &Board = &tinyml_deploy::board::QEMU_M0;
#[cfg(feature = "chip-nrf51")]
pub use crate::chip::nrf51::Uart0 as Port;
#[cfg(feature = "chip-nrf51")]
pub const UART_NAME: &str = "UART0";

/// The serial port, set up.
#[cfg(feature = "chip-nrf51")]
pub fn serial() -> Serial {
    Serial(Port::init(24, 25))
}

/// Whether a debugger is attached, so that semihosting calls are safe. On the Cortex-M0/M0+
/// (ARMv6-M) software access to DHCSR is implementation-defined and unreliable, so there the
/// answer is no: those boards exit through semihosting only under the emulator.
pub fn debugger_attached() -> bool {
    cfg!(feature = "chip-stm32f4") && cortex_m::peripheral::DCB::is_debugger_attached()
}
