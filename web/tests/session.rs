//! The worker's engine session on the host: the page's figures are the engine's own.

mod common;

use common::{shared_dir, HostClock};
use tinyml_engine::{Interpreter, Model};
use tinyml_web::protocol::{InputChoice, Request, Response};
use tinyml_web::session::Session;

fn model_bytes(name: &str) -> Vec<u8> {
    let path = shared_dir().join("models/tflm").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(session: &mut Session, name: &str, bytes: Vec<u8>) -> Response {
    session.handle(
        Request::Load {
            name: name.into(),
            bytes,
        },
        &HostClock::new(),
    )
}

#[test]
fn report_carries_the_engines_arena_size_and_plan() {
    let bytes = model_bytes("hello_world_int8.tflite");
    let model = Model::load(&bytes).expect("load");
    let expected = Interpreter::arena_bytes(&model).expect("arena_bytes");
    let mut session = Session::default();
    let Response::Loaded(Ok(report)) = load(&mut session, "hello", bytes.clone()) else {
        panic!("load failed")
    };
    assert_eq!(report.arena_bytes, expected);
    assert_eq!(report.file_bytes, bytes.len());
    let ops: Vec<&str> = report.subgraphs[0]
        .ops
        .iter()
        .map(|o| o.op.as_str())
        .collect();
    assert_eq!(ops, ["FULLY_CONNECTED"; 3]);
    assert!(report.plan.iter().all(|p| p.offset + p.size <= expected));
}

#[test]
fn too_small_a_budget_is_the_engines_error_with_both_figures() {
    let bytes = model_bytes("hello_world_int8.tflite");
    let needed = Interpreter::arena_bytes(&Model::load(&bytes).expect("load")).expect("size");
    let mut session = Session::default();
    load(&mut session, "hello", bytes);
    let clock = HostClock::new();
    let Response::Fitted(fit) = session.handle(Request::Fit { budget: needed - 1 }, &clock) else {
        panic!("wrong answer")
    };
    assert_eq!(
        fit.result,
        Err(format!(
            "needs {needed} B of arena; {} B available",
            needed - 1
        ))
    );
    let Response::Fitted(fit) = session.handle(Request::Fit { budget: needed }, &clock) else {
        panic!("wrong answer")
    };
    assert_eq!(fit.result, Ok(needed));
}

#[test]
fn run_outputs_match_a_direct_engine_run() {
    let bytes = model_bytes("hello_world_int8.tflite");
    let model = Model::load(&bytes).expect("load");
    let mut arena = vec![0u8; 4096];
    let mut interp = Interpreter::new(&model, &mut arena).expect("plan");
    interp.set_input(0, &[0x40]).expect("input");
    interp.invoke().expect("invoke");
    let direct = interp.output(0).expect("output").to_vec();

    let mut session = Session::default();
    load(&mut session, "hello", bytes.clone());
    let response = session.handle(
        Request::Run {
            budget: 1536,
            input: InputChoice::Bytes(vec![0x40]),
        },
        &HostClock::new(),
    );
    let Response::Ran(Ok(run)) = response else {
        panic!("run failed: {response:?}")
    };
    assert_eq!(run.outputs[0].raw, direct);
    assert_eq!(run.ops.len(), 3);
    assert!(run.iterations >= 1);

    let Response::Ran(Err(e)) = session.handle(
        Request::Run {
            budget: 1536,
            input: InputChoice::Bytes(vec![1, 2]),
        },
        &HostClock::new(),
    ) else {
        panic!("a wrong-sized input must fail")
    };
    assert!(
        e.starts_with("the input file has 2 B; the model's inputs take 1 B"),
        "{e}"
    );
}

#[test]
fn bad_files_fail_in_plain_words() {
    let mut session = Session::default();
    let Response::Loaded(Err(e)) = load(&mut session, "junk", b"not a model at all".to_vec())
    else {
        panic!("junk loaded")
    };
    assert_eq!(e, "not a TensorFlow Lite file");
}

#[test]
fn constant_tensor_values_come_from_the_model() {
    let bytes = model_bytes("hello_world_int8.tflite");
    let model = Model::load(&bytes).expect("load");
    let mut session = Session::default();
    load(&mut session, "hello", bytes.clone());
    let (t, info) = (0..model.tensor_count(0).expect("count"))
        .map(|t| (t, model.tensor(0, t).expect("tensor")))
        .find(|(_, i)| i.data.is_some())
        .expect("a constant");
    let (off, len) = info.data.expect("data");
    let Response::TensorValues(Ok(v)) = session.handle(
        Request::Tensor {
            subgraph: 0,
            tensor: t as u32,
        },
        &HostClock::new(),
    ) else {
        panic!("no values")
    };
    assert_eq!(v.data.raw, bytes[off..off + len]);
}

/// A small template for `board` (a fake firmware of 256 bytes), as deploy's own tests make.
fn template_blob(board: &'static tinyml_deploy::board::Board, slot_capacity: u32) -> Vec<u8> {
    let code: Vec<u8> = (0..=255u8).collect();
    tinyml_deploy::template::Template {
        board,
        load_address: board.flash_origin,
        code: &code,
        slot_address: board.flash_origin + 0x4000,
        slot_capacity,
        arena_capacity: 64 * 1024,
    }
    .to_blob()
}

fn export(
    session: &mut Session,
    board: &str,
    format: &str,
    template: Vec<u8>,
    input: InputChoice,
) -> Result<tinyml_web::protocol::ExportReport, String> {
    match session.handle(
        Request::Export {
            board: board.into(),
            format: format.into(),
            template,
            input,
        },
        &HostClock::new(),
    ) {
        Response::Exported(r) => r,
        other => panic!("wrong answer {other:?}"),
    }
}

#[test]
fn export_is_deploys_file_with_the_run_panels_input() {
    use tinyml_deploy::board::NETDUINOPLUS2;
    use tinyml_deploy::format::Format;
    let bytes = model_bytes("hello_world_int8.tflite");
    let model = Model::load(&bytes).expect("load");
    let arena = Interpreter::arena_bytes(&model).expect("arena");
    let mut session = Session::default();
    load(
        &mut session,
        "models/hello_world_int8.tflite",
        bytes.clone(),
    );
    let blob = template_blob(&NETDUINOPLUS2, 16 * 1024);
    let template = tinyml_deploy::template::Template::parse(&blob).expect("template");

    // Zeros are the input's zero point (-128 for hello_world's int8 input).
    let r = export(
        &mut session,
        "netduinoplus2",
        "dfu",
        blob.clone(),
        InputChoice::Zero,
    )
    .expect("export");
    assert_eq!(r.input, [0x80]);
    let (image, file) =
        tinyml_deploy::export_flash_file(&template, &model, arena, Some(&[0x80]), Format::Dfu)
            .expect("direct");
    assert_eq!(r.files.len(), 1);
    assert_eq!(r.files[0].name, "hello_world_int8-netduinoplus2.dfu");
    assert_eq!(r.files[0].bytes, file);
    let segments: Vec<(u32, Vec<u8>)> = image
        .segments
        .into_iter()
        .map(|s| (s.address, s.data))
        .collect();
    assert_eq!(r.segments, segments);

    // A file's bytes go in as they are; a file of the wrong size is refused.
    let r = export(
        &mut session,
        "netduinoplus2",
        "bin",
        blob.clone(),
        InputChoice::Bytes(vec![7]),
    )
    .expect("export");
    assert_eq!(r.input, [7]);
    let e = export(
        &mut session,
        "netduinoplus2",
        "bin",
        blob.clone(),
        InputChoice::Bytes(vec![7, 7]),
    )
    .unwrap_err();
    assert!(
        e.starts_with("the input file has 2 B; the model's inputs take 1 B"),
        "{e}"
    );

    // Another board's template, an unknown format, a slot too small: plain refusals.
    let e = export(
        &mut session,
        "stm32f407-discovery",
        "bin",
        blob.clone(),
        InputChoice::Zero,
    )
    .unwrap_err();
    assert_eq!(
        e,
        "the firmware template is netduinoplus2's, not stm32f407-discovery's"
    );
    let e = export(&mut session, "pico", "hex", blob.clone(), InputChoice::Zero).unwrap_err();
    assert!(
        e.starts_with("no hex export for pico: the RP2040 boot ROM takes uf2"),
        "{e}"
    );
    let e = export(
        &mut session,
        "netduinoplus2",
        "elf",
        blob,
        InputChoice::Zero,
    )
    .unwrap_err();
    assert_eq!(e, "unknown format \"elf\"");
    let e = export(
        &mut session,
        "netduinoplus2",
        "bin",
        template_blob(&NETDUINOPLUS2, 1024),
        InputChoice::Zero,
    )
    .unwrap_err();
    assert!(
        e.starts_with("the model does not fit netduinoplus2's flash: its slot needs "),
        "{e}"
    );
    assert!(
        e.ends_with("but the firmware leaves 1,024 B of the 1,048,576 B flash for it"),
        "{e}"
    );

    // The C array: the model alone, named after the file as `tinyml export` names it.
    let r = export(
        &mut session,
        "netduinoplus2",
        "c",
        Vec::new(),
        InputChoice::Zero,
    )
    .expect("c");
    let (header, source) = tinyml_deploy::format::c_array::export(
        "hello_world_int8.tflite",
        &bytes,
        arena,
        &NETDUINOPLUS2,
    );
    let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["model_data.cc", "model_data.h"]);
    assert_eq!(r.files[0].bytes, source.into_bytes());
    assert_eq!(r.files[1].bytes, header.into_bytes());
    assert!(r.segments.is_empty() && r.input.is_empty());
}
