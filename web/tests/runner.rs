//! The demos' runner on the host: slots keep their model between invocations, answers match a
//! one-shot interpreter, and bad requests get words, not panics.

mod common;

use std::path::PathBuf;

use common::LocalRunner;
use tinyml_engine::{Interpreter, Model};
use tinyml_web::runner::{RunnerRequest, RunnerResponse};

fn repo_model(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Output 0 of a fresh interpreter on `input`.
fn one_shot(bytes: &[u8], input: &[u8]) -> Vec<u8> {
    let model = Model::load(bytes).unwrap();
    let mut arena = vec![0u8; Interpreter::arena_bytes(&model).unwrap()];
    let mut interp = Interpreter::new(&model, &mut arena).unwrap();
    interp.set_input(0, input).unwrap();
    interp.invoke().unwrap();
    interp.output(0).unwrap().to_vec()
}

#[test]
fn a_slot_answers_like_a_fresh_interpreter_call_after_call() {
    let bytes = repo_model("models/sine/sine.tflite");
    let mut h = LocalRunner::new();
    let info = h.load(0, bytes.clone(), Some(64 * 1024)).unwrap();
    assert_eq!(info.budget, 64 * 1024);
    assert_eq!(info.inputs.len(), 1);
    assert_eq!(info.input_bytes(0), 1);
    assert!(info.arena_used >= info.report.arena_bytes - 64 && info.arena_used <= 64 * 1024);
    for (tag, x) in [-128i8, -40, 0, 33, 127].into_iter().enumerate() {
        let input = vec![x as u8];
        let out = h.invoke(0, tag as u64, vec![input.clone()]).unwrap();
        assert_eq!(out[0], one_shot(&bytes, &input), "x = {x}");
    }
}

#[test]
fn slots_are_independent_and_a_reload_replaces_the_model() {
    let int8 = repo_model("models/sine/sine.tflite");
    let float = repo_model("models/sine/sine_float.tflite");
    let mut h = LocalRunner::new();
    let a = h.load(1, int8.clone(), None).unwrap();
    let b = h.load(2, float.clone(), None).unwrap();
    assert_eq!(a.inputs[0].dtype, "INT8");
    assert_eq!(b.inputs[0].dtype, "FLOAT32");
    let x = 1.5f32.to_le_bytes().to_vec();
    assert_eq!(
        h.invoke(2, 7, vec![x.clone()]).unwrap()[0],
        one_shot(&float, &x)
    );
    assert_eq!(
        h.invoke(1, 8, vec![vec![5]]).unwrap()[0],
        one_shot(&int8, &[5])
    );
    // Slot 1 now holds the float model.
    h.load(1, float.clone(), None).unwrap();
    assert_eq!(
        h.invoke(1, 9, vec![x.clone()]).unwrap()[0],
        one_shot(&float, &x)
    );
    h.send(RunnerRequest::Unload { slot: 2 });
    assert!(h.invoke(2, 10, vec![x]).unwrap_err().contains("no model"));
}

#[test]
fn bad_requests_get_the_engines_words() {
    let mut h = LocalRunner::new();
    let err = h.load(0, b"not a model at all".to_vec(), None).unwrap_err();
    assert!(err.contains("not a TensorFlow Lite file"), "{err}");
    // The failed slot answers, in order, that it has no model.
    assert!(h
        .invoke(0, 1, vec![vec![0]])
        .unwrap_err()
        .contains("no model"));
    let bytes = repo_model("models/digits/digits.tflite");
    let err = h.load(0, bytes.clone(), Some(1024)).unwrap_err();
    assert!(err.contains("arena"), "{err}");
    let info = h.load(0, bytes, None).unwrap();
    let err = h.invoke(0, 2, vec![vec![0; 3]]).unwrap_err();
    assert!(err.contains("input"), "{err}");
    let err = h.invoke(0, 3, vec![]).unwrap_err();
    assert!(err.contains("1 input"), "{err}");
    assert_eq!(info.input_bytes(0), 28 * 28);
}

#[test]
fn a_batch_reports_progress_and_every_output() {
    let bytes = repo_model("models/sine/sine.tflite");
    let mut h = LocalRunner::new();
    h.load(3, bytes.clone(), None).unwrap();
    let samples: Vec<u8> = (0..250u32).map(|i| (i as u8).wrapping_mul(37)).collect();
    let answers = h.send(RunnerRequest::Batch {
        slot: 3,
        tag: 4,
        samples: samples.clone(),
        count: 250,
    });
    let progress: Vec<u32> = answers
        .iter()
        .filter_map(|a| match a {
            RunnerResponse::Progress {
                done, total: 250, ..
            } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(progress, vec![100, 200]);
    let Some(RunnerResponse::BatchDone { result: Ok(r), .. }) = answers.last() else {
        panic!("{answers:?}")
    };
    let expected: Vec<u8> = samples
        .iter()
        .flat_map(|&s| one_shot(&bytes, &[s]))
        .collect();
    assert_eq!(r.outputs, expected);
    let answers = h.send(RunnerRequest::Batch {
        slot: 3,
        tag: 5,
        samples: vec![0; 7],
        count: 2,
    });
    assert!(matches!(
        answers.as_slice(),
        [RunnerResponse::BatchDone { result: Err(e), .. }] if e.contains("not 2 samples")
    ));
}
