//! For build scripts (feature `build`): builds the firmware template for every board and
//! writes the blobs and a `templates.rs` that embeds them, so that the CLI and the page embed
//! the same images made from the same sources at every build, never committed.
//!
//! For each board this runs `cargo build --profile <its firmware_profile> --target <its
//! firmware_target> --features board-<name>` inside `firmware/` (its own workspace and
//! firmware/.cargo/config.toml, target directory firmware/target): thumbv7em-none-eabihf for the
//! STM32F4 boards, thumbv6m-none-eabi for the Pico and the micro:bit. Then it turns the ELF into
//! a template blob with [`crate::elf`].
//!
//! The nested cargo shares the calling build's jobserver (CARGO_MAKEFLAGS), so it takes no
//! more CPUs than the outer `-j`. Variables that cargo sets for build scripts and that would
//! change the firmware build (CARGO_ENCODED_RUSTFLAGS would drop its linker script, clippy's
//! RUSTC_WORKSPACE_WRAPPER would lint it) are removed.

extern crate std;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::board::BOARDS;

/// Builds the firmware in `root/firmware` for every board, writes `<board>.tmlf` and
/// `templates.rs` (a `TEMPLATES: &[(&str, &[u8])]` of board name and blob) into `out_dir`,
/// and prints the `rerun-if-changed` lines for everything the firmware is built from.
/// Panics with a readable message when the build fails: it runs in a build script.
pub fn embed_firmware_templates(root: &Path, out_dir: &Path) {
    for watched in WATCHED {
        std::println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let mut listing =
        String::from("/// Firmware templates by board name, built by the build script.\n");
    listing.push_str("pub const TEMPLATES: &[(&str, &[u8])] = &[\n");
    for blob_path in write_firmware_templates(root, out_dir) {
        let name = blob_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            listing,
            "    ({:?}, include_bytes!({:?})),",
            name,
            blob_path.display().to_string()
        );
    }
    listing.push_str("];\n");
    std::fs::write(out_dir.join("templates.rs"), listing).expect("write templates.rs");
}

/// What the firmware templates are built from (for `rerun-if-changed`), relative to the root.
const WATCHED: &[&str] = &[
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
];

/// Builds the firmware in `root/firmware` for every board and writes each template blob as
/// `out_dir/<board>.tmlf`; returns their paths in [`BOARDS`] order. The CLI's build script
/// embeds these files; the page's build copies them beside the page (fetched when exporting),
/// so both patch the same images. Panics with a readable message when the build fails.
pub fn write_firmware_templates(root: &Path, out_dir: &Path) -> Vec<PathBuf> {
    let firmware = root.join("firmware");
    let target_dir = firmware.join("target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut written = Vec::new();
    for board in BOARDS {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&firmware)
            .args(["build", "--profile", board.firmware_profile])
            .args(["--target", board.firmware_target, "--features"])
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
             {target} target: rustup target add {target}",
            board.name,
            target = board.firmware_target
        );
        let elf_path: PathBuf = target_dir
            .join(board.firmware_target)
            .join(board.firmware_profile)
            .join("tinyml-firmware");
        let elf = std::fs::read(&elf_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", elf_path.display()));
        let blob = crate::elf::template_from_elf(&elf, board)
            .unwrap_or_else(|e| panic!("{}: {e}", elf_path.display()));
        let blob_path = out_dir.join(format!("{}.tmlf", board.name));
        std::fs::write(&blob_path, blob)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", blob_path.display()));
        written.push(blob_path);
    }
    written
}
