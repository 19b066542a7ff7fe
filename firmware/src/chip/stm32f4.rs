//! A blocking USART1 driver: 115200 8N1 from the 16 MHz HSI clock the chip boots on.
//!
//! Enough for one text line at a time out and raw bytes in; no interrupts, no DMA. QEMU's
//! STM32F4 USART sends bytes as soon as DR is written and ignores the clock set-up.

use crate::hw::stm32f4::{rcc, usart1, GpioPort};

/// Where USART1's TX and RX pins are on a board (both alternate function 7).
#[derive(Clone, Copy)]
pub struct Pins {
    /// The GPIO port.
    pub port: GpioPort,
    /// TX pin number.
    pub tx: u32,
    /// RX pin number.
    pub rx: u32,
}

/// USART1, configured.
pub struct Usart1(());

/// USARTDIV = 16 MHz / (16 × 115200) = 8.68: mantissa 8, fraction round(0.68 × 16) = 11,
/// so 115,108 baud (0.08 % slow, well inside the receiver's tolerance).
const BRR_115200_AT_16MHZ: u32 = (8 << 4) | 11;

impl Usart1 {
    /// Clocks the GPIO port and USART1, routes the pins to USART1 and enables it.
    pub fn init(pins: Pins) -> Usart1 {
        rcc::AHB1ENR.modify(1 << pins.port.index, 1 << pins.port.index);
        rcc::APB2ENR.modify(1 << 4, 1 << 4);
        for pin in [pins.tx, pins.rx] {
            pins.port.moder.modify(0b11 << (2 * pin), 0b10 << (2 * pin));
            let (afr, shift) = if pin < 8 {
                (pins.port.afrl, 4 * pin)
            } else {
                (pins.port.afrh, 4 * (pin - 8))
            };
            afr.modify(0xF << shift, 7 << shift);
        }
        usart1::BRR.write(BRR_115200_AT_16MHZ);
        usart1::CR1.write((1 << 13) | (1 << 3) | (1 << 2));
        Usart1(())
    }

    /// A handle for the panic handler, which cannot know whether `init` ran (if it did not,
    /// writes go nowhere; nothing breaks).
    pub fn steal() -> Usart1 {
        Usart1(())
    }

    /// Sends one byte, waiting for room.
    pub fn write_byte(&mut self, b: u8) {
        while usart1::SR.read() & (1 << 7) == 0 {}
        usart1::DR.write(b as u32);
    }

    /// Waits for one byte.
    pub fn read_byte(&mut self) -> u8 {
        while usart1::SR.read() & (1 << 5) == 0 {}
        usart1::DR.read() as u8
    }
}
