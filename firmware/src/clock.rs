//! Counting cycles: the DWT cycle counter on a real Cortex-M4, SysTick where it does not count.
//!
//! QEMU does not emulate the DWT (CYCCNT reads 0). Its SysTick does run, from the
//! netduinoplus2's 168 MHz core clock in virtual time, and with `-icount shift=0` virtual time
//! advances exactly 1 ns per instruction. So there the count is converted to instructions
//! (ticks × 1000 / 168, to within 6) and labelled as such: a deterministic instruction count,
//! not cycles.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{DCB, DWT, SCB, SYST};
use cortex_m_rt::exception;

/// SysTick's reload: the counter's full 24 bits.
const RELOAD: u32 = 0x00FF_FFFF;
/// SysTick wraps so far (each is 2^24 ticks).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// What the counts mean.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// DWT CYCCNT: core clock cycles.
    Cycles,
    /// SysTick under QEMU `-icount shift=0`: instructions.
    Instructions,
}

impl Unit {
    /// The key printed before each count.
    pub fn key(self) -> &'static str {
        match self {
            Unit::Cycles => "cycles",
            Unit::Instructions => "instructions",
        }
    }
}

/// A running counter.
#[derive(Clone, Copy)]
pub struct Clock {
    unit: Unit,
}

impl Clock {
    /// Starts the DWT cycle counter and checks that it counts; if not (an emulator), starts
    /// SysTick instead.
    pub fn start(mut dcb: DCB, mut dwt: DWT, mut syst: SYST) -> Clock {
        dcb.enable_trace();
        dwt.enable_cycle_counter();
        let before = DWT::cycle_count();
        for _ in 0..16 {
            cortex_m::asm::nop();
        }
        if DWT::cycle_count() != before {
            return Clock { unit: Unit::Cycles };
        }
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        Clock {
            unit: Unit::Instructions,
        }
    }

    /// What [`now`](Self::now) counts.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// True when the DWT does not count: we run under an emulator (QEMU).
    pub fn emulated(&self) -> bool {
        self.unit == Unit::Instructions
    }

    /// The count since start (cycles, or instructions under QEMU).
    pub fn now(&self) -> u64 {
        match self.unit {
            Unit::Cycles => dwt_cycles(),
            Unit::Instructions => systick_ticks() * 1000 / 168,
        }
    }
}

/// The cycle counter extended to 64 bits: CYCCNT wraps every 2^32 cycles (25 s at 168 MHz),
/// and the profiler reads it at every op, far more often than that.
fn dwt_cycles() -> u64 {
    static HIGH: AtomicU32 = AtomicU32::new(0);
    static LAST: AtomicU32 = AtomicU32::new(0);
    let count = DWT::cycle_count();
    if count < LAST.swap(count, Ordering::Relaxed) {
        HIGH.fetch_add(1, Ordering::Relaxed);
    }
    ((HIGH.load(Ordering::Relaxed) as u64) << 32) | count as u64
}

/// SysTick ticks since start. The wrap count and the counter are read until no wrap happened
/// in between (and none is pending, i.e. the counter reloaded but the exception has not run).
fn systick_ticks() -> u64 {
    loop {
        let wraps = WRAPS.load(Ordering::Relaxed);
        let value = SYST::get_current();
        if SCB::is_pendst_pending() || WRAPS.load(Ordering::Relaxed) != wraps {
            continue;
        }
        return ((wraps as u64) << 24) + (RELOAD - value) as u64;
    }
}
