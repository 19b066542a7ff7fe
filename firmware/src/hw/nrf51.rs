//! nRF51 registers (nRF51 Series Reference Manual v3.0, §29 UART): the UART driver's
//! (src/chip/nrf51.rs).

use super::Reg;

/// The UART (UART0, at 0x40002000).
pub mod uart0 {
    use super::Reg;
    const BASE: usize = 0x4000_2000;
    /// Task: start the receiver (write 1).
    pub const TASKS_STARTRX: Reg = Reg(BASE);
    /// Task: start the transmitter (write 1).
    pub const TASKS_STARTTX: Reg = Reg(BASE + 0x008);
    /// Event: a byte arrived in RXD.
    pub const EVENTS_RXDRDY: Reg = Reg(BASE + 0x108);
    /// Event: the byte written to TXD has gone out.
    pub const EVENTS_TXDRDY: Reg = Reg(BASE + 0x11c);
    /// 4 enables the UART.
    pub const ENABLE: Reg = Reg(BASE + 0x500);
    /// The TX pin number.
    pub const PSELTXD: Reg = Reg(BASE + 0x50c);
    /// The RX pin number.
    pub const PSELRXD: Reg = Reg(BASE + 0x514);
    /// The received byte.
    pub const RXD: Reg = Reg(BASE + 0x518);
    /// The byte to send.
    pub const TXD: Reg = Reg(BASE + 0x51c);
    /// Baud rate: 0x01D7E000 is 115200.
    pub const BAUDRATE: Reg = Reg(BASE + 0x524);
}
