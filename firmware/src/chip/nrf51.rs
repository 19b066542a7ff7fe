//! nRF51: a blocking UART driver at 115200 8N1, for QEMU's `microbit` machine (whose UART
//! bytes go to `-serial`; the pins are the micro:bit's, TX P0.24 and RX P0.25). On a real
//! nRF51 the 16 MHz internal oscillator it starts on is enough for the UART, so nothing else
//! needs setting up.

use crate::hw::nrf51::uart0;

/// 115200 baud (nRF51 RM §29.10.10).
const BAUD_115200: u32 = 0x01D7_E000;

/// The UART, configured.
pub struct Uart0(());

impl Uart0 {
    /// Selects the pins, sets the baud rate, enables the UART and starts both directions.
    pub fn init(tx: u32, rx: u32) -> Uart0 {
        uart0::PSELTXD.write(tx);
        uart0::PSELRXD.write(rx);
        uart0::BAUDRATE.write(BAUD_115200);
        uart0::ENABLE.write(4);
        uart0::TASKS_STARTTX.write(1);
        uart0::TASKS_STARTRX.write(1);
        Uart0(())
    }

    /// A handle for the panic handler (see the STM32 driver's).
    pub fn steal() -> Uart0 {
        Uart0(())
    }

    /// Sends one byte and waits until it has gone out.
    pub fn write_byte(&mut self, b: u8) {
        uart0::EVENTS_TXDRDY.write(0);
        uart0::TXD.write(b as u32);
        while uart0::EVENTS_TXDRDY.read() == 0 {}
    }

    /// Waits for one byte.
    pub fn read_byte(&mut self) -> u8 {
        while uart0::EVENTS_RXDRDY.read() == 0 {}
        uart0::EVENTS_RXDRDY.write(0);
        uart0::RXD.read() as u8
    }
}
