//! The UART drivers (and, for the RP2040, the clock set-up), one per chip family; the board's
//! feature picks one (src/board.rs). Each has the same four methods: `init`, `steal`,
//! `write_byte`, `read_byte`.

#[cfg(feature = "chip-nrf51")]
pub mod nrf51;
#[cfg(feature = "chip-rp2040")]
pub mod rp2040;
#[cfg(feature = "chip-stm32f4")]
pub mod stm32f4;
