//! # tinyml-firmware
//!
//! The firmware template `tinyml export` patches: on an STM32F4 board (or QEMU's
//! `netduinoplus2`), a Raspberry Pi Pico (RP2040), or QEMU's Cortex-M0 `microbit` machine,
//! it reads the model from the flash model slot, lays it out in the SRAM left after the
//! firmware's own statics, runs it on the input carried in the slot, and prints over the
//! board's UART (USART1 or UART0, 115200 8N1), one line each:
//!
//! ```text
//! tinyml: output0 <lowercase hex of output tensor 0>      (output1, ... for more outputs)
//! tinyml: op <subgraph>:<index> <OP_NAME> cycles=<n> macs=<n>     (one per op run)
//! tinyml: done cycles=<DWT cycle count> arena=<bytes> stack=<bytes>
//! ```
//!
//! Where the counts do not come from the DWT cycle counter (under QEMU, which does not emulate
//! it, and on the Cortex-M0/M0+, which has none), a `tinyml: clock ...` line says where they
//! come from; under QEMU they are `instructions=`, measured with SysTick (src/clock.rs). Then,
//! under an emulator or with a debugger attached, it exits through semihosting (status 0 on
//! success); on a board on its own it waits for more inputs on the UART's RX (raw bytes, all
//! inputs back to back) and answers each with the same lines.
//!
//! The same sources build for every board; src/board.rs, src/chip/ and src/hw/ hold what
//! differs (the UART, clocks, register addresses), memory/<board>.x the memory map.

#![no_std]
#![no_main]

mod board;
mod chip;
mod clock;
mod hw;
mod serial;

use core::fmt::Write as _;
use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_rt::entry;
use tinyml_deploy::slot::{Slot, SlotError};
use tinyml_engine::{Interpreter, Model, OpEvent, Profiler};

use crate::clock::Clock;
use crate::serial::Serial;

/// Ops whose times are kept for the report; later ones are counted but not listed.
const MAX_LISTED_OPS: usize = 96;

/// Set once main knows that a semihosting exit is safe (an emulator or a debugger is there);
/// the panic handler reads it, since a semihosting call with no debugger faults.
static SEMIHOSTING_EXIT: AtomicBool = AtomicBool::new(false);

/// Why the firmware could not run its model.
enum Failure {
    /// The model slot is empty or damaged.
    Slot(SlotError),
    /// The engine refused the model or the input.
    Engine(tinyml_engine::Error),
    /// The arena the host measured does not fit the SRAM this firmware leaves.
    Sram { needed: usize, available: usize },
    /// The carried input is not the size of the model's inputs.
    Input { expected: usize, actual: usize },
}

impl From<SlotError> for Failure {
    fn from(e: SlotError) -> Self {
        Failure::Slot(e)
    }
}

impl From<tinyml_engine::Error> for Failure {
    fn from(e: tinyml_engine::Error) -> Self {
        Failure::Engine(e)
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Slot(e) => write!(f, "{e}"),
            Failure::Engine(e) => write!(f, "{e}"),
            Failure::Sram { needed, available } => write!(
                f,
                "the model's arena needs {needed} B but {} leaves {available} B of SRAM for it",
                board::BOARD.name
            ),
            Failure::Input { expected, actual } => write!(
                f,
                "the carried input has {actual} bytes but the model's inputs take {expected}"
            ),
        }
    }
}

/// Per-op times, kept until the invocation ends so printing does not slow it down.
struct OpTimes {
    clock: Clock,
    listed: [Option<OpEvent>; MAX_LISTED_OPS],
    count: usize,
}

impl Profiler for OpTimes {
    fn now(&mut self) -> u64 {
        self.clock.now()
    }
    fn record(&mut self, event: &OpEvent) {
        if let Some(slot) = self.listed.get_mut(self.count) {
            *slot = Some(*event);
        }
        self.count += 1;
    }
}

#[entry]
fn main() -> ! {
    let mut serial = board::serial();
    // `take` fails only if called twice; this is its one call.
    let Some(core) = cortex_m::Peripherals::take() else {
        halt(false, false)
    };
    let clock = Clock::start(core);
    let exit = clock.emulated() || board::debugger_attached();
    SEMIHOSTING_EXIT.store(exit, Ordering::Relaxed);
    if let Some(note) = clock.note() {
        let _ = writeln!(serial, "tinyml: clock {note}");
    }
    let ok = match run(&mut serial, clock, exit) {
        Ok(()) => true,
        Err(e) => {
            let _ = writeln!(serial, "tinyml: error: {e}");
            false
        }
    };
    halt(ok, exit)
}

/// Loads the slot's model, runs the carried input, then (on a board on its own) inputs from
/// the UART.
fn run(serial: &mut Serial, clock: Clock, exit_after_input: bool) -> Result<(), Failure> {
    let slot = Slot::parse(hw::model_slot())?;
    let model = Model::load(slot.model)?;
    let arena = hw::take_arena().unwrap_or(&mut []);
    let needed = slot.arena_bytes as usize;
    let available = arena.len();
    let arena = arena
        .get_mut(..needed)
        .ok_or(Failure::Sram { needed, available })?;
    let mut interpreter = Interpreter::new(&model, arena)?;
    let input_bytes = (0..interpreter.input_count())
        .map(|i| interpreter.input_info(i).map(|t| t.bytes))
        .sum::<Result<usize, _>>()?;

    if let Some(input) = slot.input {
        if input.len() != input_bytes {
            return Err(Failure::Input {
                expected: input_bytes,
                actual: input.len(),
            });
        }
        let mut rest = input;
        for i in 0..interpreter.input_count() {
            let (this, tail) = rest
                .split_at_checked(interpreter.input_info(i)?.bytes)
                .ok_or(Failure::Input {
                    expected: input_bytes,
                    actual: input.len(),
                })?;
            interpreter.set_input(i, this)?;
            rest = tail;
        }
        invoke_and_report(serial, clock, &mut interpreter)?;
        if exit_after_input {
            return Ok(());
        }
    }
    let _ = writeln!(
        serial,
        "tinyml: ready for {input_bytes}-byte inputs on {}",
        board::UART_NAME
    );
    loop {
        for i in 0..interpreter.input_count() {
            for b in interpreter.input_mut(i)? {
                *b = serial.read_byte();
            }
        }
        invoke_and_report(serial, clock, &mut interpreter)?;
    }
}

/// Runs one inference and prints its outputs, per-op counts and totals.
fn invoke_and_report(
    serial: &mut Serial,
    clock: Clock,
    interpreter: &mut Interpreter<'_, '_>,
) -> Result<(), Failure> {
    let mut times = OpTimes {
        clock,
        listed: [None; MAX_LISTED_OPS],
        count: 0,
    };
    let start = clock.now();
    interpreter.invoke_profiled(&mut times)?;
    let total = clock.now() - start;

    for o in 0..interpreter.output_count() {
        let _ = write!(serial, "tinyml: output{o} ");
        for b in interpreter.output(o)? {
            let _ = write!(serial, "{b:02x}");
        }
        let _ = writeln!(serial);
    }
    let key = clock.unit().key();
    for e in times.listed.iter().flatten() {
        let _ = writeln!(
            serial,
            "tinyml: op {}:{} {} {key}={} macs={}",
            e.subgraph, e.index, e.op, e.ticks, e.macs
        );
    }
    if times.count > MAX_LISTED_OPS {
        let _ = writeln!(
            serial,
            "tinyml: ops {} more not listed",
            times.count - MAX_LISTED_OPS
        );
    }
    let _ = writeln!(
        serial,
        "tinyml: done {key}={total} arena={} stack={}",
        interpreter.usage().total,
        hw::stack_high_water()
    );
    Ok(())
}

/// Ends the program: through semihosting under an emulator or a debugger (QEMU exits with
/// status 0 or 1), otherwise by sleeping (a semihosting call with no debugger would fault).
fn halt(ok: bool, exit: bool) -> ! {
    if exit {
        let status = if ok {
            cortex_m_semihosting::debug::EXIT_SUCCESS
        } else {
            cortex_m_semihosting::debug::EXIT_FAILURE
        };
        cortex_m_semihosting::debug::exit(status);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut serial = Serial(board::Port::steal());
    let _ = writeln!(serial, "tinyml: panic: {info}");
    halt(false, SEMIHOSTING_EXIT.load(Ordering::Relaxed))
}
