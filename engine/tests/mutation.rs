//! Hundreds of damaged real models — truncated, bit-flipped, with words overwritten by
//! absurd values — go through load + allocate + invoke. Each must give a result or an
//! `Error`; none may panic (a panic fails the test).

mod common;

use common::{model_bytes, Rng, TFLM_MODELS};
use tinyml_engine::{Interpreter, Model};

/// Runs one candidate as a user's file would be run; returns whether it got as far as invoke.
fn exercise(bytes: &[u8]) -> bool {
    let Ok(model) = Model::load(bytes) else {
        return false;
    };
    // A generous arena, capped so absurd models cannot make the test allocate gigabytes.
    let size = match Interpreter::arena_bytes(&model) {
        Ok(n) if n <= 16 << 20 => n,
        Ok(_) => return false,
        Err(_) => 64 * 1024,
    };
    let mut arena = vec![0u8; size];
    let Ok(mut it) = Interpreter::new(&model, &mut arena) else {
        return false;
    };
    for i in 0..it.input_count() {
        if let Ok(buf) = it.input_mut(i) {
            for (k, b) in buf.iter_mut().enumerate() {
                *b = (k * 37) as u8;
            }
        }
    }
    let ok = it.invoke().is_ok();
    for i in 0..it.output_count() {
        let _ = it.output(i);
    }
    let _ = it.plan_entry(0);
    ok
}

#[test]
fn damaged_models_give_errors_not_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut tried = 0;
    let mut invoked = 0;
    for &(name, _) in TFLM_MODELS {
        let original = model_bytes(name);
        let n = original.len();
        // Truncations at many lengths, including every length near the start.
        for cut in (0..64.min(n)).chain((0..40).map(|_| rng.below(n))) {
            tried += 1;
            invoked += exercise(&original[..cut]) as usize;
        }
        // Single bit flips and byte overwrites anywhere (structure, shapes, indices, data).
        for _ in 0..150 {
            let mut m = original.clone();
            let at = rng.below(n);
            match rng.below(3) {
                0 => m[at] ^= 1 << rng.below(8),
                1 => m[at] = rng.next_u64() as u8,
                _ => {
                    // A 32-bit word set to an absurd value: offsets past the end, huge
                    // dimensions, negative indices.
                    let at = at & !3;
                    if at + 4 <= n {
                        let v: u32 = match rng.below(4) {
                            0 => u32::MAX,
                            1 => 0x7FFF_FFFF,
                            2 => 0x8000_0000,
                            _ => rng.next_u64() as u32,
                        };
                        m[at..at + 4].copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
            tried += 1;
            invoked += exercise(&m) as usize;
        }
    }
    eprintln!("{tried} damaged models, {invoked} still ran to the end");
    assert!(tried >= 900);
}
