//! UNIDIRECTIONAL_SEQUENCE_LSTM, as TFLM's `micro/kernels/unidirectional_sequence_lstm.cc` and
//! `lstm_eval.h` run it: one LSTM step per time step (time-major: all batches at once;
//! batch-major: batch by batch), each step computing the forget, input and cell gates, updating
//! the cell state, computing the output gate and the new hidden state, and copying the hidden
//! state into the output.
//!
//! Variants (TFLM's kernel supports exactly these): int8 activations with int8 weights, int32
//! biases and an int16 cell state; int16 activations with int8 weights, int64 biases and an
//! int16 cell state; and float32. TFLM requires all four gates' weights and biases, and no
//! peephole, projection or layer-norm tensors. Hidden and cell states are variable tensors
//! that persist between invocations.
//!
//! In the integer variants each gate's two fully-connected layers produce int16 in Q3.12
//! (scale 2^-12); the gate non-linearities are TFLM's int16 table-based sigmoid and tanh,
//! producing Q0.15 (scale 2^-15); the cell state has its own (power-of-two) scale.
//!
//! Two implementations of the int8 step: the plain one follows TFLM's buffers and loops; the
//! fast one (`step_i8_fast`, used whenever the offsets allow int16 operands — every
//! converter-written model) gives the same bits with the input and hidden vectors widened once
//! per step, four gate rows per dot product, and each unit's gates, cell update and hidden value
//! computed together, so it needs none of TFLM's four gate buffers (prepare requests them only
//! for the plain step). A unit test compares the two on random sizes and parameters.

use bytemuck::{Pod, Zeroable};

use super::{dot, Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant;
use crate::tensor::DType;

/// Registration. TFLM runs every version (1 float, 2 and 3 hybrid, which prepare rejects by
/// type, 4 full-integer).
pub const UNIDIRECTIONAL_SEQUENCE_LSTM: Registration = Registration {
    code: 44,
    max_version: 4,
    prepare,
    eval,
    aliases_input: false,
};

const KIND_F32: u32 = 0;
/// int8 activations, int32 bias.
const KIND_I8: u32 = 1;
/// int16 activations, int64 bias.
const KIND_I16: u32 = 2;

/// Gates in the schema's order (input tensors `1 + g`, `5 + g`, `12 + g`).
const GATE_INPUT: usize = 0;
const GATE_FORGET: usize = 1;
const GATE_CELL: usize = 2;
const GATE_OUTPUT: usize = 3;

/// Scale TFLM gives the gates' fully-connected outputs (the non-linearities' input): 2^-12.
const GATE_PRE_SCALE: f32 = 1.0 / 4096.0;
/// Scale of the non-linearities' output: 2^-15.
const GATE_POST_SCALE: f32 = 1.0 / 32768.0;

/// One gate's two fully-connected layers (integer variants).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GateQuant {
    input_offset: i32,
    input_weight_offset: i32,
    input_multiplier: i32,
    input_shift: i32,
    recurrent_offset: i32,
    recurrent_weight_offset: i32,
    recurrent_multiplier: i32,
    recurrent_shift: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    input_weights: [TensorId; 4],
    recurrent_weights: [TensorId; 4],
    biases: [TensorId; 4],
    hidden: TensorId,
    cell: TensorId,
    output: TensorId,
    kind: u32,
    batches: u32,
    time_steps: u32,
    input_dim: u32,
    state_dim: u32,
    time_major: u32,
    gates: [GateQuant; 4],
    /// forget gate x cell state -> cell state.
    forget_mul: [i32; 2],
    /// input gate x cell gate -> cell state.
    input_mul: [i32; 2],
    /// output gate x tanh(cell) -> hidden state.
    output_mul: [i32; 2],
    hidden_zp: i32,
    hidden_min: i32,
    hidden_max: i32,
    cell_clip: f32,
    quantized_cell_clip: i32,
    /// The cell state's tanh input multiplier and shift (TFLM's convention: multiplier 0
    /// means `3 << shift`).
    cell_tanh_multiplier: i32,
    cell_tanh_shift: i32,
    /// 1 when [`step_i8_fast`] runs (see [`fast_i8_applies`]); it needs no gate buffers.
    fast: u32,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 24 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("UNIDIRECTIONAL_SEQUENCE_LSTM needs 24 inputs and 1 output"));
    }
    let options = ctx
        .options()?
        .ok_or(ctx.unsupported("an LSTM without options"))?;
    let activation = options.u8(0, 0)?;
    let cell_clip = options.f32(1, 0.0)?;
    let time_major = options.bool(3, false)?;
    // TFLM's gate code handles only sigmoid and tanh, and the schema can only express tanh.
    if activation != 4 {
        return Err(ctx.unsupported("an LSTM cell activation other than TANH"));
    }
    for k in (9..12).chain(16..18).chain(20..24) {
        if ctx.opt_input(k)?.is_some() {
            return Err(ctx.unsupported(
                "LSTM peephole, projection or layer-norm tensors (TFLM's kernel has none)",
            ));
        }
    }
    let input = ctx.input(0)?;
    let hidden = ctx.input(18)?;
    let cell = ctx.input(19)?;
    let output = ctx.output(0)?;
    if !hidden.is_variable || !cell.is_variable {
        return Err(ctx.invalid("LSTM hidden and cell states must be variable tensors"));
    }
    let mut weights = [input; 8];
    for (k, w) in weights.iter_mut().enumerate() {
        *w = ctx
            .opt_input(1 + k)?
            .ok_or(ctx.unsupported("an LSTM without all four gates (CIFG)"))?;
    }
    let mut biases = [input; 4];
    for (k, b) in biases.iter_mut().enumerate() {
        *b = ctx
            .opt_input(12 + k)?
            .ok_or(ctx.unsupported("an LSTM without all four gate biases"))?;
    }

    // Shapes, as TFLM's CreateLstmSizeInfo and ValidateTensorSize see them.
    if input.shape.rank() != 3 || hidden.shape.rank() < 2 || output.shape.rank() != 3 {
        return Err(ctx.invalid("LSTM input and output must be 3-D"));
    }
    let (d0, d1) = (input.shape.dim(0) as usize, input.shape.dim(1) as usize);
    let (batches, time_steps) = if time_major { (d1, d0) } else { (d0, d1) };
    let input_dim = input.shape.dim(2) as usize;
    let state_dim = hidden.shape.dim(1) as usize;
    for (k, w) in weights.iter().enumerate() {
        let cols = if k < 4 { input_dim } else { state_dim };
        if w.shape.rank() != 2
            || w.shape.dim(0) as usize != state_dim
            || w.shape.dim(1) as usize != cols
        {
            return Err(ctx.invalid("LSTM weights are not [state, input] / [state, state]"));
        }
    }
    for b in &biases {
        if b.shape.rank() != 1 || b.shape.dim(0) as usize != state_dim {
            return Err(ctx.invalid("LSTM biases are not [state]"));
        }
    }
    let state_elems = batches
        .checked_mul(state_dim)
        .ok_or(ctx.invalid("LSTM state too large"))?;
    if hidden.elements() != state_elems || cell.elements() != state_elems {
        return Err(ctx.invalid("LSTM states are not batch x state elements"));
    }
    if output.shape.dim(0) != input.shape.dim(0)
        || output.shape.dim(1) != input.shape.dim(1)
        || output.shape.dim(2) as usize != state_dim
    {
        return Err(ctx.invalid("LSTM output is not [.., .., state] like its input"));
    }

    let mut p = Params {
        input: ctx.input_id(0)?,
        input_weights: [TensorId::NONE; 4],
        recurrent_weights: [TensorId::NONE; 4],
        biases: [TensorId::NONE; 4],
        hidden: ctx.input_id(18)?,
        cell: ctx.input_id(19)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        batches: batches as u32,
        time_steps: time_steps as u32,
        input_dim: input_dim as u32,
        state_dim: state_dim as u32,
        time_major: time_major as u32,
        gates: [GateQuant::zeroed(); 4],
        forget_mul: [0; 2],
        input_mul: [0; 2],
        output_mul: [0; 2],
        hidden_zp: 0,
        hidden_min: 0,
        hidden_max: 0,
        cell_clip,
        quantized_cell_clip: 0,
        cell_tanh_multiplier: 0,
        cell_tanh_shift: 0,
        fast: 0,
    };
    for g in 0..4 {
        p.input_weights[g] = ctx.input_id(1 + g)?;
        p.recurrent_weights[g] = ctx.input_id(5 + g)?;
        p.biases[g] = ctx.input_id(12 + g)?;
    }

    let weight_type = weights[0].dtype;
    let bias_type = biases[0].dtype;
    for w in &weights {
        if w.dtype != weight_type {
            return Err(ctx.invalid("LSTM weights differ in type"));
        }
    }
    for b in &biases {
        if b.dtype != bias_type {
            return Err(ctx.invalid("LSTM biases differ in type"));
        }
    }
    if hidden.dtype != input.dtype || output.dtype != input.dtype {
        return Err(ctx.invalid("LSTM hidden state and output must have the input's type"));
    }
    let cell_bytes = match (input.dtype, weight_type, bias_type, cell.dtype) {
        (DType::F32, DType::F32, DType::F32, DType::F32) => 4,
        (DType::I8, DType::I8, DType::I32, DType::I16) => {
            p.kind = KIND_I8;
            2
        }
        (DType::I16, DType::I8, DType::I64, DType::I16) => {
            p.kind = KIND_I16;
            2
        }
        _ => return Err(ctx.unsupported("these LSTM tensor types")),
    };

    if p.kind != KIND_F32 {
        let iq = input.require_quant()?;
        let hq = hidden.require_quant()?;
        let cq = cell.require_quant()?;
        for g in 0..4 {
            let wi = &weights[g];
            let wr = &weights[4 + g];
            let (wiq, wrq) = (wi.require_quant()?, wr.require_quant()?);
            // TFLM's LSTM copies only the per-tensor multiplier into its gate parameters.
            if wiq.channels > 1 || wrq.channels > 1 {
                return Err(ctx.unsupported("per-channel LSTM weights"));
            }
            // GetQuantizedConvolutionMultipler as the oracle (PyPI `tflite-micro`) builds it:
            // both scales widened to double, multiplied, divided by the gate's 2^-12 output
            // scale (its disassembly is cvtss2sd, cvtss2sd, mulsd, divsd; FULLY_CONNECTED's
            // per-tensor multiplier, which shares it, is pinned by discriminating cases).
            let mi = iq.scale as f64 * wiq.scale as f64 / GATE_PRE_SCALE as f64;
            let mr = hq.scale as f64 * wrq.scale as f64 / GATE_PRE_SCALE as f64;
            let (im, is) = quant::quantize_multiplier(mi);
            let (rm, rs) = quant::quantize_multiplier(mr);
            p.gates[g] = GateQuant {
                input_offset: -iq.zero_point,
                input_weight_offset: -wiq.zero_point,
                input_multiplier: im,
                input_shift: is,
                recurrent_offset: -hq.zero_point,
                recurrent_weight_offset: -wrq.zero_point,
                recurrent_multiplier: rm,
                recurrent_shift: rs,
            };
        }
        // CreateInterGateMulParams: scales widened to double, multiplied, divided.
        let mul = |a: f32, b: f32, out: f32| {
            let (m, s) = quant::quantize_multiplier(a as f64 * b as f64 / out as f64);
            [m, s]
        };
        p.forget_mul = mul(GATE_POST_SCALE, cq.scale, cq.scale);
        p.input_mul = mul(GATE_POST_SCALE, GATE_POST_SCALE, cq.scale);
        p.output_mul = mul(GATE_POST_SCALE, GATE_POST_SCALE, hq.scale);
        p.hidden_zp = hq.zero_point;
        (p.hidden_min, p.hidden_max) = if p.kind == KIND_I8 {
            (i8::MIN as i32, i8::MAX as i32)
        } else {
            (i16::MIN as i32, i16::MAX as i32)
        };
        // CreateLstmCellStateInfo: the clip in cell-state units, clamped in double and
        // truncated to int16.
        let q = (cell_clip as f64 / cq.scale as f64).clamp(-32768.0, 32767.0);
        p.quantized_cell_clip = q as i16 as i32;
        // The cell tanh's input shift: (15 + log2(cell scale)) - 3; a negative shift becomes a
        // right shift with multiplier 3. Beyond these bounds TFLM's int32 arithmetic overflows.
        let shift = 15 + quant::checked_log2(cq.scale).1 - 3;
        if !(-31..=14).contains(&shift) {
            return Err(ctx.unsupported("an LSTM cell-state scale outside 2^-43..2^2"));
        }
        (p.cell_tanh_multiplier, p.cell_tanh_shift) =
            if shift < 0 { (3, -shift) } else { (0, shift) };
    }

    // Four gate-sized buffers of the cell type, as TFLM's four scratch buffers, for the
    // plain steps; the fast int8 step keeps its gate values in registers.
    p.fast = fast_i8_applies(&p) as u32;
    let buffer = state_elems
        .checked_mul(cell_bytes)
        .and_then(|b| b.checked_mul(4))
        .ok_or(ctx.invalid("LSTM state too large"))?;
    if p.fast == 0 {
        ctx.request_scratch(buffer);
    }
    ctx.set_macs(
        (time_steps as u64)
            .saturating_mul(batches as u64)
            .saturating_mul(4 * state_dim as u64)
            .saturating_mul((input_dim + state_dim) as u64),
    );
    ctx.set_params(&p)
}

// ---------------------------------------------------------------------------------------------
// int16 sigmoid and tanh (TFLM's `reference_integer_ops::Logistic` / `Tanh` for int16).
// To unify with logistic_tanh.rs, which implements the same element functions for the
// LOGISTIC and TANH kernels.
// ---------------------------------------------------------------------------------------------

/// The int16 input scaling both functions share: a multiplier of 0 means `3 << shift` with no
/// shift; otherwise `(x * multiplier + round) >> shift`.
#[inline(always)]
fn scale_input(x: i16, multiplier: i32, shift: i32) -> i32 {
    let (m, s) = if multiplier == 0 {
        (3i32.wrapping_shl(shift as u32), 0)
    } else {
        (multiplier, shift)
    };
    let round = if s > 0 {
        1i32 << (s - 1).clamp(0, 30)
    } else {
        0
    };
    (x as i32).wrapping_mul(m).wrapping_add(round) >> s.clamp(0, 31)
}

/// int16 sigmoid of a gate pre-activation, through the LOGISTIC kernel's shared core.
pub(crate) fn sigmoid_i16(x: i16, multiplier: i32, shift: i32) -> i16 {
    quant::sigmoid_i16_scaled(scale_input(x, multiplier, shift))
}

/// int16 tanh (cell input and output), through the TANH kernel's shared core.
pub(crate) fn tanh_i16(x: i16, multiplier: i32, shift: i32) -> i16 {
    quant::tanh_i16_scaled(scale_input(x, multiplier, shift))
}

// Float exp and tanh: TFLM's float kernels call the C library's `expf`/`tanhf`; the oracle's is
// glibc, so these are the glibc-exact versions from `quant` (see there).

/// `expf` as TFLM's oracle computes it.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    quant::glibc_expf(x)
}

/// `tanhf` as TFLM's oracle computes it (see above).
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    quant::glibc_tanhf(x)
}

// ---------------------------------------------------------------------------------------------
// Element access (little-endian, unaligned: arena and model offsets carry no alignment).
// ---------------------------------------------------------------------------------------------

#[inline(always)]
fn rd16(b: &[u8], i: usize) -> i16 {
    b.get(2 * i..2 * i + 2)
        .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]))
}

#[inline(always)]
fn wr16(b: &mut [u8], i: usize, v: i16) {
    if let Some(s) = b.get_mut(2 * i..2 * i + 2) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

#[inline(always)]
fn rd32(b: &[u8], i: usize) -> i32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0, |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn rd64(b: &[u8], i: usize) -> i64 {
    b.get(8 * i..8 * i + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        i64::from_le_bytes(a)
    })
}

#[inline(always)]
fn rdf(b: &[u8], i: usize) -> f32 {
    f32::from_bits(rd32(b, i) as u32)
}

#[inline(always)]
fn wrf(b: &mut [u8], i: usize, v: f32) {
    if let Some(s) = b.get_mut(4 * i..4 * i + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// An int8 (`size` 1) or int16 (`size` 2) activation element.
#[inline(always)]
fn rd_act(b: &[u8], size: usize, i: usize) -> i32 {
    if size == 1 {
        b.get(i).map_or(0, |&v| v as i8 as i32)
    } else {
        rd16(b, i) as i32
    }
}

#[inline(always)]
fn wr_act(b: &mut [u8], size: usize, i: usize, v: i32) {
    if size == 1 {
        if let Some(o) = b.get_mut(i) {
            *o = v as i8 as u8;
        }
    } else {
        wr16(b, i, v as i16);
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// The read-only tensors of one evaluation.
struct Inputs<'a> {
    input: &'a [u8],
    input_weights: [&'a [u8]; 4],
    recurrent_weights: [&'a [u8]; 4],
    biases: [&'a [u8]; 4],
}

/// Where one LSTM step reads and writes, in elements (TFLM's `LstmStepManager`).
#[derive(Clone, Copy)]
struct Step {
    /// Batches processed at once: all when time-major, else 1.
    rows: usize,
    input_at: usize,
    output_at: usize,
    /// Offset into both the hidden and the cell state.
    state_at: usize,
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let input = ctx.loc(p.input)?;
    let mut wi = [input; 4];
    let mut wr = [input; 4];
    let mut bs = [input; 4];
    for g in 0..4 {
        wi[g] = ctx.loc(p.input_weights[g])?;
        wr[g] = ctx.loc(p.recurrent_weights[g])?;
        bs[g] = ctx.loc(p.biases[g])?;
    }
    let (hidden, cell, output, scratch) = (
        ctx.loc(p.hidden)?,
        ctx.loc(p.cell)?,
        ctx.loc(p.output)?,
        ctx.scratch(),
    );
    let (r, [output, hidden, cell, scratch]) = ctx.split([output, hidden, cell, scratch])?;
    let ins = Inputs {
        input: r.get(input)?,
        input_weights: [r.get(wi[0])?, r.get(wi[1])?, r.get(wi[2])?, r.get(wi[3])?],
        recurrent_weights: [r.get(wr[0])?, r.get(wr[1])?, r.get(wr[2])?, r.get(wr[3])?],
        biases: [r.get(bs[0])?, r.get(bs[1])?, r.get(bs[2])?, r.get(bs[3])?],
    };
    run(&p, &ins, hidden, cell, output, scratch)
}

/// One invocation over raw little-endian tensor bytes: every time step of every batch.
fn run(
    p: &Params,
    ins: &Inputs<'_>,
    hidden: &mut [u8],
    cell: &mut [u8],
    output: &mut [u8],
    scratch: &mut [u8],
) -> Result<()> {
    let (batches, time_steps, input_dim, state_dim) = (
        p.batches as usize,
        p.time_steps as usize,
        p.input_dim as usize,
        p.state_dim as usize,
    );
    let (act, weight, bias, cell_size) = match p.kind {
        KIND_F32 => (4, 4, 4, 4),
        KIND_I8 => (1, 1, 4, 2),
        _ => (2, 1, 8, 2),
    };
    let state_elems = batches * state_dim;
    let buf = if p.fast != 0 {
        0
    } else {
        state_elems * cell_size
    };
    // Prepare checked the shapes; these re-checks make every index below in range.
    if ins.input.len() < time_steps * batches * input_dim * act
        || ins
            .input_weights
            .iter()
            .any(|w| w.len() < state_dim * input_dim * weight)
        || ins
            .recurrent_weights
            .iter()
            .any(|w| w.len() < state_dim * state_dim * weight)
        || ins.biases.iter().any(|b| b.len() < state_dim * bias)
        || hidden.len() < state_elems * act
        || cell.len() < state_elems * cell_size
        || output.len() < time_steps * state_elems * act
        || scratch.len() < 4 * buf
    {
        return Err(Error::malformed("LSTM buffers"));
    }
    let (b0, rest) = scratch.split_at_mut(buf);
    let (b1, rest) = rest.split_at_mut(buf);
    let (b2, b3) = rest.split_at_mut(buf);
    let mut bufs = [b0, b1, b2, b3];

    // EvalLstm: time-major runs every batch in each step; batch-major runs each batch's
    // sequence in turn, its state at its own offset.
    let steps = |f: &mut dyn FnMut(Step)| {
        if p.time_major != 0 {
            for t in 0..time_steps {
                f(Step {
                    rows: batches,
                    input_at: t * batches * input_dim,
                    output_at: t * batches * state_dim,
                    state_at: 0,
                });
            }
        } else {
            for b in 0..batches {
                for t in 0..time_steps {
                    f(Step {
                        rows: 1,
                        input_at: (b * time_steps + t) * input_dim,
                        output_at: (b * time_steps + t) * state_dim,
                        state_at: b * state_dim,
                    });
                }
            }
        }
    };
    if p.kind == KIND_F32 {
        steps(&mut |s| step_f32(p, ins, s, hidden, cell, output, &mut bufs));
    } else if p.fast != 0 {
        let f = FastI8::new(p);
        let (mut xbuf, mut hbuf) = ([0i16; FAST_MAX_DIM], [0i16; FAST_MAX_DIM]);
        steps(&mut |s| step_i8_fast(p, &f, ins, s, hidden, cell, output, &mut xbuf, &mut hbuf));
    } else {
        steps(&mut |s| step_int(p, ins, s, act, hidden, cell, output, &mut bufs));
    }
    Ok(())
}

/// One integer gate (TFLM's `CalculateLstmGate`): the input layer (with the gate's bias) into
/// `gate`, the recurrent layer (no bias) into `tmp`, their saturating int16 sum, then sigmoid
/// or tanh in place.
#[allow(clippy::too_many_arguments)]
fn gate_int(
    p: &Params,
    ins: &Inputs<'_>,
    s: Step,
    act: usize,
    hidden: &[u8],
    g: usize,
    gate: &mut [u8],
    tmp: &mut [u8],
    tanh: bool,
) {
    let (input_dim, state_dim) = (p.input_dim as usize, p.state_dim as usize);
    let q = &p.gates[g];
    let (w_in, w_rec, bias) = (
        ins.input_weights[g],
        ins.recurrent_weights[g],
        ins.biases[g],
    );
    for b in 0..s.rows {
        for c in 0..state_dim {
            // reference_integer_ops::FullyConnected: (w + w_offset) * (x + x_offset) summed in
            // the bias type (int32 for int8 activations, int64 for int16), bias added, then
            // requantized to int16 (output offset 0, clamp to int16).
            let x_at = s.input_at + b * input_dim;
            let h_at = s.state_at + b * state_dim;
            let (vi, vr) = if p.kind == KIND_I8 {
                let mut acc: i32 = 0;
                for d in 0..input_dim {
                    let w = w_in.get(c * input_dim + d).map_or(0, |&v| v as i8 as i32);
                    let x = rd_act(ins.input, act, x_at + d);
                    acc = acc.wrapping_add(
                        w.wrapping_add(q.input_weight_offset)
                            .wrapping_mul(x.wrapping_add(q.input_offset)),
                    );
                }
                acc = acc.wrapping_add(rd32(bias, c));
                let vi =
                    quant::multiply_by_quantized_multiplier(acc, q.input_multiplier, q.input_shift);
                let mut acc: i32 = 0;
                for d in 0..state_dim {
                    let w = w_rec.get(c * state_dim + d).map_or(0, |&v| v as i8 as i32);
                    let x = rd_act(hidden, act, h_at + d);
                    acc = acc.wrapping_add(
                        w.wrapping_add(q.recurrent_weight_offset)
                            .wrapping_mul(x.wrapping_add(q.recurrent_offset)),
                    );
                }
                let vr = quant::multiply_by_quantized_multiplier(
                    acc,
                    q.recurrent_multiplier,
                    q.recurrent_shift,
                );
                (vi, vr)
            } else {
                let mut acc: i64 = 0;
                for d in 0..input_dim {
                    let w = w_in.get(c * input_dim + d).map_or(0, |&v| v as i8 as i32);
                    let x = rd_act(ins.input, act, x_at + d);
                    acc = acc.wrapping_add(
                        w.wrapping_add(q.input_weight_offset)
                            .wrapping_mul(x.wrapping_add(q.input_offset))
                            as i64,
                    );
                }
                acc = acc.wrapping_add(rd64(bias, c));
                let vi = quant::multiply_by_quantized_multiplier_64(
                    acc,
                    q.input_multiplier,
                    q.input_shift,
                );
                let mut acc: i64 = 0;
                for d in 0..state_dim {
                    let w = w_rec.get(c * state_dim + d).map_or(0, |&v| v as i8 as i32);
                    let x = rd_act(hidden, act, h_at + d);
                    acc = acc.wrapping_add(
                        w.wrapping_add(q.recurrent_weight_offset)
                            .wrapping_mul(x.wrapping_add(q.recurrent_offset))
                            as i64,
                    );
                }
                let vr = quant::multiply_by_quantized_multiplier_64(
                    acc,
                    q.recurrent_multiplier,
                    q.recurrent_shift,
                );
                (vi, vr)
            };
            let i = b * state_dim + c;
            wr16(gate, i, vi.clamp(-32768, 32767) as i16);
            wr16(tmp, i, vr.clamp(-32768, 32767) as i16);
        }
    }
    // AddElementWise (saturating to int16), then the non-linearity: the gate's input is Q3.12,
    // so tanh's shift is (15 - 12) - 3 = 0 and both functions take multiplier 3.
    for i in 0..s.rows * state_dim {
        let sum = (rd16(gate, i) as i32 + rd16(tmp, i) as i32).clamp(-32768, 32767) as i16;
        let v = if tanh {
            tanh_i16(sum, 0, 0)
        } else {
            sigmoid_i16(sum, 0, 0)
        };
        wr16(gate, i, v);
    }
}

/// Largest input or state size whose vectors the fast int8 step widens on the stack.
const FAST_MAX_DIM: usize = 256;

/// Whether the fast int8 step runs: int8 activations, every offset small enough for int16
/// operands ([`dot::offset_fits`], true of every model a converter writes), one input and
/// one hidden offset for all gates (true by construction), and sizes within
/// [`FAST_MAX_DIM`]. Prepare asks for TFLM's gate buffers only when it does not.
fn fast_i8_applies(p: &Params) -> bool {
    let g0 = &p.gates[0];
    p.kind == KIND_I8
        && (p.input_dim as usize) <= FAST_MAX_DIM
        && (p.state_dim as usize) <= FAST_MAX_DIM
        && p.gates.iter().all(|q| {
            q.input_offset == g0.input_offset
                && q.recurrent_offset == g0.recurrent_offset
                && [
                    q.input_offset,
                    q.input_weight_offset,
                    q.recurrent_offset,
                    q.recurrent_weight_offset,
                ]
                .iter()
                .all(|&o| dot::offset_fits(o))
        })
}

/// The int8 step's quantization, decoded once per evaluation for [`step_i8_fast`].
struct FastI8 {
    input_requant: [quant::ChannelRequant; 4],
    recurrent_requant: [quant::ChannelRequant; 4],
    input_weight_offset: [i16; 4],
    recurrent_weight_offset: [i16; 4],
    input_offset: i16,
    recurrent_offset: i16,
    forget: quant::ChannelRequant,
    input: quant::ChannelRequant,
    output: quant::ChannelRequant,
}

impl FastI8 {
    fn new(p: &Params) -> FastI8 {
        let rq = |m: [i32; 2]| quant::ChannelRequant::new(m[0], m[1]);
        FastI8 {
            input_requant: p
                .gates
                .map(|q| quant::ChannelRequant::new(q.input_multiplier, q.input_shift)),
            recurrent_requant: p
                .gates
                .map(|q| quant::ChannelRequant::new(q.recurrent_multiplier, q.recurrent_shift)),
            input_weight_offset: p.gates.map(|q| q.input_weight_offset as i16),
            recurrent_weight_offset: p.gates.map(|q| q.recurrent_weight_offset as i16),
            input_offset: p.gates[0].input_offset as i16,
            recurrent_offset: p.gates[0].recurrent_offset as i16,
            forget: rq(p.forget_mul),
            input: rq(p.input_mul),
            output: rq(p.output_mul),
        }
    }
}

/// One int8 LSTM step, fast, the same bits as [`step_int`]: the input and hidden vectors are
/// widened (offset added) once, all four gates' layers run four rows at a time with int16
/// operands ([`dot::dot_i16_i8x4`]: TFLM's products, summed modulo 2^32 as its int32
/// accumulator does), requantization uses [`quant::ChannelRequant`], and each unit's gates,
/// cell update and hidden value are computed together — every element of TFLM's step is
/// independent of the others, and no gate reads the hidden state this step writes (the
/// hidden vector was widened before), so no gate buffers are needed.
#[allow(clippy::too_many_arguments)]
fn step_i8_fast(
    p: &Params,
    f: &FastI8,
    ins: &Inputs<'_>,
    s: Step,
    hidden: &mut [u8],
    cell: &mut [u8],
    output: &mut [u8],
    xbuf: &mut [i16; FAST_MAX_DIM],
    hbuf: &mut [i16; FAST_MAX_DIM],
) {
    let (input_dim, state_dim) = (p.input_dim as usize, p.state_dim as usize);
    let (ipad, spad) = ((input_dim + 7) & !7, (state_dim + 7) & !7);
    let x: &[i8] = bytemuck::cast_slice(ins.input);
    let w_in: [&[i8]; 4] = ins.input_weights.map(bytemuck::cast_slice);
    let w_rec: [&[i8]; 4] = ins.recurrent_weights.map(bytemuck::cast_slice);
    // run() checked every length against the shapes and prepare the sizes; this makes the
    // slicing below in range.
    if ipad > FAST_MAX_DIM
        || spad > FAST_MAX_DIM
        || x.len() < s.input_at + s.rows * input_dim
        || hidden.len() < s.state_at + s.rows * state_dim
        || cell.len() < 2 * (s.state_at + s.rows * state_dim)
        || output.len() < s.output_at + s.rows * state_dim
    {
        return;
    }
    let (lo, hi) = (i16::MIN as i32, i16::MAX as i32);
    let clip = (p.cell_clip > 0.0).then_some(p.quantized_cell_clip as i16);
    for b in 0..s.rows {
        let xs = &x[s.input_at + b * input_dim..s.input_at + (b + 1) * input_dim];
        for (d, &v) in xbuf.iter_mut().zip(xs) {
            *d = (v as i16).wrapping_add(f.input_offset);
        }
        xbuf[input_dim..ipad].fill(0);
        let h_at = s.state_at + b * state_dim;
        for (d, &v) in hbuf.iter_mut().zip(&hidden[h_at..h_at + state_dim]) {
            *d = (v as i8 as i16).wrapping_add(f.recurrent_offset);
        }
        hbuf[state_dim..spad].fill(0);
        let (xw, hw) = (&xbuf[..ipad], &hbuf[..spad]);
        let mut c = 0;
        while c < state_dim {
            let k = 4.min(state_dim - c);
            // Gate values in the schema's order (input, forget, cell, output), four units.
            let mut gv = [[0i16; 4]; 4];
            for (g, out) in gv.iter_mut().enumerate() {
                let vi = dot::rows_dot(xw, w_in[g], f.input_weight_offset[g], c, k, input_dim);
                let vr = dot::rows_dot(hw, w_rec[g], f.recurrent_weight_offset[g], c, k, state_dim);
                for j in 0..k {
                    let bias = rd32(ins.biases[g], c + j);
                    *out.get_mut(j).unwrap_or(&mut 0) = gate_finish(
                        &f.input_requant[g],
                        &f.recurrent_requant[g],
                        vi[j].wrapping_add(bias),
                        vr[j],
                        g == GATE_CELL,
                    );
                }
            }
            for j in 0..k {
                let (ig, fg, cg, og) = (
                    gv[GATE_INPUT][j] as i32,
                    gv[GATE_FORGET][j] as i32,
                    gv[GATE_CELL][j] as i32,
                    gv[GATE_OUTPUT][j] as i32,
                );
                let u = h_at + c + j;
                // UpdateLstmCell: forget x cell and input x cell gate, each requantized and
                // clamped to int16, their saturating sum, then the optional clip.
                let old = rd16(cell, u) as i32;
                let fc = f.forget.apply(fg * old).max(lo).min(hi);
                let ic = f.input.apply(ig * cg).max(lo).min(hi);
                let mut v = (fc + ic).max(lo).min(hi) as i16;
                if let Some(q) = clip {
                    let nq = (q as i32).wrapping_neg() as i16;
                    let m = if v < q { v } else { q };
                    v = if m < nq { nq } else { m };
                }
                wr16(cell, u, v);
                // UpdateLstmHidden: tanh(cell) x output gate, to the hidden scale and zero
                // point, clamped to int8; the hidden state is also this step's output.
                let t = tanh_i16(v, p.cell_tanh_multiplier, p.cell_tanh_shift) as i32;
                let hv = p
                    .hidden_zp
                    .wrapping_add(f.output.apply(t * og))
                    .max(p.hidden_min)
                    .min(p.hidden_max);
                hidden[u] = hv as i8 as u8;
                output[s.output_at + b * state_dim + c + j] = hv as i8 as u8;
            }
            c += k;
        }
    }
}

/// A gate's output from its two layers' int32 sums (the input layer's with its bias): each
/// requantized and clamped to int16, their saturating sum, then sigmoid or tanh.
#[inline(always)]
fn gate_finish(
    rq_in: &quant::ChannelRequant,
    rq_rec: &quant::ChannelRequant,
    vi: i32,
    vr: i32,
    tanh: bool,
) -> i16 {
    let vi = rq_in.apply(vi).clamp(-32768, 32767);
    let vr = rq_rec.apply(vr).clamp(-32768, 32767);
    let sum = (vi + vr).clamp(-32768, 32767) as i16;
    if tanh {
        tanh_i16(sum, 0, 0)
    } else {
        sigmoid_i16(sum, 0, 0)
    }
}

/// `reference_integer_ops::MulElementwise` for int16 inputs with zero offsets: the int32
/// product requantized, offset, clamped.
#[inline(always)]
fn mul_i16(a: i16, b: i16, m: [i32; 2], zp: i32, lo: i32, hi: i32) -> i32 {
    zp.wrapping_add(quant::multiply_by_quantized_multiplier(
        a as i32 * b as i32,
        m[0],
        m[1],
    ))
    .max(lo)
    .min(hi)
}

/// One integer LSTM step (TFLM's `LstmStep`).
#[allow(clippy::too_many_arguments)]
fn step_int(
    p: &Params,
    ins: &Inputs<'_>,
    s: Step,
    act: usize,
    hidden: &mut [u8],
    cell: &mut [u8],
    output: &mut [u8],
    bufs: &mut [&mut [u8]; 4],
) {
    let n = s.rows * p.state_dim as usize;
    let [b0, b1, b2, b3] = bufs;
    gate_int(p, ins, s, act, hidden, GATE_FORGET, b0, b3, false);
    gate_int(p, ins, s, act, hidden, GATE_INPUT, b1, b3, false);
    gate_int(p, ins, s, act, hidden, GATE_CELL, b2, b3, true);
    // UpdateLstmCell: cell = forget * cell; b1 = input * cell_gate; cell = sat(cell + b1);
    // then clip when a positive cell_clip is set.
    let (lo, hi) = (i16::MIN as i32, i16::MAX as i32);
    for i in 0..n {
        let c = s.state_at + i;
        let fc = mul_i16(rd16(b0, i), rd16(cell, c), p.forget_mul, 0, lo, hi);
        wr16(cell, c, fc as i16);
        let ic = mul_i16(rd16(b1, i), rd16(b2, i), p.input_mul, 0, lo, hi);
        wr16(b1, i, ic as i16);
    }
    for i in 0..n {
        let c = s.state_at + i;
        let sum = (rd16(cell, c) as i32 + rd16(b1, i) as i32).max(lo).min(hi);
        wr16(cell, c, sum as i16);
    }
    if p.cell_clip > 0.0 {
        // max(min(clip, v), -clip) on int16.
        let q = p.quantized_cell_clip as i16;
        let nq = (q as i32).wrapping_neg() as i16;
        for i in 0..n {
            let c = s.state_at + i;
            let v = rd16(cell, c);
            let m = if v < q { v } else { q };
            wr16(cell, c, if m < nq { nq } else { m });
        }
    }
    gate_int(p, ins, s, act, hidden, GATE_OUTPUT, b1, b3, false);
    // UpdateLstmHidden: b0 = tanh(cell) at the cell's scale; hidden = b0 * output gate,
    // requantized to the hidden state's scale and zero point.
    for i in 0..n {
        let c = s.state_at + i;
        let t = tanh_i16(rd16(cell, c), p.cell_tanh_multiplier, p.cell_tanh_shift);
        wr16(b0, i, t);
    }
    for i in 0..n {
        let h = mul_i16(
            rd16(b0, i),
            rd16(b1, i),
            p.output_mul,
            p.hidden_zp,
            p.hidden_min,
            p.hidden_max,
        );
        wr_act(hidden, act, s.state_at + i, h);
    }
    // The new hidden state is this step's output.
    let (from, to) = (s.state_at * act, s.output_at * act);
    if let (Some(src), Some(dst)) = (
        hidden.get(from..from + n * act),
        output.get_mut(to..to + n * act),
    ) {
        dst.copy_from_slice(src);
    }
}

/// `ActivationFunctionWithMinMax` over the whole float range: `min(max(x, lowest), max)`, which
/// turns infinities into the largest finite values and lets NaN through.
#[inline(always)]
fn clamp_f32(x: f32) -> f32 {
    let x = if x < f32::MIN { f32::MIN } else { x };
    if f32::MAX < x {
        f32::MAX
    } else {
        x
    }
}

/// `reference_ops::Logistic` for float: 1 above 16.619..., exp(x) below -9, else
/// 1 / (1 + exp(-x)).
#[inline(always)]
fn sigmoid_f32(x: f32) -> f32 {
    if x > 16.619_047_f32 {
        1.0
    } else if x < -9.0 {
        exp_f32(x)
    } else {
        1.0 / (1.0 + exp_f32(-x))
    }
}

/// One float gate: both layers (float accumulators from 0.0f; the recurrent one adds a zero
/// bias), their sum, then sigmoid or tanh.
#[allow(clippy::too_many_arguments)]
fn gate_f32(
    p: &Params,
    ins: &Inputs<'_>,
    s: Step,
    hidden: &[u8],
    g: usize,
    gate: &mut [u8],
    tmp: &mut [u8],
    tanh: bool,
) {
    let (input_dim, state_dim) = (p.input_dim as usize, p.state_dim as usize);
    let (w_in, w_rec, bias) = (
        ins.input_weights[g],
        ins.recurrent_weights[g],
        ins.biases[g],
    );
    for b in 0..s.rows {
        for c in 0..state_dim {
            let x_at = s.input_at + b * input_dim;
            let h_at = s.state_at + b * state_dim;
            let mut total = 0.0f32;
            for d in 0..input_dim {
                total += rdf(ins.input, x_at + d) * rdf(w_in, c * input_dim + d);
            }
            let vi = clamp_f32(total + rdf(bias, c));
            let mut total = 0.0f32;
            for d in 0..state_dim {
                total += rdf(hidden, h_at + d) * rdf(w_rec, c * state_dim + d);
            }
            let vr = clamp_f32(total + 0.0);
            let i = b * state_dim + c;
            wrf(gate, i, vi);
            wrf(tmp, i, vr);
        }
    }
    for i in 0..s.rows * state_dim {
        let sum = rdf(gate, i) + rdf(tmp, i);
        wrf(
            gate,
            i,
            if tanh {
                tanh_f32(sum)
            } else {
                sigmoid_f32(sum)
            },
        );
    }
}

/// One float LSTM step (TFLM's `LstmStep<float, ...>`).
fn step_f32(
    p: &Params,
    ins: &Inputs<'_>,
    s: Step,
    hidden: &mut [u8],
    cell: &mut [u8],
    output: &mut [u8],
    bufs: &mut [&mut [u8]; 4],
) {
    let n = s.rows * p.state_dim as usize;
    let [b0, b1, b2, b3] = bufs;
    gate_f32(p, ins, s, hidden, GATE_FORGET, b0, b3, false);
    gate_f32(p, ins, s, hidden, GATE_INPUT, b1, b3, false);
    gate_f32(p, ins, s, hidden, GATE_CELL, b2, b3, true);
    for i in 0..n {
        let c = s.state_at + i;
        wrf(cell, c, clamp_f32(rdf(b0, i) * rdf(cell, c)));
        wrf(b1, i, clamp_f32(rdf(b1, i) * rdf(b2, i)));
    }
    for i in 0..n {
        let c = s.state_at + i;
        wrf(cell, c, rdf(cell, c) + rdf(b1, i));
    }
    if p.cell_clip > 0.0 {
        // std::max(std::min(clip, v), -clip).
        let clip = p.cell_clip;
        for i in 0..n {
            let c = s.state_at + i;
            let v = rdf(cell, c);
            let m = if v < clip { v } else { clip };
            wrf(cell, c, if m < -clip { -clip } else { m });
        }
    }
    gate_f32(p, ins, s, hidden, GATE_OUTPUT, b1, b3, false);
    for i in 0..n {
        wrf(b0, i, tanh_f32(rdf(cell, s.state_at + i)));
    }
    for i in 0..n {
        wrf(hidden, s.state_at + i, clamp_f32(rdf(b0, i) * rdf(b1, i)));
    }
    let (from, to) = (s.state_at * 4, s.output_at * 4);
    if let (Some(src), Some(dst)) = (
        hidden.get(from..from + n * 4),
        output.get_mut(to..to + n * 4),
    ) {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kind: u32, batches: u32, time_steps: u32, time_major: bool) -> Params {
        Params {
            input: TensorId::NONE,
            input_weights: [TensorId::NONE; 4],
            recurrent_weights: [TensorId::NONE; 4],
            biases: [TensorId::NONE; 4],
            hidden: TensorId::NONE,
            cell: TensorId::NONE,
            output: TensorId::NONE,
            kind,
            batches,
            time_steps,
            input_dim: 1,
            state_dim: 1,
            time_major: time_major as u32,
            gates: [GateQuant::zeroed(); 4],
            forget_mul: [0; 2],
            input_mul: [0; 2],
            output_mul: [0; 2],
            hidden_zp: 0,
            hidden_min: -128,
            hidden_max: 127,
            cell_clip: 0.0,
            quantized_cell_clip: 0,
            cell_tanh_multiplier: 0,
            cell_tanh_shift: 0,
            fast: 0,
        }
    }

    fn bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// A small deterministic generator (xorshift) for random shapes and data.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % (hi - lo + 1) as u64) as i64
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// The fast int8 step gives the plain steps' bits (hidden state, cell state, output) on
    /// random sizes, layouts, offsets, multipliers and data.
    #[test]
    fn fast_int8_matches_plain() {
        let mut r = Rng(0x853C_49E6_748F_EA9B);
        for case in 0..200 {
            let batches = r.range(1, 3) as u32;
            let time_steps = r.range(1, 4) as u32;
            let mut p = params(KIND_I8, batches, time_steps, r.range(0, 1) == 1);
            p.input_dim = r.range(1, 40) as u32;
            p.state_dim = r.range(1, 37) as u32;
            let (xo, ho) = (r.range(-127, 128) as i32, r.range(-127, 128) as i32);
            for g in &mut p.gates {
                g.input_offset = xo;
                g.recurrent_offset = ho;
                g.input_weight_offset = if case % 3 == 0 {
                    r.range(-127, 128) as i32
                } else {
                    0
                };
                g.recurrent_weight_offset = if case % 3 == 0 {
                    r.range(-127, 128) as i32
                } else {
                    0
                };
                g.input_multiplier = r.range(1 << 30, i32::MAX as i64) as i32;
                g.input_shift = r.range(-12, 1) as i32;
                g.recurrent_multiplier = r.range(1 << 30, i32::MAX as i64) as i32;
                g.recurrent_shift = r.range(-12, 1) as i32;
            }
            let mul = |r: &mut Rng, lo: i64, hi: i64| {
                [
                    r.range(1 << 30, i32::MAX as i64) as i32,
                    r.range(lo, hi) as i32,
                ]
            };
            p.forget_mul = mul(&mut r, -15, 0);
            p.input_mul = mul(&mut r, -20, -10);
            p.output_mul = mul(&mut r, -24, -16);
            p.hidden_zp = r.range(-128, 127) as i32;
            if r.range(0, 1) == 1 {
                p.cell_clip = 1.0;
                p.quantized_cell_clip = r.range(100, 32767) as i32;
            }
            (p.cell_tanh_multiplier, p.cell_tanh_shift) = if r.range(0, 1) == 1 {
                (0, r.range(0, 4) as i32)
            } else {
                (3, r.range(1, 6) as i32)
            };
            let (b, t, i, n) = (
                batches as usize,
                time_steps as usize,
                p.input_dim as usize,
                p.state_dim as usize,
            );
            let input = r.bytes(b * t * i);
            let wi: Vec<Vec<u8>> = (0..4).map(|_| r.bytes(n * i)).collect();
            let wr: Vec<Vec<u8>> = (0..4).map(|_| r.bytes(n * n)).collect();
            let bias: Vec<Vec<u8>> = (0..4)
                .map(|_| {
                    (0..n)
                        .flat_map(|_| (r.range(-40_000, 40_000) as i32).to_le_bytes())
                        .collect()
                })
                .collect();
            let ins = Inputs {
                input: &input,
                input_weights: [&wi[0], &wi[1], &wi[2], &wi[3]],
                recurrent_weights: [&wr[0], &wr[1], &wr[2], &wr[3]],
                biases: [&bias[0], &bias[1], &bias[2], &bias[3]],
            };
            let hidden0 = r.bytes(b * n);
            let cell0 = r.bytes(2 * b * n);
            let mut results = Vec::new();
            for fast in [false, true] {
                p.fast = fast as u32;
                assert!(!fast || fast_i8_applies(&p));
                let (mut hidden, mut cell) = (hidden0.clone(), cell0.clone());
                let mut out = vec![0u8; b * t * n];
                let mut scratch = vec![0u8; if fast { 0 } else { 8 * b * n }];
                run(&p, &ins, &mut hidden, &mut cell, &mut out, &mut scratch).unwrap();
                results.push((hidden, cell, out));
            }
            assert!(results[0] == results[1], "case {case}");
        }
    }

    #[test]
    fn int8_step_with_bias_only_gates() {
        // Zero weights: every gate is its bias. Forget, input and output gates sigmoid(0) = 0.5,
        // the cell gate tanh(1.0); cell scale 2^-11, hidden scale 2^-7.
        let mut p = params(KIND_I8, 1, 1, false);
        for g in &mut p.gates {
            (g.input_multiplier, g.input_shift) = (1 << 30, 1); // 1.0
            (g.recurrent_multiplier, g.recurrent_shift) = (1 << 30, 1);
        }
        p.forget_mul = [1 << 30, 1]; // 2^-15 * s / s
        p.input_mul = [1 << 30, -18]; // 2^-30 / 2^-11
        p.output_mul = [1 << 30, -22]; // 2^-30 / 2^-7
        p.cell_tanh_shift = 1; // 15 - 11 - 3
        let zero = [0u8; 1];
        let biases: [[u8; 4]; 4] = [0, 0, 4096, 0].map(|b: i32| b.to_le_bytes());
        let ins = Inputs {
            input: &[77],
            input_weights: [&zero; 4],
            recurrent_weights: [&zero; 4],
            biases: [&biases[0], &biases[1], &biases[2], &biases[3]],
        };
        let (mut hidden, mut cell, mut out, mut scratch) = ([0u8; 1], [0u8; 2], [0u8; 1], [0; 8]);
        run(&p, &ins, &mut hidden, &mut cell, &mut out, &mut scratch).unwrap();
        let half = sigmoid_i16(0, 0, 0) as i32;
        assert_eq!(half, 16384);
        let g = tanh_i16(4096, 0, 0) as i32;
        let c = quant::multiply_by_quantized_multiplier(half * g, 1 << 30, -18);
        assert_eq!(i16::from_le_bytes(cell) as i32, c);
        assert!((c - 780).abs() <= 1, "0.5 * tanh(1) at 2^-11: {c}");
        let t = tanh_i16(c as i16, 0, 1) as i32;
        let h = quant::multiply_by_quantized_multiplier(t * half, 1 << 30, -22);
        assert_eq!((hidden[0] as i8 as i32, out[0] as i8 as i32), (h, h));
        assert_eq!(h, 23, "0.5 * tanh(0.38) at 2^-7");
    }

    #[test]
    fn float_steps_follow_the_lstm_equations() {
        // One unit, one input, two time steps of one batch.
        let p = params(KIND_F32, 1, 2, false);
        let (wi, wr, b) = (
            [0.5f32, -0.3, 0.8, 0.2],
            [0.1f32, 0.4, -0.6, 0.9],
            [0.1f32, 0.2, -0.1, 0.3],
        );
        let (wib, wrb, bb) = (
            wi.map(|v| v.to_le_bytes()),
            wr.map(|v| v.to_le_bytes()),
            b.map(|v| v.to_le_bytes()),
        );
        let xs = [1.5f32, -0.7];
        let input = bytes(&xs);
        let ins = Inputs {
            input: &input,
            input_weights: [&wib[0], &wib[1], &wib[2], &wib[3]],
            recurrent_weights: [&wrb[0], &wrb[1], &wrb[2], &wrb[3]],
            biases: [&bb[0], &bb[1], &bb[2], &bb[3]],
        };
        let (mut hidden, mut cell, mut out, mut scratch) = ([0u8; 4], [0u8; 4], [0u8; 8], [0; 16]);
        run(&p, &ins, &mut hidden, &mut cell, &mut out, &mut scratch).unwrap();
        let (mut h, mut c) = (0.0f32, 0.0f32);
        for (t, &x) in xs.iter().enumerate() {
            let pre = |g: usize| (0.0 + x * wi[g] + b[g]) + (0.0 + h * wr[g] + 0.0);
            let (i, f, g, o) = (
                sigmoid_f32(pre(GATE_INPUT)),
                sigmoid_f32(pre(GATE_FORGET)),
                tanh_f32(pre(GATE_CELL)),
                sigmoid_f32(pre(GATE_OUTPUT)),
            );
            c = f * c + i * g;
            h = tanh_f32(c) * o;
            assert_eq!(rdf(&out, t), h, "step {t}");
        }
        assert_eq!((rdf(&hidden, 0), rdf(&cell, 0)), (h, c));
    }

    #[test]
    fn time_major_and_batch_major_agree() {
        // Two independent sequences of two steps: the same numbers in either layout.
        let w = 0.7f32.to_le_bytes();
        let r = (-0.4f32).to_le_bytes();
        let b = 0.1f32.to_le_bytes();
        let xs = [0.3f32, -1.2, 0.9, 2.0]; // batch-major: seq 0 = [0.3, -1.2], seq 1 = [0.9, 2.0]
        let tm = [xs[0], xs[2], xs[1], xs[3]];
        let run_layout = |time_major: bool, x: &[f32]| {
            let p = params(KIND_F32, 2, 2, time_major);
            let input = bytes(x);
            let ins = Inputs {
                input: &input,
                input_weights: [&w; 4],
                recurrent_weights: [&r; 4],
                biases: [&b; 4],
            };
            let (mut hidden, mut cell, mut out, mut scratch) =
                ([0u8; 8], [0u8; 8], [0u8; 16], [0; 32]);
            run(&p, &ins, &mut hidden, &mut cell, &mut out, &mut scratch).unwrap();
            (0..4).map(|i| rdf(&out, i)).collect::<Vec<f32>>()
        };
        let bm = run_layout(false, &xs);
        let tmo = run_layout(true, &tm);
        assert_eq!(bm, [tmo[0], tmo[2], tmo[1], tmo[3]]);
    }

    #[test]
    fn sigmoid_i16_hits_known_points() {
        // 0 -> 0.5 in Q0.15.
        assert_eq!(sigmoid_i16(0, 0, 0), 16384);
        // Symmetry: s(-x) = 1 - s(x) (to within the rounding of the mirrored branch).
        for x in [100i16, 1000, 4096, 20000] {
            let (a, b) = (sigmoid_i16(x, 0, 0) as i32, sigmoid_i16(-x, 0, 0) as i32);
            assert!((a + b - 32768).abs() <= 1, "{x}: {a} + {b}");
        }
        // 1.0 in Q3.12 (4096) -> sigmoid(1) = 0.7311 -> 23955.8 in Q0.15.
        assert!((sigmoid_i16(4096, 0, 0) as i32 - 23956).abs() <= 2);
        // Saturates near 1.0 without wrapping.
        assert!(sigmoid_i16(i16::MAX, 0, 0) > 32700);
        assert!(sigmoid_i16(i16::MIN, 0, 0) < 60);
    }

    #[test]
    fn tanh_i16_hits_known_points() {
        assert_eq!(tanh_i16(0, 0, 0), 0);
        // tanh(1) = 0.76159 -> 24956 in Q0.15.
        assert!((tanh_i16(4096, 0, 0) as i32 - 24956).abs() <= 3);
        assert_eq!(tanh_i16(i16::MAX, 0, 0), 32767);
        assert_eq!(tanh_i16(i16::MIN, 0, 0), -32767);
        // Multiplier 3 with a right shift of 2 (a cell state scaled 2^-14): x / 4 of the above.
        assert!((tanh_i16(16384, 3, 2) as i32 - 24956).abs() <= 3);
    }

    #[test]
    fn float_clamp_maps_infinities_to_finite_extremes() {
        assert_eq!(clamp_f32(f32::INFINITY), f32::MAX);
        assert_eq!(clamp_f32(f32::NEG_INFINITY), f32::MIN);
        assert!(clamp_f32(f32::NAN).is_nan());
        assert_eq!(sigmoid_f32(0.0), 0.5);
        assert_eq!(sigmoid_f32(20.0), 1.0);
    }
}
