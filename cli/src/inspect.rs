//! `tinyml inspect`.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use tinyml_engine::{BufferKind, Interpreter, Model, TensorInfo, Thousands};

use crate::read_model;

fn tensor_json(sg: usize, t: &TensorInfo<'_>) -> Value {
    json!({
        "subgraph": sg,
        "index": t.index,
        "name": String::from_utf8_lossy(t.name),
        "dtype": t.dtype.name(),
        "shape": t.shape.dims(),
        "bytes": t.bytes,
        "scale": t.quant.map(|q| q.scale),
        "zero_point": t.quant.map(|q| q.zero_point),
        "per_channel": t.quant.map(|q| q.channels > 1).unwrap_or(false),
        "const": t.data.is_some(),
        "variable": t.is_variable,
    })
}

/// Everything `inspect` reports, as JSON.
pub fn describe(bytes: &[u8]) -> Result<Value> {
    let model = Model::load(bytes)?;
    let arena_bytes = Interpreter::arena_bytes(&model)?;
    let mut arena = vec![0u8; arena_bytes];
    let interp = Interpreter::new(&model, &mut arena)?;
    let usage = interp.usage();

    let mut tensors = Vec::new();
    let mut ops = Vec::new();
    for sg in 0..model.subgraph_count() {
        for t in 0..model.tensor_count(sg)? {
            tensors.push(tensor_json(sg, &model.tensor(sg, t)?));
        }
        for i in 0..model.op_count(sg)? {
            let op = model.op(sg, i)?;
            let list = |v: tinyml_engine::format::flatbuf::Vector<'_>| -> Result<Vec<i32>> {
                (0..v.len()).map(|k| v.i32(k).map_err(Into::into)).collect()
            };
            ops.push(json!({
                "subgraph": sg,
                "index": i,
                "op": op.name(),
                "version": op.version,
                "inputs": list(op.inputs()?)?,
                "outputs": list(op.outputs()?)?,
                "macs": interp.op_macs(sg, i)?,
            }));
        }
    }
    let io = |outputs: bool| -> Result<Vec<Value>> {
        let n = if outputs {
            interp.output_count()
        } else {
            interp.input_count()
        };
        (0..n)
            .map(|i| {
                let t = if outputs {
                    interp.output_info(i)?
                } else {
                    interp.input_info(i)?
                };
                Ok(tensor_json(0, &t))
            })
            .collect()
    };
    let mut plan = Vec::new();
    for i in 0..interp.plan_len() {
        let e = interp.plan_entry(i)?;
        if matches!(e.kind, BufferKind::Unused | BufferKind::Const) {
            continue;
        }
        let scratch = e.kind == BufferKind::Scratch;
        plan.push(json!({
            "subgraph": e.subgraph,
            "tensor": if scratch { Value::Null } else { json!(e.index) },
            "op": if scratch { json!(e.index) } else { Value::Null },
            "kind": e.kind.name(),
            "offset": e.offset,
            "size": e.size,
            "first_op": e.first,
            "last_op": e.last,
        }));
    }
    Ok(json!({
        "arena_bytes": arena_bytes,
        "arena": {
            "activations": usage.activations,
            "persistent": usage.persistent,
            "state": usage.state,
            "scratch": usage.scratch,
            "steps": usage.steps,
        },
        "subgraphs": model.subgraph_count(),
        "description": model.description()?.map(|d| String::from_utf8_lossy(d).into_owned()),
        "ops": ops,
        "inputs": io(false)?,
        "outputs": io(true)?,
        "tensors": tensors,
        "plan": plan,
    }))
}

/// Prints the model description, as text or JSON.
pub fn inspect(path: &Path, as_json: bool) -> Result<()> {
    let mut out = String::new();
    let bytes = read_model(path)?;
    let d = describe(&bytes).with_context(|| format!("{}", path.display()))?;
    if as_json {
        outln!(out, "{}", serde_json::to_string_pretty(&d)?);
        return crate::emit(&out);
    }
    let arena = &d["arena"];
    outln!(out, "{}", path.display());
    outln!(
        out,
        "arena_bytes: {} ({} activations + scratch, {} persistent of which {} state)",
        Thousands(d["arena_bytes"].as_u64().unwrap_or(0) as usize),
        Thousands(arena["activations"].as_u64().unwrap_or(0) as usize),
        Thousands(arena["persistent"].as_u64().unwrap_or(0) as usize),
        Thousands(arena["state"].as_u64().unwrap_or(0) as usize),
    );
    let describe_tensor = |t: &Value| {
        format!(
            "{} {} {:?} scale={} zero_point={}",
            t["name"].as_str().unwrap_or(""),
            t["dtype"].as_str().unwrap_or(""),
            t["shape"]
                .as_array()
                .map(|a| a
                    .iter()
                    .map(|v| v.as_i64().unwrap_or(0))
                    .collect::<Vec<_>>())
                .unwrap_or_default(),
            t["scale"],
            t["zero_point"]
        )
    };
    for (label, key) in [("input", "inputs"), ("output", "outputs")] {
        for (i, t) in d[key].as_array().into_iter().flatten().enumerate() {
            outln!(out, "{label} {i}: {}", describe_tensor(t));
        }
    }
    outln!(out, "ops:");
    for op in d["ops"].as_array().into_iter().flatten() {
        outln!(
            out,
            "  [{}:{}] {} v{}  in {} out {}  macs {}",
            op["subgraph"],
            op["index"],
            op["op"].as_str().unwrap_or(""),
            op["version"],
            op["inputs"],
            op["outputs"],
            op["macs"]
        );
    }
    crate::emit(&out)
}
