//! Puts the chosen board's memory map where cortex-m-rt's `link.x` looks for `memory.x`.
//!
//! Each board has its own `memory/<board>.x` (flash and SRAM sizes, where the model slot is);
//! the `board-*` feature picks one. src/board.rs refuses zero or several boards with a
//! `compile_error!`, so here a missing choice just skips the copy.

use std::path::PathBuf;

fn main() {
    let boards = [
        "netduinoplus2",
        "stm32f411-blackpill",
        "stm32f407-discovery",
        "pico",
        "qemu-m0",
    ];
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for board in boards {
        let feature = format!(
            "CARGO_FEATURE_BOARD_{}",
            board.to_uppercase().replace('-', "_")
        );
        let source = format!("memory/{board}.x");
        println!("cargo:rerun-if-changed={source}");
        if std::env::var_os(&feature).is_some() {
            std::fs::copy(&source, out.join("memory.x")).expect("copy memory.x into OUT_DIR");
        }
    }
    // The linker finds memory.x here (link.x INCLUDEs it).
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
