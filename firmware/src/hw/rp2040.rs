//! RP2040 registers (RP2040 datasheet, chapter 2 and 4): the few that the clock set-up and the
//! UART0 driver (src/chip/rp2040.rs) use.
//!
//! Every peripheral block has atomic aliases: +0x2000 sets the written bits, +0x3000 clears
//! them (datasheet §2.1.2), so a read-modify-write is never needed.

use super::Reg;

/// The set-bits alias of `reg`.
pub const fn set(reg: Reg) -> Reg {
    Reg(reg.0 + 0x2000)
}

/// The clear-bits alias of `reg`.
pub const fn clear(reg: Reg) -> Reg {
    Reg(reg.0 + 0x3000)
}

/// Subsystem resets (§2.14).
pub mod resets {
    use super::Reg;
    const BASE: usize = 0x4000_c000;
    /// A set bit holds the block in reset.
    pub const RESET: Reg = Reg(BASE);
    /// A set bit: the block is out of reset.
    pub const RESET_DONE: Reg = Reg(BASE + 0x08);
    /// IO_BANK0 (GPIO functions).
    pub const IO_BANK0: u32 = 1 << 5;
    /// PADS_BANK0 (GPIO pads).
    pub const PADS_BANK0: u32 = 1 << 8;
    /// PLL_SYS.
    pub const PLL_SYS: u32 = 1 << 12;
    /// UART0.
    pub const UART0: u32 = 1 << 22;
}

/// The crystal oscillator (§2.16).
pub mod xosc {
    use super::Reg;
    const BASE: usize = 0x4002_4000;
    /// FREQ_RANGE (bits 11:0, 0xaa0 = 1-15 MHz) and ENABLE (bits 23:12, 0xfab = enable).
    pub const CTRL: Reg = Reg(BASE);
    /// Bit 31: STABLE.
    pub const STATUS: Reg = Reg(BASE + 0x04);
    /// Start-up delay in units of 256 crystal cycles.
    pub const STARTUP: Reg = Reg(BASE + 0x0c);
}

/// The system PLL (§2.18).
pub mod pll_sys {
    use super::Reg;
    const BASE: usize = 0x4002_8000;
    /// REFDIV (bits 5:0), LOCK (bit 31).
    pub const CS: Reg = Reg(BASE);
    /// Power-downs: PD bit 0, DSMPD bit 2, POSTDIVPD bit 3, VCOPD bit 5.
    pub const PWR: Reg = Reg(BASE + 0x04);
    /// Feedback divider.
    pub const FBDIV_INT: Reg = Reg(BASE + 0x08);
    /// POSTDIV1 (bits 18:16), POSTDIV2 (bits 14:12).
    pub const PRIM: Reg = Reg(BASE + 0x0c);
}

/// The clock generators (§2.15.7).
pub mod clocks {
    use super::Reg;
    const BASE: usize = 0x4000_8000;
    /// clk_ref: SRC bits 1:0 (0 ROSC, 2 XOSC).
    pub const REF_CTRL: Reg = Reg(BASE + 0x30);
    /// clk_ref's divider (integer in bits 9:8).
    pub const REF_DIV: Reg = Reg(BASE + 0x34);
    /// One-hot: which SRC clk_ref runs from.
    pub const REF_SELECTED: Reg = Reg(BASE + 0x38);
    /// clk_sys: SRC bit 0 (0 clk_ref, 1 the aux mux), AUXSRC bits 7:5 (0 pll_sys).
    pub const SYS_CTRL: Reg = Reg(BASE + 0x3c);
    /// clk_sys's divider (integer in bits 31:8, fraction in 7:0).
    pub const SYS_DIV: Reg = Reg(BASE + 0x40);
    /// One-hot: which SRC clk_sys runs from.
    pub const SYS_SELECTED: Reg = Reg(BASE + 0x44);
    /// clk_peri (the UARTs' clock): ENABLE bit 11, AUXSRC bits 7:5 (0 clk_sys).
    pub const PERI_CTRL: Reg = Reg(BASE + 0x48);
    /// clk_sys resuscitation after a stopped clock; 0 leaves it off.
    pub const SYS_RESUS_CTRL: Reg = Reg(BASE + 0x78);
}

/// GPIO function select (§2.19.6.1).
pub mod io_bank0 {
    use super::Reg;
    /// GPIO `n`'s control register: FUNCSEL bits 4:0 (2 = UART).
    pub const fn gpio_ctrl(n: usize) -> Reg {
        Reg(0x4001_4000 + 0x04 + 8 * n)
    }
}

/// GPIO pads (§2.19.6.3).
pub mod pads_bank0 {
    use super::Reg;
    /// GPIO `n`'s pad: OD bit 7, IE bit 6, PUE bit 3, PDE bit 2.
    pub const fn gpio(n: usize) -> Reg {
        Reg(0x4001_c000 + 0x04 + 4 * n)
    }
}

/// UART0, an ARM PL011 (§4.2.8).
pub mod uart0 {
    use super::Reg;
    const BASE: usize = 0x4003_4000;
    /// Data: the byte in bits 7:0.
    pub const DR: Reg = Reg(BASE);
    /// Flags: TXFF (transmit FIFO full) bit 5, RXFE (receive FIFO empty) bit 4.
    pub const FR: Reg = Reg(BASE + 0x18);
    /// Integer baud divisor.
    pub const IBRD: Reg = Reg(BASE + 0x24);
    /// Fractional baud divisor (64ths).
    pub const FBRD: Reg = Reg(BASE + 0x28);
    /// Line control: WLEN bits 6:5 (3 = 8 bits), FEN bit 4 (FIFOs). Writing it latches the
    /// baud divisors.
    pub const LCR_H: Reg = Reg(BASE + 0x2c);
    /// Control: UARTEN bit 0, TXE bit 8, RXE bit 9.
    pub const CR: Reg = Reg(BASE + 0x30);
}
