//! The board this build is for (the `board-*` feature): its facts from `tinyml-deploy`'s table
//! and where its USART1 pins are.

use tinyml_deploy::board::Board;

use crate::hw::gpio;
use crate::usart::Pins;

#[cfg(not(any(
    feature = "board-netduinoplus2",
    feature = "board-stm32f411-blackpill",
    feature = "board-stm32f407-discovery"
)))]
compile_error!(
    "choose a board: --features board-netduinoplus2, board-stm32f411-blackpill or board-stm32f407-discovery"
);

#[cfg(any(
    all(feature = "board-netduinoplus2", feature = "board-stm32f411-blackpill"),
    all(feature = "board-netduinoplus2", feature = "board-stm32f407-discovery"),
    all(
        feature = "board-stm32f411-blackpill",
        feature = "board-stm32f407-discovery"
    ),
))]
compile_error!("choose one board feature, not several");

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
