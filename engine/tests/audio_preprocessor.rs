//! TFLM's audio front end as a model (`audio_preprocessor_int8.tflite`, Signal custom ops):
//! its spectral subtraction keeps a noise estimate across invocations, which `reset` must clear
//! exactly as a fresh interpreter starts. (Bit-exactness against TFLM is
//! conformance/audio_preprocessor.py's.)

mod common;

use common::{model_bytes, Rng};
use tinyml_engine::{Interpreter, Model};

fn frame(rng: &mut Rng) -> Vec<u8> {
    (0..480)
        .flat_map(|_| ((rng.next_u64() % 6000) as i16 - 3000).to_le_bytes())
        .collect()
}

fn run(it: &mut Interpreter<'_, '_>, input: &[u8]) -> Vec<u8> {
    it.input_mut(0).unwrap().copy_from_slice(input);
    it.invoke().unwrap();
    it.output(0).unwrap().to_vec()
}

#[test]
fn state_carries_across_invocations_and_reset_clears_it() {
    let bytes = model_bytes("audio_preprocessor_int8.tflite");
    let model = Model::load(&bytes).unwrap();
    let mut arena = vec![0u8; Interpreter::arena_bytes(&model).unwrap()];
    let mut it = Interpreter::new(&model, &mut arena).unwrap();
    assert!(it.usage().state >= 160, "40 uint32 noise estimates");
    let mut rng = Rng(12345);
    let (a, b) = (frame(&mut rng), frame(&mut rng));
    let first = run(&mut it, &a);
    assert_eq!(first.len(), 40);
    run(&mut it, &b);
    let again = run(&mut it, &a);
    assert_ne!(first, again, "the noise estimate changed the features");
    it.reset().unwrap();
    assert_eq!(run(&mut it, &a), first, "reset restores the initial state");
}
