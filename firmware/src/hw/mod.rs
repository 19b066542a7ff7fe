//! The firmware's only `unsafe`: memory-mapped registers and the linker's regions.
//!
//! Everything here hands out safe handles that cannot reach any other address: [`Reg`] values
//! exist only for the registers named in the chip submodules, the model slot is read-only flash, and the arena
//! can be taken once.

use core::sync::atomic::{AtomicBool, Ordering};

/// One 32-bit peripheral register.
#[derive(Clone, Copy)]
pub struct Reg(usize);

impl Reg {
    /// Reads the register.
    pub fn read(self) -> u32 {
        // SAFETY: `self.0` is one of the peripheral registers listed in this module's chip
        // submodules (the only code that can make a `Reg`), for the chip this build is for:
        // mapped, 4-byte aligned and readable (RM0090 / RM0383, the RP2040 datasheet, the
        // nRF51 reference manual).
        unsafe { core::ptr::read_volatile(self.0 as *const u32) }
    }

    /// Writes the register.
    pub fn write(self, value: u32) {
        // SAFETY: as in `read`; the callers (src/chip/*.rs) write only the documented fields
        // of reset, clock, GPIO and UART registers, which no other code touches.
        unsafe { core::ptr::write_volatile(self.0 as *mut u32, value) }
    }

    /// Read, change `mask` bits to `value`, write back.
    #[cfg_attr(not(feature = "chip-stm32f4"), allow(dead_code))]
    pub fn modify(self, mask: u32, value: u32) {
        self.write((self.read() & !mask) | (value & mask));
    }
}

#[cfg(feature = "chip-nrf51")]
pub mod nrf51;
#[cfg(feature = "chip-rp2040")]
pub mod rp2040;
#[cfg(feature = "chip-stm32f4")]
pub mod stm32f4;

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
    // With interrupts off the load and the store cannot be split (the Cortex-M0 has no atomic
    // swap; every core here is single).
    let taken = cortex_m::interrupt::free(|_| {
        let taken = ARENA_TAKEN.load(Ordering::Acquire);
        ARENA_TAKEN.store(true, Ordering::Release);
        taken
    });
    if taken {
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
