//! Builds the firmware template (../firmware) for every board and embeds it: `tinyml export`
//! patches a model into these images. See `tinyml_deploy::buildscript` (the page's build uses
//! the same function, so both export the same bytes).

use std::path::PathBuf;

fn main() {
    let cli = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = cli.parent().expect("cli/ is inside the workspace");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    tinyml_deploy::buildscript::embed_firmware_templates(root, &out);
}
