//! Counting cycles: the DWT cycle counter on a real Cortex-M4, SysTick where there is none or
//! it does not count.
//!
//! - STM32F4 (Cortex-M4F): DWT CYCCNT, core cycles. QEMU does not emulate the DWT (CYCCNT
//!   reads 0); its SysTick does run, from the netduinoplus2's 168 MHz core clock in virtual
//!   time, and with `-icount shift=0` virtual time advances exactly 1 ns per instruction. So
//!   there the count is converted to instructions (ticks × 1000 / 168, to within 6) and
//!   labelled as such: a deterministic instruction count, not cycles.
//! - RP2040 (Cortex-M0+): ARMv6-M has no cycle counter, so SysTick on the processor clock
//!   (125 MHz): core cycles, labelled as coming from SysTick.
//! - nRF51 (Cortex-M0, the `qemu-m0` build): the chip has no SysTick at all (its registers
//!   read 0), so on a real one there is no count and it says so. QEMU's `microbit` gives its
//!   Cortex-M0 a SysTick on the 16 MHz core clock; under `-icount shift=0` that is instructions
//!   (ticks × 1000 / 16, to within 63).

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;

/// SysTick's reload: the counter's full 24 bits.
const RELOAD: u32 = 0x00FF_FFFF;
/// SysTick wraps so far (each is 2^24 ticks).
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    // ARMv6-M has no atomic read-modify-write; this handler is the only writer, and a plain
    // load and store cannot be interrupted by it.
    WRAPS.store(WRAPS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// What the counts mean.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Core clock cycles (DWT CYCCNT, or SysTick on the processor clock).
    #[cfg_attr(feature = "chip-nrf51", allow(dead_code))]
    Cycles,
    /// SysTick under QEMU `-icount shift=0`: instructions.
    Instructions,
    /// No counter on this chip: every count is 0.
    #[cfg_attr(not(feature = "chip-nrf51"), allow(dead_code))]
    None,
}

impl Unit {
    /// The key printed before each count.
    pub fn key(self) -> &'static str {
        match self {
            Unit::Cycles | Unit::None => "cycles",
            Unit::Instructions => "instructions",
        }
    }
}

/// Where counts come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The DWT cycle counter (Cortex-M3 and up).
    #[cfg(feature = "chip-stm32f4")]
    Dwt,
    /// SysTick on the core clock; counts are ticks × `mul` / `div` (1000 / MHz for
    /// nanoseconds of QEMU virtual time, i.e. instructions under `-icount shift=0`).
    SysTick { mul: u64, div: u64 },
    /// Nothing counts.
    #[cfg_attr(not(feature = "chip-nrf51"), allow(dead_code))]
    Nothing,
}

/// A running counter.
#[derive(Clone, Copy)]
pub struct Clock {
    unit: Unit,
    source: Source,
    note: Option<&'static str>,
}

/// Starts SysTick free-running over its full 24 bits, counting wraps in the exception.
fn start_systick(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Whether SysTick moves over a few instructions (it reads 0 where there is none).
#[cfg_attr(not(feature = "chip-nrf51"), allow(dead_code))]
fn systick_counts() -> bool {
    let before = SYST::get_current();
    for _ in 0..64 {
        cortex_m::asm::nop();
    }
    SYST::get_current() != before
}

impl Clock {
    /// Starts the DWT cycle counter and checks that it counts; if not (an emulator), starts
    /// SysTick instead.
    #[cfg(feature = "chip-stm32f4")]
    pub fn start(core: cortex_m::Peripherals) -> Clock {
        use cortex_m::peripheral::DWT;
        let (mut dcb, mut dwt, mut syst) = (core.DCB, core.DWT, core.SYST);
        dcb.enable_trace();
        dwt.enable_cycle_counter();
        let before = DWT::cycle_count();
        for _ in 0..16 {
            cortex_m::asm::nop();
        }
        if DWT::cycle_count() != before {
            return Clock {
                unit: Unit::Cycles,
                source: Source::Dwt,
                note: None,
            };
        }
        start_systick(&mut syst);
        Clock {
            unit: Unit::Instructions,
            source: Source::SysTick {
                mul: 1000,
                div: 168,
            },
            note: Some(
                "systick: the DWT cycle counter reads 0 (emulator), so counts are \
                 instructions from SysTick at 168 MHz, exact under qemu -icount shift=0 (to within 6)",
            ),
        }
    }

    /// SysTick on the 125 MHz processor clock: cycles.
    #[cfg(feature = "chip-rp2040")]
    pub fn start(core: cortex_m::Peripherals) -> Clock {
        let mut syst = core.SYST;
        start_systick(&mut syst);
        Clock {
            unit: Unit::Cycles,
            source: Source::SysTick { mul: 1, div: 1 },
            note: Some(
                "systick: the Cortex-M0+ has no DWT cycle counter, so counts are core clock \
                 cycles from SysTick at 125 MHz",
            ),
        }
    }

    /// SysTick where it exists (QEMU's `microbit`, under which counts are instructions);
    /// nothing on a real nRF51, which has none.
    #[cfg(feature = "chip-nrf51")]
    pub fn start(core: cortex_m::Peripherals) -> Clock {
        let mut syst = core.SYST;
        start_systick(&mut syst);
        if systick_counts() {
            return Clock {
                unit: Unit::Instructions,
                source: Source::SysTick { mul: 1000, div: 16 },
                note: Some(
                    "systick: the nRF51 has no cycle counter and no SysTick, but QEMU's microbit \
                     has a SysTick at 16 MHz (emulator), so counts are instructions, exact under \
                     qemu -icount shift=0 (to within 63)",
                ),
            };
        }
        Clock {
            unit: Unit::None,
            source: Source::Nothing,
            note: Some("none: the nRF51 has no cycle counter and no SysTick, so counts read 0"),
        }
    }

    /// What [`now`](Self::now) counts.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// What to print about the counter (on a `tinyml: clock ...` line), if it is not the DWT.
    pub fn note(&self) -> Option<&'static str> {
        self.note
    }

    /// True when counts are instructions: we run under an emulator (QEMU).
    pub fn emulated(&self) -> bool {
        self.unit == Unit::Instructions
    }

    /// The count since start.
    pub fn now(&self) -> u64 {
        match self.source {
            #[cfg(feature = "chip-stm32f4")]
            Source::Dwt => dwt_cycles(),
            Source::SysTick { mul, div } => systick_ticks() * mul / div,
            Source::Nothing => 0,
        }
    }
}

/// The cycle counter extended to 64 bits: CYCCNT wraps every 2^32 cycles (25 s at 168 MHz),
/// and the profiler reads it at every op, far more often than that.
#[cfg(feature = "chip-stm32f4")]
fn dwt_cycles() -> u64 {
    static HIGH: AtomicU32 = AtomicU32::new(0);
    static LAST: AtomicU32 = AtomicU32::new(0);
    let count = cortex_m::peripheral::DWT::cycle_count();
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
