//! Builds the firmware template of every board and writes them as `<board>.tmlf` into a folder:
//! the page's build (web/firmware.sh, a Trunk hook) puts them beside the page, which fetches
//! one when the Export panel is used. The same function builds the CLI's embedded templates
//! (cli/build.rs), so the page and `tinyml export` patch the same images.
//!
//! ```sh
//! cargo run -p tinyml-deploy --no-default-features --features build --example firmware_templates -- dist/firmware
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out] = &args[..] else {
        eprintln!("usage: firmware_templates OUT_DIR");
        return ExitCode::FAILURE;
    };
    let out = PathBuf::from(out);
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("firmware_templates: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    // deploy/ is inside the workspace root, which holds firmware/.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for path in tinyml_deploy::buildscript::write_firmware_templates(&root, &out) {
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("{} ({bytes} B)", path.display());
    }
    ExitCode::SUCCESS
}
