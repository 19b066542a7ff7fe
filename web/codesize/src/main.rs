//! Everything a firmware does with the engine: load, plan into an arena, fill an input, run,
//! read an output. `black_box` keeps the model unknown to the compiler, so every kernel the
//! registry names is linked, as in a firmware that loads models it was not built for.
#![no_std]
#![no_main]

use core::hint::black_box;
use tinyml_engine::{Interpreter, Model};

static MODEL: [u8; 64] = [0; 64];

/// The entry point (see .cargo/config.toml).
#[no_mangle]
pub extern "C" fn Reset() -> ! {
    let mut arena = [0u8; 2048];
    if let Ok(model) = Model::load(black_box(&MODEL[..])) {
        if let Ok(mut interpreter) = Interpreter::new(&model, black_box(&mut arena[..])) {
            let _ = black_box(interpreter.set_input(0, black_box(&[0u8; 4][..])));
            let _ = black_box(interpreter.invoke());
            let _ = black_box(interpreter.output(0).map(|o| o.first().copied()));
        }
    }
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    #[allow(clippy::empty_loop)]
    loop {}
}
