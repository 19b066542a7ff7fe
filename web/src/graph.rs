//! Lays out a subgraph's operator graph for the SVG picture: ops in layers (a layer is one
//! more than the deepest op feeding it), graph inputs on top, outputs at the bottom, and one edge
//! per (tensor, consumer) labelled with the tensor's shape, type and quantization.

use crate::protocol::{SubgraphReport, TensorReport};

/// Width of an op box.
pub const NODE_W: f64 = 210.0;
/// Horizontal gap between boxes.
const GAP_X: f64 = 50.0;
/// Vertical gap between layers (room for an edge label).
const GAP_Y: f64 = 56.0;
/// Height of a box's title line.
const TITLE_H: f64 = 30.0;
/// Height of one constant-input line in an op box.
pub const LINE_H: f64 = 15.0;
/// Page margin.
const MARGIN: f64 = 16.0;
/// Room right of the widest row for the labels of its edges.
const LABEL_W: f64 = 200.0;

/// What a box stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Op `i` of the subgraph.
    Op(usize),
    /// Graph input tensor.
    Input(u32),
    /// Graph output tensor.
    Output(u32),
}

/// A placed box.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Height.
    pub h: f64,
    /// Constant inputs drawn inside an op box (tensor indices).
    pub consts: Vec<u32>,
}

/// A placed edge carrying a tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The tensor.
    pub tensor: u32,
    /// Source point (bottom centre of the producer).
    pub from: (f64, f64),
    /// Target point (top centre of the consumer).
    pub to: (f64, f64),
}

/// A laid-out graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Boxes.
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// Picture width.
    pub width: f64,
    /// Picture height.
    pub height: f64,
}

/// The label of an edge: `1×96×96×1 INT8 s=0.00392 zp=-128`.
pub fn tensor_label(t: &TensorReport) -> String {
    let shape = if t.shape.is_empty() {
        "scalar".to_string()
    } else {
        t.shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("×")
    };
    match (t.scale, t.zero_point) {
        (Some(s), Some(zp)) => format!("{shape} {} s={} zp={zp}", t.dtype, short_float(s)),
        _ => format!("{shape} {}", t.dtype),
    }
}

/// A float in at most 3 significant digits (0.00392, 1.2e-5).
pub fn short_float(v: f32) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e4).contains(&a) {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.3}");
        if a < 1.0 && a != 0.0 {
            format!("{v:.*}", (3.0 - a.log10().floor()) as usize - 1)
        } else {
            s
        }
    }
}

/// Places the boxes and edges of `sg`.
pub fn layout(sg: &SubgraphReport) -> Layout {
    let tensors = &sg.tensors;
    let is_const = |t: i32| t >= 0 && tensors.get(t as usize).is_some_and(|t| t.is_const);
    // Producer node of each tensor, and each node's layer.
    let mut producer: Vec<Option<usize>> = vec![None; tensors.len()];
    let mut kinds = Vec::new();
    let mut layers = Vec::new();
    for &t in &sg.inputs {
        if let Some(p) = producer.get_mut(t as usize) {
            *p = Some(kinds.len());
        }
        kinds.push(NodeKind::Input(t as u32));
        layers.push(0usize);
    }
    let mut consts = Vec::new();
    consts.resize(kinds.len(), Vec::new());
    for (i, op) in sg.ops.iter().enumerate() {
        let depth = op
            .inputs
            .iter()
            .filter(|&&t| t >= 0 && !is_const(t))
            .filter_map(|&t| producer.get(t as usize).copied().flatten())
            .map(|n| layers[n] + 1)
            .max()
            .unwrap_or(1);
        let node = kinds.len();
        kinds.push(NodeKind::Op(i));
        layers.push(depth);
        consts.push(
            op.inputs
                .iter()
                .filter(|&&t| is_const(t))
                .map(|&t| t as u32)
                .collect(),
        );
        for &t in &op.outputs {
            if let Some(p) = producer.get_mut(t as usize) {
                *p = Some(node);
            }
        }
    }
    for &t in &sg.outputs {
        let depth = producer
            .get(t as usize)
            .copied()
            .flatten()
            .map_or(1, |n| layers[n] + 1);
        kinds.push(NodeKind::Output(t as u32));
        layers.push(depth);
        consts.push(Vec::new());
    }

    // Rows.
    let rows = layers.iter().copied().max().map_or(0, |m| m + 1);
    let mut row_nodes: Vec<Vec<usize>> = vec![Vec::new(); rows];
    for (n, &l) in layers.iter().enumerate() {
        row_nodes[l].push(n);
    }
    let widest = row_nodes.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let rows_w = widest as f64 * NODE_W + (widest - 1) as f64 * GAP_X;
    let width = MARGIN * 2.0 + rows_w + LABEL_W;
    let height_of = |n: usize| match kinds[n] {
        NodeKind::Op(_) => TITLE_H + 4.0 + consts[n].len() as f64 * LINE_H,
        _ => TITLE_H,
    };
    let mut nodes: Vec<Node> = kinds
        .iter()
        .enumerate()
        .map(|(n, &kind)| Node {
            kind,
            x: 0.0,
            y: 0.0,
            h: height_of(n),
            consts: consts[n].clone(),
        })
        .collect();
    let mut y = MARGIN;
    for row in &row_nodes {
        if row.is_empty() {
            continue;
        }
        let row_w = row.len() as f64 * NODE_W + (row.len() - 1) as f64 * GAP_X;
        let mut x = MARGIN + (rows_w - row_w) / 2.0;
        let mut row_h: f64 = 0.0;
        for &n in row {
            nodes[n].x = x;
            nodes[n].y = y;
            row_h = row_h.max(nodes[n].h);
            x += NODE_W + GAP_X;
        }
        y += row_h + GAP_Y;
    }
    let height = y - GAP_Y + MARGIN;

    // Edges: (tensor, consumer) pairs whose producer is known.
    let bottom = |n: &Node| (n.x + NODE_W / 2.0, n.y + n.h);
    let top = |n: &Node| (n.x + NODE_W / 2.0, n.y);
    let mut edges = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let ins: Vec<i32> = match node.kind {
            NodeKind::Op(i) => sg.ops[i].inputs.clone(),
            NodeKind::Output(t) => vec![t as i32],
            NodeKind::Input(_) => Vec::new(),
        };
        for t in ins {
            if t < 0 || is_const(t) {
                continue;
            }
            if let Some(p) = producer.get(t as usize).copied().flatten() {
                if p != n {
                    edges.push(Edge {
                        tensor: t as u32,
                        from: bottom(&nodes[p]),
                        to: top(node),
                    });
                }
            }
        }
    }
    Layout {
        nodes,
        edges,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OpReport;

    fn tensor(index: u32, is_const: bool) -> TensorReport {
        TensorReport {
            index,
            name: format!("t{index}"),
            dtype: "INT8".into(),
            elem_bytes: 1,
            shape: vec![1, 4],
            bytes: 4,
            scale: Some(0.5),
            zero_point: Some(-1),
            channels: 1,
            is_const,
            is_variable: false,
        }
    }

    fn op(index: u32, inputs: Vec<i32>, outputs: Vec<i32>) -> OpReport {
        OpReport {
            index,
            op: "ADD".into(),
            version: 1,
            inputs,
            outputs,
            macs: 0,
        }
    }

    #[test]
    fn branches_share_a_layer_and_join_below() {
        // in(0) -> op0 -> t1 ; in(0) -> op1 -> t2 ; op2(t1, t2, const t4) -> t3 (output)
        let sg = SubgraphReport {
            tensors: (0..5).map(|i| tensor(i, i == 4)).collect(),
            ops: vec![
                op(0, vec![0], vec![1]),
                op(1, vec![0], vec![2]),
                op(2, vec![1, 2, 4], vec![3]),
            ],
            inputs: vec![0],
            outputs: vec![3],
        };
        let l = layout(&sg);
        let y_of = |k: NodeKind| l.nodes.iter().find(|n| n.kind == k).expect("node").y;
        assert_eq!(y_of(NodeKind::Op(0)), y_of(NodeKind::Op(1)));
        assert!(y_of(NodeKind::Op(2)) > y_of(NodeKind::Op(0)));
        assert!(y_of(NodeKind::Output(3)) > y_of(NodeKind::Op(2)));
        // Edges: in->op0, in->op1, op0->op2, op1->op2, op2->out; the constant is drawn inside.
        assert_eq!(l.edges.len(), 5);
        let op2 = l
            .nodes
            .iter()
            .find(|n| n.kind == NodeKind::Op(2))
            .expect("op2");
        assert_eq!(op2.consts, vec![4]);
    }

    #[test]
    fn labels_read_like_the_schema() {
        assert_eq!(tensor_label(&tensor(0, false)), "1×4 INT8 s=0.500 zp=-1");
        assert_eq!(short_float(0.003_921_569), "0.00392");
        assert_eq!(short_float(2.5e-5), "2.50e-5");
    }
}
