//! The firmware's only `unsafe`: memory-mapped registers and the linker's regions.
//!
//! Everything here hands out safe handles that cannot reach any other address: [`Reg`] values
//! exist only for the registers named below, the model slot is read-only flash, and the arena
//! can be taken once.

use core::sync::atomic::{AtomicBool, Ordering};

/// One 32-bit peripheral register.
#[derive(Clone, Copy)]
pub struct Reg(usize);

impl Reg {
    /// Reads the register.
    pub fn read(self) -> u32 {
        // SAFETY: `self.0` is one of the STM32F4 peripheral registers listed in this module:
        // mapped, 4-byte aligned and readable on every supported chip (RM0090 / RM0383).
        unsafe { core::ptr::read_volatile(self.0 as *const u32) }
    }

    /// Writes the register.
    pub fn write(self, value: u32) {
        // SAFETY: as in `read`; the callers (usart.rs) write only the documented fields of
        // clock-enable, GPIO mode and USART registers, which no other code touches.
        unsafe { core::ptr::write_volatile(self.0 as *mut u32, value) }
    }

    /// Read, change `mask` bits to `value`, write back.
    pub fn modify(self, mask: u32, value: u32) {
        self.write((self.read() & !mask) | (value & mask));
    }
}

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

extern "C" {
    static __model_slot_start: u8;
    static __model_slot_end: u8;
    static __sheap: u8;
    static __arena_end: u8;
    static _stack_end: u8;
    static _stack_start: u8;
}

/// The whole model slot region (memory.x's MODEL_SLOT), read-only.
pub fn model_slot() -> &'static [u8] {
    let start = &raw const __model_slot_start;
    let end = &raw const __model_slot_end;
    // SAFETY: the linker script defines both symbols as the bounds of the MODEL_SLOT flash
    // region (end > start). The firmware never writes flash, so the bytes stay as they are
    // for the program's life; flash is always readable, erased or not.
    unsafe { core::slice::from_raw_parts(start, end as usize - start as usize) }
}

static ARENA_TAKEN: AtomicBool = AtomicBool::new(false);

/// The SRAM left for the arena: from the end of `.bss`/`.uninit` (cortex-m-rt's `__sheap`) to
/// the end of RAM. `None` after the first call, so there is only ever one `&mut` to it.
pub fn take_arena() -> Option<&'static mut [u8]> {
    if ARENA_TAKEN.swap(true, Ordering::AcqRel) {
        return None;
    }
    let start = (&raw const __sheap).cast_mut();
    let end = &raw const __arena_end;
    // SAFETY: [__sheap, __arena_end) is RAM that no section and no stack uses (memory.x puts
    // the stack in its own region below RAM, and __sheap is past every static). The flag
    // above makes this the only reference to it. Its bytes are whatever the last run left:
    // `Interpreter::new` initializes what it reads.
    Some(unsafe { core::slice::from_raw_parts_mut(start, end as usize - start as usize) })
}

/// Deepest stack use so far in bytes: cortex-m-rt's `paint-stack` filled the stack region
/// with 0xCCCCCCCC at reset, and the lowest word that changed marks the high-water mark.
pub fn stack_high_water() -> usize {
    let bottom = &raw const _stack_end as usize;
    let top = &raw const _stack_start as usize;
    let mut at = bottom;
    while at < top {
        // SAFETY: `at` is a 4-byte aligned address inside the stack region memory.x reserves
        // (both bounds are 8-aligned); the volatile read of plain RAM has no side effects,
        // and no reference to the region is made.
        if unsafe { core::ptr::read_volatile(at as *const u32) } != 0xCCCC_CCCC {
            break;
        }
        at += 4;
    }
    top - at
}
