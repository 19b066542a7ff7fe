//! STM32F4 registers (RM0090, RM0383): the few the USART1 driver (src/chip/stm32f4.rs) uses.

use super::Reg;

/// Reset and clock control (RM0090 §7.3).
pub mod rcc {
    use super::Reg;
    const BASE: usize = 0x4002_3800;
    /// AHB1 peripheral clock enable: bit n enables GPIO port n (A = 0).
    pub const AHB1ENR: Reg = Reg(BASE + 0x30);
    /// APB2 peripheral clock enable: bit 4 enables USART1.
    pub const APB2ENR: Reg = Reg(BASE + 0x44);
}

/// A GPIO port's registers (RM0090 §8.4).
#[derive(Clone, Copy)]
pub struct GpioPort {
    /// Port number: A = 0, B = 1 (its AHB1ENR bit).
    pub index: u32,
    /// Mode register: two bits a pin, 0b10 = alternate function.
    pub moder: Reg,
    /// Alternate function of pins 0-7, four bits each.
    pub afrl: Reg,
    /// Alternate function of pins 8-15.
    pub afrh: Reg,
}

/// GPIO port `index` (A = 0, B = 1, ...; ports A-E exist on every supported chip).
/// Used in constants only (src/board.rs), so a bad index fails the build.
pub const fn gpio(index: u32) -> GpioPort {
    assert!(index <= 4, "GPIO ports A-E only");
    let base = 0x4002_0000 + 0x400 * index as usize;
    GpioPort {
        index,
        moder: Reg(base),
        afrl: Reg(base + 0x20),
        afrh: Reg(base + 0x24),
    }
}

/// USART1 (RM0090 §30.6).
pub mod usart1 {
    use super::Reg;
    const BASE: usize = 0x4001_1000;
    /// Status: bit 7 TXE (data register empty), bit 5 RXNE (byte received).
    pub const SR: Reg = Reg(BASE);
    /// Data.
    pub const DR: Reg = Reg(BASE + 0x04);
    /// Baud rate: mantissa << 4 | sixteenths.
    pub const BRR: Reg = Reg(BASE + 0x08);
    /// Control 1: bit 13 UE, bit 3 TE, bit 2 RE.
    pub const CR1: Reg = Reg(BASE + 0x0C);
}
