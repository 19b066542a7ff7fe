//! RP2040: clocks from the 12 MHz crystal through the system PLL to 125 MHz, and a blocking
//! UART0 driver (115200 8N1 on GP0 TX / GP1 RX, the Pico's default UART pins).
//!
//! The clock set-up follows the datasheet's sequences (§2.15 to §2.18, as the Pico SDK's
//! `clocks_init` does them), reduced to what the firmware needs: clk_ref from the crystal,
//! clk_sys from PLL_SYS (VCO 1500 MHz, post-dividers 6 and 2: 125 MHz, the Pico's nominal
//! speed) and clk_peri, which clocks the UART, from clk_sys. USB, ADC and RTC clocks stay off.

use crate::hw::rp2040::{clear, clocks, io_bank0, pads_bank0, pll_sys, resets, set, uart0, xosc};

/// The crystal on the Pico.
pub const XOSC_HZ: u32 = 12_000_000;
/// clk_sys (and clk_peri, and SysTick's processor clock) after [`Uart0::init`].
pub const SYS_HZ: u32 = 125_000_000;
/// PLL_SYS: 12 MHz / REFDIV 1 × FBDIV 125 = 1500 MHz VCO (inside 750-1600 MHz), / 6 / 2.
const PLL_FBDIV: u32 = 125;
const PLL_POSTDIV1: u32 = 6;
const PLL_POSTDIV2: u32 = 2;
const _: () = assert!(XOSC_HZ * PLL_FBDIV / PLL_POSTDIV1 / PLL_POSTDIV2 == SYS_HZ);

/// PL011 baud divisor in 64ths: 125 MHz / (16 × 115200) = 67.817 → 67 + 52/64 (115,207
/// baud, 0.006 % fast), rounded as the datasheet's §4.2.7.1 says.
const BAUD_DIV_X128: u32 = 8 * SYS_HZ / 115_200;
const IBRD: u32 = BAUD_DIV_X128 >> 7;
const FBRD: u32 = (BAUD_DIV_X128 & 0x7f).div_ceil(2);

/// Takes blocks out of reset and waits until they are.
fn unreset(mask: u32) {
    clear(resets::RESET).write(mask);
    while resets::RESET_DONE.read() & mask != mask {}
}

/// Crystal → clk_ref, PLL_SYS → clk_sys at 125 MHz, clk_sys → clk_peri.
fn init_clocks() {
    // Start from the glitchless defaults (clk_sys from clk_ref, clk_ref from the ROSC), as
    // after a power-on reset, in case a soft reset left the PLL driving clk_sys.
    clocks::SYS_RESUS_CTRL.write(0);
    clear(clocks::SYS_CTRL).write(1);
    while clocks::SYS_SELECTED.read() != 1 {}
    clear(clocks::REF_CTRL).write(0b11);
    while clocks::REF_SELECTED.read() != 1 {}

    // The crystal: 1-15 MHz range, a start-up delay of ~1 ms (47 × 256 cycles), enable.
    xosc::CTRL.write(0xaa0);
    xosc::STARTUP.write(XOSC_HZ / 1000 / 256 + 1);
    set(xosc::CTRL).write(0xfab << 12);
    while xosc::STATUS.read() & (1 << 31) == 0 {}

    // clk_ref from the crystal, divided by 1.
    clocks::REF_DIV.write(1 << 8);
    clocks::REF_CTRL.write(2);
    while clocks::REF_SELECTED.read() != 1 << 2 {}

    // PLL_SYS: reset, program, power up the VCO, wait for lock, then the post-dividers.
    set(resets::RESET).write(resets::PLL_SYS);
    unreset(resets::PLL_SYS);
    pll_sys::CS.write(1);
    pll_sys::FBDIV_INT.write(PLL_FBDIV);
    clear(pll_sys::PWR).write((1 << 0) | (1 << 5));
    while pll_sys::CS.read() & (1 << 31) == 0 {}
    pll_sys::PRIM.write((PLL_POSTDIV1 << 16) | (PLL_POSTDIV2 << 12));
    clear(pll_sys::PWR).write(1 << 3);

    // clk_sys: aux source PLL_SYS chosen while running from clk_ref, then switch to aux.
    clocks::SYS_DIV.write(1 << 8);
    clocks::SYS_CTRL.write(0);
    clocks::SYS_CTRL.write(1);
    while clocks::SYS_SELECTED.read() != 1 << 1 {}

    // clk_peri: stop, select clk_sys, start (its mux is not glitchless).
    clocks::PERI_CTRL.write(0);
    for _ in 0..16 {
        cortex_m::asm::nop();
    }
    clocks::PERI_CTRL.write(1 << 11);
}

/// UART0, configured.
pub struct Uart0(());

impl Uart0 {
    /// Sets up the clocks, routes GP0/GP1 to UART0 and enables it at 115200 8N1 with FIFOs.
    pub fn init() -> Uart0 {
        init_clocks();
        unreset(resets::IO_BANK0 | resets::PADS_BANK0 | resets::UART0);
        // Both pads: input enabled, output not disabled (the rest, Schmitt trigger and 4 mA
        // drive, stays at its reset value, as the SDK's gpio_set_function leaves it). GP1
        // (RX) pulled up rather than down, so an unconnected line reads idle.
        for pin in [0, 1] {
            set(pads_bank0::gpio(pin)).write(1 << 6);
            clear(pads_bank0::gpio(pin)).write(1 << 7);
        }
        clear(pads_bank0::gpio(1)).write(1 << 2);
        set(pads_bank0::gpio(1)).write(1 << 3);
        io_bank0::gpio_ctrl(0).write(2);
        io_bank0::gpio_ctrl(1).write(2);
        uart0::IBRD.write(IBRD);
        uart0::FBRD.write(FBRD);
        uart0::LCR_H.write((0b11 << 5) | (1 << 4));
        uart0::CR.write((1 << 9) | (1 << 8) | 1);
        Uart0(())
    }

    /// A handle for the panic handler, which cannot know whether `init` ran (if it did not,
    /// writes go nowhere; nothing breaks).
    pub fn steal() -> Uart0 {
        Uart0(())
    }

    /// Sends one byte, waiting for room in the FIFO.
    pub fn write_byte(&mut self, b: u8) {
        while uart0::FR.read() & (1 << 5) != 0 {}
        uart0::DR.write(b as u32);
    }

    /// Waits for one byte.
    pub fn read_byte(&mut self) -> u8 {
        while uart0::FR.read() & (1 << 4) != 0 {}
        uart0::DR.read() as u8
    }
}
