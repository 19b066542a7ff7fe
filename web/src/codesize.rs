//! The engine's flash footprint per core, for the page's "flash use = model + engine" figure.
//!
//! Measured, not computed: `web/codesize/measure.sh` builds a minimal `no_std` firmware
//! (`web/codesize/src/main.rs`: load, plan, set an input, invoke, read an output; the model
//! unknown to the compiler so every registered kernel is linked) with opt-level "s", LTO and
//! panic=abort, and sums `.text + .rodata + .data` from `size -A`. Re-run it when kernels are
//! added and update the table.

use crate::cost::Core;

/// Engine commit the figures were measured at.
pub const MEASURED_AT: &str =
    "main 6c9b45f (every kernel, the Signal ops, the image preprocessing and the micro frontend)";

/// Engine bytes of flash on thumbv7em-none-eabihf (Cortex-M4F, Cortex-M7).
pub const THUMBV7EM: usize = 250_840;
/// Engine bytes of flash on thumbv6m-none-eabi (Cortex-M0+).
pub const THUMBV6M: usize = 278_388;

/// Engine code bytes for `core`, and where the figure comes from. Cores without a Rust target
/// measured here borrow the nearest one and say so.
pub fn engine_bytes(core: Core) -> (usize, &'static str) {
    match core {
        Core::CortexM4F | Core::CortexM7 => (THUMBV7EM, "measured, thumbv7em-none-eabihf"),
        Core::CortexM0Plus => (THUMBV6M, "measured, thumbv6m-none-eabi"),
        // No Xtensa or AVR target in stable Rust here: the Thumb-2 figure stands in (Xtensa's
        // code density is similar; AVR code would be larger still).
        Core::XtensaLx7 => (THUMBV7EM, "not measured: the thumbv7em figure stands in"),
        Core::Avr8 => (
            THUMBV6M,
            "not measured: the thumbv6m figure stands in (a lower bound)",
        ),
    }
}
