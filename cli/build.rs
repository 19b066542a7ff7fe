//! Builds the firmware template (../firmware) for every board and embeds it: `tinyml export`
//! patches a model into these images, so they are made from the same sources as the CLI, at
//! every build, never committed.
//!
//! For each board this runs `cargo build --release --features board-<name>` inside firmware/
//! (its own workspace, target thumbv7em-none-eabihf from firmware/.cargo/config.toml, target
//! directory firmware/target), then turns the ELF into a template blob in OUT_DIR with
//! `tinyml_deploy::elf` and writes `templates.rs`, which `include_bytes!`s them.
//!
//! The nested cargo shares this build's jobserver (CARGO_MAKEFLAGS), so it takes no more CPUs
//! than the outer `-j`. Variables that cargo sets for build scripts and that would change the
//! firmware build (CARGO_ENCODED_RUSTFLAGS would drop its linker script, clippy's
//! RUSTC_WORKSPACE_WRAPPER would lint it) are removed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tinyml_deploy::board::BOARDS;

fn main() {
    let cli = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = cli.parent().expect("cli/ is inside the workspace");
    let firmware = root.join("firmware");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    for watched in [
        "firmware/src",
        "firmware/memory",
        "firmware/build.rs",
        "firmware/Cargo.toml",
        "firmware/Cargo.lock",
        "firmware/.cargo/config.toml",
        "engine/src",
        "engine/Cargo.toml",
        "deploy/src",
        "deploy/Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = firmware.join("target");
    let mut listing =
        String::from("/// Firmware templates by board name, built by cli/build.rs.\n");
    listing.push_str("pub const TEMPLATES: &[(&str, &[u8])] = &[\n");
    for board in BOARDS {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&firmware)
            .args(["build", "--release", "--features"])
            .arg(format!("board-{}", board.name))
            .arg("--target-dir")
            .arg(&target_dir);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let keep = key == "CARGO_HOME" || key == "CARGO_MAKEFLAGS";
            let drop = key.starts_with("CARGO_")
                || key == "RUSTFLAGS"
                || key == "RUSTDOCFLAGS"
                || key == "RUSTC_WORKSPACE_WRAPPER"
                || key == "TARGET"
                || key == "HOST";
            if drop && !keep {
                cmd.env_remove(key.as_ref());
            }
        }
        let status = cmd
            .status()
            .unwrap_or_else(|e| panic!("cannot run cargo for the firmware: {e}"));
        assert!(
            status.success(),
            "building the firmware for {} failed (see above); it needs the \
             thumbv7em-none-eabihf target: rustup target add thumbv7em-none-eabihf",
            board.name
        );
        let elf_path = target_dir.join("thumbv7em-none-eabihf/release/tinyml-firmware");
        let elf = read(&elf_path);
        let blob = tinyml_deploy::elf::template_from_elf(&elf, board)
            .unwrap_or_else(|e| panic!("{}: {e}", elf_path.display()));
        let blob_path = out.join(format!("{}.tmlf", board.name));
        std::fs::write(&blob_path, blob).expect("write the template into OUT_DIR");
        let _ = writeln!(
            listing,
            "    ({:?}, include_bytes!({:?})),",
            board.name,
            blob_path.display().to_string()
        );
    }
    listing.push_str("];\n");
    std::fs::write(out.join("templates.rs"), listing).expect("write templates.rs");
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
