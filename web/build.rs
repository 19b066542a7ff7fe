//! Test data for the wasm-bindgen tests (tests/wasm.rs), which run in a browser and cannot read
//! files: copies `hello_world_int8.tflite` from the shared test data (`../shared` beside the
//! repository, or `$TINYML_SHARED`) into OUT_DIR, or writes an empty file when it is absent (the
//! tests then say so and skip). The library itself never uses it.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=TINYML_SHARED");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let shared = match std::env::var("TINYML_SHARED") {
        Ok(p) if PathBuf::from(&p).is_absolute() => PathBuf::from(p),
        Ok(p) => manifest.join("..").join(p),
        Err(_) => manifest.join("../../shared"),
    };
    let model = shared.join("models/tflm/hello_world_int8.tflite");
    let bytes = std::fs::read(&model).unwrap_or_default();
    if !bytes.is_empty() {
        // Only an existing file: a missing one would make cargo rerun this on every build.
        println!("cargo:rerun-if-changed={}", model.display());
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("hello_world_int8.tflite"), bytes).expect("OUT_DIR is writable");
}
