//! The board's UART as a text sink: `\n` goes out as `\r\n`.

use crate::board::Port;

/// The serial port the firmware prints on and reads inputs from.
pub struct Serial(pub Port);

impl Serial {
    /// Sends one byte.
    pub fn write_byte(&mut self, b: u8) {
        self.0.write_byte(b);
    }

    /// Waits for one byte.
    pub fn read_byte(&mut self) -> u8 {
        self.0.read_byte()
    }
}

impl core::fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(b);
        }
        Ok(())
    }
}
