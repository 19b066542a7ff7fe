//! The engine's wasm side, in a real browser: `wasm-bindgen-test` under Debian's chromium and
//! chromedriver (scripts/test runs it; `cargo test --target wasm32-unknown-unknown -p tinyml-web`
//! with `CHROMEDRIVER=/usr/bin/chromedriver` and the wasm-bindgen-test-runner as the runner).
#![cfg(target_arch = "wasm32")]

use tinyml_engine::{Interpreter, Model};
use tinyml_web::protocol::{InputChoice, Request, Response};
use tinyml_web::session::{Clock, Session};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// Copied at build time from the shared test data (see build.rs); empty when absent.
const HELLO: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hello_world_int8.tflite"));

struct NoClock;

impl Clock for NoClock {
    fn now_ms(&self) -> f64 {
        0.0
    }
}

fn loaded() -> Option<Session> {
    if HELLO.is_empty() {
        web_sys::console::log_1(&"hello_world_int8.tflite not found at build time: skipped".into());
        return None;
    }
    let mut s = Session::default();
    let Response::Loaded(Ok(_)) = s.handle(
        Request::Load {
            name: "hello".into(),
            bytes: HELLO.to_vec(),
        },
        &NoClock,
    ) else {
        panic!("hello_world_int8 did not load in wasm")
    };
    Some(s)
}

/// Outputs of `tinyml run` (native, bit-exact with TFLM) for inputs -128, 0, 64, 127:
/// `printf '\x80\x00\x40\x7f' > in.bin; tinyml run hello_world_int8.tflite --input in.bin
/// --output out.bin` gives `04 04 82 f7`.
#[wasm_bindgen_test]
fn outputs_in_wasm_equal_the_native_engine() {
    let Some(mut s) = loaded() else { return };
    for (input, expected) in [(0x80u8, 0x04u8), (0x00, 0x04), (0x40, 0x82), (0x7f, 0xf7)] {
        let Response::Ran(Ok(run)) = s.handle(
            Request::Run {
                budget: 4096,
                input: InputChoice::Bytes(vec![input]),
            },
            &NoClock,
        ) else {
            panic!("run failed")
        };
        assert_eq!(run.outputs[0].raw, [expected], "input {input:#04x}");
    }
}

#[wasm_bindgen_test]
fn a_budget_one_byte_short_is_the_engines_error() {
    let Some(mut s) = loaded() else { return };
    let needed = Interpreter::arena_bytes(&Model::load(HELLO).expect("load")).expect("size");
    let Response::Fitted(fit) = s.handle(Request::Fit { budget: needed - 1 }, &NoClock) else {
        panic!("wrong answer")
    };
    let expected = format!(
        "needs {} B of arena; {} B available",
        tinyml_engine::Thousands(needed),
        tinyml_engine::Thousands(needed - 1)
    );
    assert_eq!(fit.result, Err(expected));
}

#[wasm_bindgen_test]
fn junk_is_not_a_tflite_file() {
    assert_eq!(
        Model::load(b"definitely not a model")
            .err()
            .map(|e| e.to_string()),
        Some("not a TensorFlow Lite file".to_string())
    );
}
