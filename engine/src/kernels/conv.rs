//! CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV: int8 (per-tensor and per-channel filters),
//! int16 activations with int8 filters (16x8), and float32 — TFLM's
//! `reference_integer_ops::{ConvPerChannel, DepthwiseConvPerChannel, TransposeConv}` and
//! `reference_ops::{Conv, DepthwiseConv, TransposeConv}`.
//!
//! Two implementations live here. The *plain* one walks the loops exactly as TFLM's reference
//! does (every type). The *fast* one, used for int8 CONV_2D and DEPTHWISE_CONV_2D, gives the same
//! bits faster: TFLM sums `w * (x + input_offset)` in wrapping 32-bit arithmetic, which equals
//! `sum(w * x) + input_offset * sum(w)` modulo 2^32, so the offset leaves the inner loop; inner
//! loops run over contiguous slices LLVM vectorises (fixed runs of 8 lanes for short channel
//! counts); output channels go in blocks whose filters stay in cache; whole-window pixels skip
//! the padding checks; and requantization uses [`quant::ChannelRequant`], an exact cheaper form
//! of TFLM's double rounding. Whole-window int8 CONV_2D pixels widen a block of filters (and
//! the window) to int16 in scratch memory — at most about 8 KiB, planned with the activations —
//! so that the dot products become multiply-add pairs. The activation clamp runs vectorised
//! (as scalar code it compiles to branches that real activations mispredict). DEPTHWISE_CONV_2D
//! with a depth multiplier on very few input channels (micro_speech: one channel times 8, a
//! 10x8 window) instead transposes a block of filters into int16 runs of taps on the stack and
//! widens each window, zero-padded where it leaves the input, so each output is one int16 dot
//! product. The dot products and the clamp are shared with FULLY_CONNECTED, the LSTM and SVDF
//! in `kernels/dot.rs`. Unit tests compare the fast and plain kernels on random shapes. On person_detect's convolutions this is
//! about 5x TFLM's reference on the same machine.
//!
//! Per-channel multipliers are not stored in the arena (TFLM keeps 8 bytes per output channel):
//! each eval recomputes them from the filter's scales in the model, with TFLM's formula, one
//! block of channels at a time — a few nanoseconds per channel, against kilobytes of arena.
//!
//! TRANSPOSE_CONV gathers each output from the inputs that reach it instead of scattering into
//! a scratch accumulator as TFLM does. Integer sums are the same in any order; for float the
//! gather visits contributions in TFLM's order (input row, input column, input channel), so
//! the rounding is the same too. It needs no scratch memory.

use bytemuck::{Pod, Zeroable};

use super::{dot, Eval, Prepare, Registration, TensorId};
use crate::arena::Loc;
use crate::error::{Error, Result};
use crate::quant::{self, Activation};
use crate::tensor::{DType, TensorInfo};

/// Registration of CONV_2D.
pub const CONV_2D: Registration = Registration {
    code: 3,
    max_version: 8,
    prepare: prepare_conv,
    eval,
    aliases_input: false,
};

/// Registration of DEPTHWISE_CONV_2D.
pub const DEPTHWISE_CONV_2D: Registration = Registration {
    code: 4,
    max_version: 7,
    prepare: prepare_depthwise,
    eval,
    aliases_input: false,
};

/// Registration of TRANSPOSE_CONV.
pub const TRANSPOSE_CONV: Registration = Registration {
    code: 67,
    max_version: 5,
    prepare: prepare_transpose,
    eval,
    aliases_input: false,
};

const OP_CONV: u32 = 0;
const OP_DEPTHWISE: u32 = 1;
const OP_TRANSPOSE: u32 = 2;

/// float32 activations, filter and bias.
const KIND_F32: u32 = 0;
/// int8 activations and filter, int32 bias and accumulator.
const KIND_I8: u32 = 1;
/// int16 activations, int8 filter, int64 accumulator.
const KIND_I16_ACC64: u32 = 2;
/// int16 activations, int8 filter, int32 bias and accumulator (CONV_2D only).
const KIND_I16_ACC32: u32 = 3;

const BIAS_NONE: u32 = 0;
const BIAS_I32: u32 = 1;
const BIAS_I64: u32 = 2;
const BIAS_I16: u32 = 3;
const BIAS_F32: u32 = 4;

/// Sizes of the convolution, TFLM's names. For TRANSPOSE_CONV, `in_*` is the data input
/// (input 2) and the padding is computed from the output's size, as TFLM does.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
struct Geom {
    batches: u32,
    in_h: u32,
    in_w: u32,
    in_d: u32,
    f_h: u32,
    f_w: u32,
    /// Input channels of one filter (CONV_2D, TRANSPOSE_CONV); 1 for DEPTHWISE_CONV_2D.
    f_d: u32,
    out_h: u32,
    out_w: u32,
    out_d: u32,
    stride_h: u32,
    stride_w: u32,
    dil_h: u32,
    dil_w: u32,
    pad_h: u32,
    pad_w: u32,
    /// DEPTHWISE_CONV_2D's depth multiplier (1 otherwise).
    depth_mult: u32,
}

impl Geom {
    fn in_len(&self) -> usize {
        self.batches as usize * self.in_h as usize * self.in_w as usize * self.in_d as usize
    }
    fn out_len(&self) -> usize {
        self.batches as usize * self.out_h as usize * self.out_w as usize * self.out_d as usize
    }
    fn filter_len(&self, op: u32) -> usize {
        let taps = self.f_h as usize * self.f_w as usize;
        if op == OP_DEPTHWISE {
            taps * self.out_d as usize
        } else {
            self.out_d as usize * taps * self.f_d as usize
        }
    }
    /// Output channels per group of a grouped CONV_2D (`out_d` when not grouped).
    fn filters_per_group(&self) -> usize {
        let groups = (self.in_d / self.f_d.max(1)).max(1) as usize;
        (self.out_d as usize / groups).max(1)
    }
    /// The taps `k` of a window starting at `origin` (stride applied, padding subtracted) whose
    /// input position `origin + dil * k` lies in `0..size`: `lo..hi`, empty when none do.
    fn taps(origin: i64, dil: u32, taps: u32, size: u32) -> (usize, usize) {
        let (dil, taps, size) = (dil.max(1) as i64, taps as i64, size as i64);
        // First k with origin + dil*k >= 0; first k with origin + dil*k >= size (no division
        // for the common dilation of 1: this runs once per output pixel).
        let lo = if origin >= 0 {
            0
        } else if dil == 1 {
            -origin
        } else {
            (-origin + dil - 1) / dil
        };
        let hi = if origin >= size {
            0
        } else if dil == 1 {
            size - origin
        } else {
            (size - origin + dil - 1) / dil
        };
        let (lo, hi) = (lo.min(taps), hi.min(taps));
        if lo >= hi {
            (0, 0)
        } else {
            (lo as usize, hi as usize)
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    filter: TensorId,
    bias: TensorId,
    output: TensorId,
    op: u32,
    kind: u32,
    bias_kind: u32,
    geom: Geom,
    input_offset: i32,
    output_offset: i32,
    act_min: i32,
    act_max: i32,
    f_min: f32,
    f_max: f32,
    input_scale: f32,
    output_scale: f32,
    /// Per-tensor multiplier (used when `scales_len` is 0).
    multiplier: i32,
    shift: i32,
    /// Where the filter's per-channel scales (f32) are in the model, and how many bytes.
    scales_off: u32,
    scales_len: u32,
}

/// TFLM's `ComputePaddingHeightWidth` for one dimension pair: the padding before the first
/// output, from the output size the padding type implies (not the output tensor's). Any
/// argument TFLM's checked helpers reject leaves both paddings zero, as in TFLM.
fn compute_padding(
    same: bool,
    stride: (i32, i32),
    dilation: (i32, i32),
    input: (i32, i32),
    filter: (i32, i32),
) -> (u32, u32) {
    let out_size = |size: i32, f: i32, s: i32, d: i32| -> Option<i64> {
        if size < 0 || f <= 0 || s <= 0 || d <= 0 {
            return None;
        }
        let eff = (f as i64 - 1) * d as i64 + 1;
        let v = if same {
            (size as i64 + s as i64 - 1) / s as i64
        } else {
            (size as i64 + s as i64 - eff) / s as i64
        };
        (0..=i32::MAX as i64).contains(&v).then_some(v)
    };
    let pad = |out: i64, size: i32, f: i32, s: i32, d: i32| -> Option<u32> {
        let eff = (f as i64 - 1) * d as i64 + 1;
        let total = ((out - 1) * s as i64 + eff - size as i64).max(0);
        u32::try_from(total / 2)
            .ok()
            .filter(|&p| p <= i32::MAX as u32)
    };
    // Width first, then height, as TFLM: one failure leaves both zero.
    let Some(out_w) = out_size(input.1, filter.1, stride.1, dilation.1) else {
        return (0, 0);
    };
    let Some(out_h) = out_size(input.0, filter.0, stride.0, dilation.0) else {
        return (0, 0);
    };
    let ph = pad(out_h, input.0, filter.0, stride.0, dilation.0);
    let pw = pad(out_w, input.1, filter.1, stride.1, dilation.1);
    (ph.unwrap_or(0), pw.unwrap_or(0))
}

/// Options common to the three ops, read from their option tables.
struct Options {
    same: bool,
    stride_w: i32,
    stride_h: i32,
    dil_w: i32,
    dil_h: i32,
    depth_mult: i32,
    activation: Activation,
    quantized_bias_type: u8,
}

fn read_options(ctx: &Prepare<'_, '_>, op: u32) -> Result<Options> {
    let Some(t) = ctx.options()? else {
        return Err(ctx.unsupported("a convolution without options"));
    };
    // Slots: Conv2DOptions (padding, stride_w, stride_h, activation, dilation_w, dilation_h,
    // quantized_bias_type); DepthwiseConv2DOptions (padding, stride_w, stride_h,
    // depth_multiplier, activation, dilation_w, dilation_h); TransposeConvOptions (padding,
    // stride_w, stride_h, activation, quantized_bias_type).
    let padding = t.i8(0, 0)?;
    let (act, dil_w, dil_h, depth_mult, qbt) = match op {
        OP_CONV => (t.i8(3, 0)?, t.i32(4, 1)?, t.i32(5, 1)?, 1, t.u8(6, 0)?),
        OP_DEPTHWISE => (t.i8(4, 0)?, t.i32(5, 1)?, t.i32(6, 1)?, t.i32(3, 0)?, 0),
        _ => (t.i8(3, 0)?, 1, 1, 1, t.u8(4, 0)?),
    };
    let same = match padding {
        0 => true,
        1 => false,
        _ => return Err(ctx.unsupported("a padding other than SAME or VALID")),
    };
    let activation =
        Activation::from_code(act as u8).ok_or(ctx.unsupported("this fused activation"))?;
    let o = Options {
        same,
        stride_w: t.i32(1, 0)?,
        stride_h: t.i32(2, 0)?,
        dil_w,
        dil_h,
        depth_mult,
        activation,
        quantized_bias_type: qbt,
    };
    if o.stride_w <= 0 || o.stride_h <= 0 || o.dil_w <= 0 || o.dil_h <= 0 {
        return Err(ctx.unsupported("a stride or dilation below 1"));
    }
    Ok(o)
}

fn dims4(ctx: &Prepare<'_, '_>, t: &TensorInfo<'_>, what: &'static str) -> Result<[u32; 4]> {
    let d = t.shape.dims();
    if d.len() != 4 {
        return Err(ctx.invalid(what));
    }
    Ok([d[0] as u32, d[1] as u32, d[2] as u32, d[3] as u32])
}

fn prepare_conv(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare_common(ctx, OP_CONV)
}

fn prepare_depthwise(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare_common(ctx, OP_DEPTHWISE)
}

fn prepare_transpose(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare_common(ctx, OP_TRANSPOSE)
}

fn prepare_common(ctx: &mut Prepare<'_, '_>, op: u32) -> Result<()> {
    // TFLM's tensor order: CONV_2D and DEPTHWISE_CONV_2D (input, filter, bias);
    // TRANSPOSE_CONV (output_shape, filter, input, bias), its output_shape unused by TFLM.
    let (in_k, bias_k) = if op == OP_TRANSPOSE { (2, 3) } else { (0, 2) };
    let input = ctx.input(in_k)?;
    let filter = ctx.input(1)?;
    let bias = ctx.opt_input(bias_k)?;
    let output = ctx.output(0)?;
    let o = read_options(ctx, op)?;

    let i = dims4(ctx, &input, "convolution input must be 4-D")?;
    let f = dims4(ctx, &filter, "convolution filter must be 4-D")?;
    let y = dims4(ctx, &output, "convolution output must be 4-D")?;
    if i[0] != y[0] {
        return Err(ctx.invalid("convolution input and output batches differ"));
    }
    let mut g = Geom {
        batches: i[0],
        in_h: i[1],
        in_w: i[2],
        in_d: i[3],
        f_h: f[1],
        f_w: f[2],
        f_d: f[3],
        out_h: y[1],
        out_w: y[2],
        out_d: y[3],
        stride_h: o.stride_h as u32,
        stride_w: o.stride_w as u32,
        dil_h: o.dil_h as u32,
        dil_w: o.dil_w as u32,
        pad_h: 0,
        pad_w: 0,
        depth_mult: 1,
    };
    // Output channels come from the filter; the quantized dimension is the output channel's.
    let (filter_out_d, quant_dim) = match op {
        OP_DEPTHWISE => (f[3], 3usize),
        _ => (f[0], 0usize),
    };
    if filter_out_d != g.out_d {
        return Err(ctx.invalid("convolution filter and output channels differ"));
    }
    match op {
        OP_CONV => {
            // Grouped convolution: the input depth is a multiple of the filter's.
            if g.f_d == 0 || !g.in_d.is_multiple_of(g.f_d) {
                return Err(ctx.invalid("CONV_2D input depth is not a multiple of the filter's"));
            }
            let groups = g.in_d / g.f_d;
            if groups == 0 || !g.out_d.is_multiple_of(groups) {
                return Err(ctx.invalid("CONV_2D output channels do not divide into groups"));
            }
        }
        OP_DEPTHWISE => {
            if f[0] == 0 && g.out_d > 0 && g.f_h > 0 && g.f_w > 0 {
                return Err(ctx.invalid("DEPTHWISE_CONV_2D filter is empty"));
            }
            if o.depth_mult <= 0 || (g.in_d as u64) * (o.depth_mult as u64) != g.out_d as u64 {
                return Err(
                    ctx.unsupported("a depth multiplier that does not match the output channels")
                );
            }
            g.depth_mult = o.depth_mult as u32;
            g.f_d = 1;
        }
        _ => {
            if g.f_d != g.in_d {
                return Err(ctx.invalid("TRANSPOSE_CONV filter and input depth differ"));
            }
            g.dil_h = 1;
            g.dil_w = 1;
        }
    }
    // TRANSPOSE_CONV pads as if the output were a convolution's input.
    let (size_h, size_w) = if op == OP_TRANSPOSE {
        (g.out_h, g.out_w)
    } else {
        (g.in_h, g.in_w)
    };
    let (ph, pw) = compute_padding(
        o.same,
        (o.stride_h, o.stride_w),
        (g.dil_h as i32, g.dil_w as i32),
        (size_h as i32, size_w as i32),
        (g.f_h as i32, g.f_w as i32),
    );
    g.pad_h = ph;
    g.pad_w = pw;

    if let Some(b) = &bias {
        if b.elements() < g.out_d as usize {
            return Err(ctx.invalid("convolution bias shorter than output channels"));
        }
    }
    if input.dtype != output.dtype {
        return Err(ctx.unsupported("a convolution whose input and output types differ"));
    }

    let mut p = Params {
        input: ctx.input_id(in_k)?,
        filter: ctx.input_id(1)?,
        bias: ctx.input_id(bias_k)?,
        output: ctx.output_id(0)?,
        op,
        kind: KIND_F32,
        bias_kind: BIAS_NONE,
        geom: g,
        input_offset: 0,
        output_offset: 0,
        act_min: 0,
        act_max: 0,
        f_min: 0.0,
        f_max: 0.0,
        input_scale: 0.0,
        output_scale: 0.0,
        multiplier: 0,
        shift: 0,
        scales_off: 0,
        scales_len: 0,
    };
    let bias_dtype = bias.as_ref().map(|b| b.dtype);
    match (input.dtype, filter.dtype) {
        (DType::F32, DType::F32) => {
            if bias_dtype.is_some_and(|t| t != DType::F32) {
                return Err(ctx.unsupported("a float convolution with a non-float bias"));
            }
            p.bias_kind = if bias.is_some() { BIAS_F32 } else { BIAS_NONE };
            let (lo, hi) = quant::activation_range_f32(o.activation);
            p.f_min = lo;
            p.f_max = hi;
        }
        (DType::I8, DType::I8) | (DType::I16, DType::I8) => {
            let int8 = input.dtype == DType::I8;
            // Bias types TFLM reads for each kernel: int8 always int32; 16x8 CONV_2D int32
            // (32-bit accumulator) or int64; 16x8 DEPTHWISE int64; 16x8 TRANSPOSE int64 or
            // int16 (widened).
            (p.kind, p.bias_kind) = match (int8, op, bias_dtype) {
                (true, _, None) => (KIND_I8, BIAS_NONE),
                (true, _, Some(DType::I32)) => (KIND_I8, BIAS_I32),
                (true, _, Some(_)) => {
                    return Err(ctx.unsupported("an int8 convolution with a non-int32 bias"))
                }
                (false, OP_CONV, Some(DType::I32)) => (KIND_I16_ACC32, BIAS_I32),
                // quantized_bias_type INT32 (2) asks for the 32-bit accumulator.
                (false, OP_CONV, None) if o.quantized_bias_type == 2 => (KIND_I16_ACC32, BIAS_NONE),
                (false, _, None) => (KIND_I16_ACC64, BIAS_NONE),
                (false, _, Some(DType::I64)) => (KIND_I16_ACC64, BIAS_I64),
                (false, OP_TRANSPOSE, Some(DType::I16)) => (KIND_I16_ACC64, BIAS_I16),
                (false, _, Some(_)) => {
                    return Err(ctx.unsupported("a 16x8 convolution bias of this type"))
                }
            };
            let iq = input.require_quant()?;
            let fq = filter.require_quant()?;
            let oq = output.require_quant()?;
            p.input_offset = iq.zero_point.wrapping_neg();
            p.output_offset = oq.zero_point;
            p.input_scale = iq.scale;
            p.output_scale = oq.scale;
            let channels = fq.channels as usize;
            let (sg, ft) = (ctx.subgraph, ctx.input_index(1)? as usize);
            if channels > 1 {
                let axis = usize::try_from(fq.axis).unwrap_or(usize::MAX);
                if channels != g.out_d as usize
                    || filter.shape.dims().get(axis).copied() != Some(g.out_d as i32)
                    || axis != quant_dim
                {
                    return Err(ctx.invalid("filter scales do not match its output channels"));
                }
                // Every scale must be usable; eval recomputes the multipliers from them.
                for c in 0..channels {
                    ctx.model.channel_scale(sg, ft, c)?;
                }
                let q = ctx
                    .model
                    .subgraph(sg)?
                    .tensor(ft)?
                    .quantization()?
                    .ok_or(ctx.invalid("filter lacks quantization"))?;
                let scales = q.scale()?;
                p.scales_off = scales.byte_offset() as u32;
                p.scales_len = (4 * scales.len()) as u32;
            } else {
                let (m, s) = quant::conv_channel_multiplier(iq.scale, fq.scale, oq.scale);
                p.multiplier = m;
                p.shift = s;
            }
            let (qmin, qmax) = if int8 { (-128, 127) } else { (-32768, 32767) };
            let (lo, hi) = quant::activation_range_quantized(
                o.activation,
                oq.scale,
                oq.zero_point,
                qmin,
                qmax,
            );
            p.act_min = lo;
            p.act_max = hi;
        }
        _ => return Err(ctx.unsupported("these tensor types (hybrid or int4 filters)")),
    }

    let taps = g.f_h as u64 * g.f_w as u64;
    let macs = match op {
        OP_DEPTHWISE => g.out_len() as u64 * taps,
        OP_CONV => g.out_len() as u64 * taps * g.f_d as u64,
        _ => g.in_len() as u64 * taps * g.out_d as u64,
    };
    ctx.set_macs(macs);
    if op == OP_CONV && p.kind == KIND_I8 {
        let k = g.f_h as usize * g.f_w as usize * g.f_d as usize;
        let width = widened_width(k);
        if width > 0 && g.f_d == g.in_d && g.dil_w == 1 {
            ctx.request_scratch(widened_scratch_bytes(k, width));
        }
    }
    ctx.set_params(&p)
}

// ---------------------------------------------------------------------------------------------
// Eval
// ---------------------------------------------------------------------------------------------

#[inline(always)]
fn rd_i16(b: &[u8], i: usize) -> i16 {
    b.get(2 * i..2 * i + 2)
        .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]))
}

#[inline(always)]
fn rd_i32(b: &[u8], i: usize) -> i32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0, |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn rd_i64(b: &[u8], i: usize) -> i64 {
    b.get(8 * i..8 * i + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        i64::from_le_bytes(a)
    })
}

#[inline(always)]
fn rd_f32(b: &[u8], i: usize) -> f32 {
    f32::from_bits(rd_i32(b, i) as u32)
}

/// A bias tensor's bytes and type.
#[derive(Clone, Copy)]
struct Bias<'a> {
    kind: u32,
    data: &'a [u8],
}

impl Bias<'_> {
    fn elem_size(&self) -> usize {
        match self.kind {
            BIAS_NONE => 0,
            BIAS_I16 => 2,
            BIAS_I64 => 8,
            _ => 4,
        }
    }
    /// Bias `c` widened to 64 bits (0 without a bias).
    #[inline(always)]
    fn int(&self, c: usize) -> i64 {
        match self.kind {
            BIAS_I32 => rd_i32(self.data, c) as i64,
            BIAS_I64 => rd_i64(self.data, c),
            BIAS_I16 => rd_i16(self.data, c) as i64,
            _ => 0,
        }
    }
    #[inline(always)]
    fn f32(&self, c: usize) -> f32 {
        if self.kind == BIAS_F32 {
            rd_f32(self.data, c)
        } else {
            0.0
        }
    }
}

/// Requantization: the per-tensor multiplier, or the filter's scales to derive each channel's.
#[derive(Clone, Copy)]
struct Requant<'a> {
    kind: u32,
    multiplier: i32,
    shift: i32,
    /// Per-channel filter scales (f32, little-endian); empty for per-tensor.
    scales: &'a [u8],
    input_scale: f32,
    output_scale: f32,
    /// Added to each input value (int8; TFLM's 16x8 kernels add none).
    input_offset: i32,
    output_offset: i32,
    act_min: i32,
    act_max: i32,
}

impl Requant<'_> {
    /// Channel `c`'s `(multiplier, shift)`, as TFLM's prepare computed it.
    #[inline]
    fn channel(&self, c: usize) -> (i32, i32) {
        if self.scales.is_empty() {
            (self.multiplier, self.shift)
        } else {
            quant::conv_channel_multiplier(
                self.input_scale,
                rd_f32(self.scales, c),
                self.output_scale,
            )
        }
    }

    /// The output value for accumulator `sum` (the filter-times-input sum, wrapped to the
    /// kernel's accumulator width) of channel `c`: bias, rescale, output offset (int8 only:
    /// TFLM's 16x8 kernels add none), activation clamp (`max` then `min`, as TFLM).
    #[inline(always)]
    fn finish(&self, sum: i64, bias: i64, (m, s): (i32, i32)) -> i32 {
        let v = match self.kind {
            KIND_I8 => quant::multiply_by_quantized_multiplier(
                (sum as i32).wrapping_add(bias as i32),
                m,
                s,
            )
            .wrapping_add(self.output_offset),
            KIND_I16_ACC32 => quant::multiply_by_quantized_multiplier(
                (sum as i32).wrapping_add(bias as i32),
                m,
                s,
            ),
            _ => quant::multiply_by_quantized_multiplier_64(sum.wrapping_add(bias), m, s),
        };
        v.max(self.act_min).min(self.act_max)
    }
}

/// Stores quantized value `v` (already clamped) as element `i` of an int8 or int16 output.
#[inline(always)]
fn store_int(out: &mut [u8], i: usize, v: i32, wide: bool) {
    if wide {
        if let Some(o) = out.get_mut(2 * i..2 * i + 2) {
            o.copy_from_slice(&(v as i16).to_le_bytes());
        }
    } else if let Some(o) = out.get_mut(i) {
        *o = v as i8 as u8;
    }
}

#[inline(always)]
fn store_f32(out: &mut [u8], i: usize, v: f32) {
    if let Some(o) = out.get_mut(4 * i..4 * i + 4) {
        o.copy_from_slice(&v.to_le_bytes());
    }
}

/// TFLM's `ActivationFunctionWithMinMax`: `min(max(x, lo), hi)` with C++'s comparisons (NaN
/// passes through).
#[inline(always)]
fn clamp_f32(v: f32, lo: f32, hi: f32) -> f32 {
    let v = if v < lo { lo } else { v };
    if hi < v {
        hi
    } else {
        v
    }
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, filter, bias, output) = (
        ctx.loc(p.input)?,
        ctx.loc(p.filter)?,
        ctx.loc(p.bias)?,
        ctx.loc(p.output)?,
    );
    let scratch = ctx.scratch();
    let (r, [out, scratch]) = ctx.split([output, scratch])?;
    let (input, filter, bias) = (r.get(input)?, r.get(filter)?, r.get(bias)?);
    let scales = if p.scales_len > 0 {
        r.get(Loc::Model(p.scales_off as usize, p.scales_len as usize))?
    } else {
        &[]
    };
    let g = p.geom;
    let bias = Bias {
        kind: p.bias_kind,
        data: bias,
    };
    let (act_size, filter_size) = match p.kind {
        KIND_F32 => (4, 4),
        KIND_I8 => (1, 1),
        _ => (2, 1),
    };
    // Prepare checked these sizes against the shapes; re-checking them here makes every index
    // below provably in range.
    if input.len() < g.in_len() * act_size
        || out.len() < g.out_len() * act_size
        || filter.len() < g.filter_len(p.op) * filter_size
        || bias.data.len() < g.out_d as usize * bias.elem_size()
        || (p.scales_len > 0 && scales.len() < 4 * g.out_d as usize)
    {
        return Err(Error::malformed("convolution buffers"));
    }
    if p.kind == KIND_F32 {
        let f = FloatArgs {
            lo: p.f_min,
            hi: p.f_max,
        };
        match p.op {
            OP_CONV => conv_f32(&g, &f, input, filter, bias, out),
            OP_DEPTHWISE => depthwise_f32(&g, &f, input, filter, bias, out),
            _ => transpose_f32(&g, &f, input, filter, bias, out),
        }
        return Ok(());
    }
    let q = Requant {
        kind: p.kind,
        multiplier: p.multiplier,
        shift: p.shift,
        scales,
        input_scale: p.input_scale,
        output_scale: p.output_scale,
        input_offset: if p.kind == KIND_I8 { p.input_offset } else { 0 },
        output_offset: p.output_offset,
        act_min: p.act_min,
        act_max: p.act_max,
    };
    let filter: &[i8] = bytemuck::cast_slice(filter);
    if p.kind == KIND_I8 {
        let x: &[i8] = bytemuck::cast_slice(input);
        let y: &mut [i8] = bytemuck::cast_slice_mut(out);
        match p.op {
            OP_CONV if conv_window_applies(&g, &q) => conv_i8_window(&g, &q, x, filter, bias, y),
            OP_CONV => {
                let (_, wide, _) = bytemuck::pod_align_to_mut::<u8, i16>(scratch);
                conv_i8_fast(&g, &q, x, filter, bias, y, wide)
            }
            OP_DEPTHWISE if depthwise_mult_applies(&g, &q) => {
                depthwise_i8_mult(&g, &q, x, filter, bias, y)
            }
            OP_DEPTHWISE if (g.depth_mult as usize) <= BLOCK => {
                depthwise_i8_fast(&g, &q, x, filter, bias, y)
            }
            OP_DEPTHWISE => {
                let xin = |i: usize| x[i] as i32;
                depthwise_int(&g, &q, &xin, filter, bias, bytemuck::cast_slice_mut(y))
            }
            _ => {
                let xin = |i: usize| x[i] as i32;
                transpose_int(&g, &q, &xin, filter, bias, bytemuck::cast_slice_mut(y))
            }
        }
    } else {
        let xin = |i: usize| rd_i16(input, i) as i32;
        match p.op {
            OP_CONV => conv_int(&g, &q, &xin, filter, bias, out),
            OP_DEPTHWISE => depthwise_int(&g, &q, &xin, filter, bias, out),
            _ => transpose_int(&g, &q, &xin, filter, bias, out),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Plain kernels: TFLM's loops, every type
// ---------------------------------------------------------------------------------------------

struct FloatArgs {
    lo: f32,
    hi: f32,
}

/// The input row/column origin of output position `o` (stride applied, padding subtracted).
#[inline(always)]
fn origin(o: usize, stride: u32, pad: u32) -> i64 {
    o as i64 * stride as i64 - pad as i64
}

/// CONV_2D (plain), int8 or 16x8: TFLM's `ConvPerChannel` loop — for each output, over filter
/// rows, columns, then input channels of the output's group, `acc += w * (x + input_offset)`
/// with 32-bit products (int64 accumulator for 16x8 with an int64 bias; the 32-bit wrap of the
/// same sum otherwise).
fn conv_int(
    g: &Geom,
    q: &Requant<'_>,
    x: &dyn Fn(usize) -> i32,
    w: &[i8],
    bias: Bias<'_>,
    out: &mut [u8],
) {
    let input_offset = q.input_offset;
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw, fd) = (g.f_h as usize, g.f_w as usize, g.f_d as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let fpg = g.filters_per_group();
    let wide = q.kind != KIND_I8;
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let (fy0, fy1) = Geom::taps(origin(oy, g.stride_h, g.pad_h), g.dil_h, g.f_h, g.in_h);
            let iy0 = origin(oy, g.stride_h, g.pad_h);
            for ox in 0..ow {
                let ix0 = origin(ox, g.stride_w, g.pad_w);
                let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                for oc in 0..od {
                    let group = oc / fpg;
                    let mut acc: i64 = 0;
                    for fy in fy0..fy1 {
                        let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                        for fx in fx0..fx1 {
                            let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                            let xb = ((b * ih + iy) * iw + ix) * id + group * fd;
                            let wb = ((oc * fh + fy) * fw + fx) * fd;
                            for ic in 0..fd {
                                let xv = x(xb + ic).wrapping_add(input_offset);
                                acc += (w[wb + ic] as i32).wrapping_mul(xv) as i64;
                            }
                        }
                    }
                    let v = q.finish(acc, bias.int(oc), q.channel(oc));
                    store_int(out, ((b * oh + oy) * ow + ox) * od + oc, v, wide);
                }
            }
        }
    }
}

/// DEPTHWISE_CONV_2D (plain), int8 or 16x8: TFLM's `DepthwiseConvPerChannel` loop — output
/// channel `ic * depth_multiplier + m` sums over filter rows then columns.
fn depthwise_int(
    g: &Geom,
    q: &Requant<'_>,
    x: &dyn Fn(usize) -> i32,
    w: &[i8],
    bias: Bias<'_>,
    out: &mut [u8],
) {
    let input_offset = q.input_offset;
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let fw = g.f_w as usize;
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let dm = g.depth_mult as usize;
    let wide = q.kind != KIND_I8;
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let iy0 = origin(oy, g.stride_h, g.pad_h);
            let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
            for ox in 0..ow {
                let ix0 = origin(ox, g.stride_w, g.pad_w);
                let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                for ic in 0..id {
                    for m in 0..dm {
                        let oc = ic * dm + m;
                        let mut acc: i64 = 0;
                        for fy in fy0..fy1 {
                            let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                            for fx in fx0..fx1 {
                                let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                                let xv = x(((b * ih + iy) * iw + ix) * id + ic)
                                    .wrapping_add(input_offset);
                                let wv = w[(fy * fw + fx) * od + oc] as i32;
                                acc += wv.wrapping_mul(xv) as i64;
                            }
                        }
                        let v = q.finish(acc, bias.int(oc), q.channel(oc));
                        store_int(out, ((b * oh + oy) * ow + ox) * od + oc, v, wide);
                    }
                }
            }
        }
    }
}

/// The input positions `i` whose transposed-convolution window covers output position `o`:
/// `o + pad - i * stride` is a filter tap in `0..taps`. Returns `(lo, hi)`, empty when none.
fn transpose_range(o: usize, pad: u32, stride: u32, taps: u32, size: u32) -> (usize, usize) {
    let (t, s) = (o as i64 + pad as i64, stride.max(1) as i64);
    // i * s <= t and i * s > t - taps.
    let hi = if t < 0 { -1 } else { t / s };
    let lo_num = t - taps as i64 + 1;
    let lo = if lo_num <= 0 { 0 } else { (lo_num + s - 1) / s };
    let hi = hi.min(size as i64 - 1);
    if lo > hi {
        (0, 0)
    } else {
        (lo as usize, hi as usize + 1)
    }
}

/// TRANSPOSE_CONV (plain), int8 or 16x8, as a gather: each output sums
/// `(x + input_offset) * w` over the inputs that reach it, in 32-bit products (wrapping 32-bit
/// sum for int8, 64-bit for 16x8) — TFLM's scratch accumulator holds the same sum.
fn transpose_int(
    g: &Geom,
    q: &Requant<'_>,
    x: &dyn Fn(usize) -> i32,
    w: &[i8],
    bias: Bias<'_>,
    out: &mut [u8],
) {
    let input_offset = q.input_offset;
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw) = (g.f_h as usize, g.f_w as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let wide = q.kind != KIND_I8;
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let (iy0, iy1) = transpose_range(oy, g.pad_h, g.stride_h, g.f_h, g.in_h);
            for ox in 0..ow {
                let (ix0, ix1) = transpose_range(ox, g.pad_w, g.stride_w, g.f_w, g.in_w);
                for oc in 0..od {
                    let mut acc: i64 = 0;
                    for iy in iy0..iy1 {
                        let fy = oy + g.pad_h as usize - iy * g.stride_h as usize;
                        for ix in ix0..ix1 {
                            let fx = ox + g.pad_w as usize - ix * g.stride_w as usize;
                            let xb = ((b * ih + iy) * iw + ix) * id;
                            let wb = ((oc * fh + fy) * fw + fx) * id;
                            for ic in 0..id {
                                let xv = x(xb + ic).wrapping_add(input_offset);
                                acc += xv.wrapping_mul(w[wb + ic] as i32) as i64;
                            }
                        }
                    }
                    let v = q.finish(acc, bias.int(oc), q.channel(oc));
                    store_int(out, ((b * oh + oy) * ow + ox) * od + oc, v, wide);
                }
            }
        }
    }
}

/// CONV_2D, float: TFLM's `reference_ops::Conv` — `total += x * w` in float over filter rows,
/// columns, input channels, then `total + bias`, then the activation clamp.
fn conv_f32(g: &Geom, a: &FloatArgs, x: &[u8], w: &[u8], bias: Bias<'_>, out: &mut [u8]) {
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw, fd) = (g.f_h as usize, g.f_w as usize, g.f_d as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let fpg = g.filters_per_group();
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let iy0 = origin(oy, g.stride_h, g.pad_h);
            let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
            for ox in 0..ow {
                let ix0 = origin(ox, g.stride_w, g.pad_w);
                let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                for oc in 0..od {
                    let group = oc / fpg;
                    let mut total = 0.0f32;
                    for fy in fy0..fy1 {
                        let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                        for fx in fx0..fx1 {
                            let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                            let xb = ((b * ih + iy) * iw + ix) * id + group * fd;
                            let wb = ((oc * fh + fy) * fw + fx) * fd;
                            for ic in 0..fd {
                                total += rd_f32(x, xb + ic) * rd_f32(w, wb + ic);
                            }
                        }
                    }
                    let v = clamp_f32(total + bias.f32(oc), a.lo, a.hi);
                    store_f32(out, ((b * oh + oy) * ow + ox) * od + oc, v);
                }
            }
        }
    }
}

/// DEPTHWISE_CONV_2D, float: TFLM's `reference_ops::DepthwiseConv`.
fn depthwise_f32(g: &Geom, a: &FloatArgs, x: &[u8], w: &[u8], bias: Bias<'_>, out: &mut [u8]) {
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let fw = g.f_w as usize;
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let dm = g.depth_mult as usize;
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let iy0 = origin(oy, g.stride_h, g.pad_h);
            let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
            for ox in 0..ow {
                let ix0 = origin(ox, g.stride_w, g.pad_w);
                let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                for ic in 0..id {
                    for m in 0..dm {
                        let oc = ic * dm + m;
                        let mut total = 0.0f32;
                        for fy in fy0..fy1 {
                            let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                            for fx in fx0..fx1 {
                                let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                                total += rd_f32(x, ((b * ih + iy) * iw + ix) * id + ic)
                                    * rd_f32(w, (fy * fw + fx) * od + oc);
                            }
                        }
                        let v = clamp_f32(total + bias.f32(oc), a.lo, a.hi);
                        store_f32(out, ((b * oh + oy) * ow + ox) * od + oc, v);
                    }
                }
            }
        }
    }
}

/// TRANSPOSE_CONV, float, as a gather that adds each output's contributions in the order
/// TFLM's scatter does (input row, column, channel), starting from 0.0, then the bias, then the
/// clamp.
fn transpose_f32(g: &Geom, a: &FloatArgs, x: &[u8], w: &[u8], bias: Bias<'_>, out: &mut [u8]) {
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw) = (g.f_h as usize, g.f_w as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let (iy0, iy1) = transpose_range(oy, g.pad_h, g.stride_h, g.f_h, g.in_h);
            for ox in 0..ow {
                let (ix0, ix1) = transpose_range(ox, g.pad_w, g.stride_w, g.f_w, g.in_w);
                for oc in 0..od {
                    let mut total = 0.0f32;
                    for iy in iy0..iy1 {
                        let fy = oy + g.pad_h as usize - iy * g.stride_h as usize;
                        for ix in ix0..ix1 {
                            let fx = ox + g.pad_w as usize - ix * g.stride_w as usize;
                            let xb = ((b * ih + iy) * iw + ix) * id;
                            let wb = ((oc * fh + fy) * fw + fx) * id;
                            for ic in 0..id {
                                total += rd_f32(x, xb + ic) * rd_f32(w, wb + ic);
                            }
                        }
                    }
                    let v = clamp_f32(total + bias.f32(oc), a.lo, a.hi);
                    store_f32(out, ((b * oh + oy) * ow + ox) * od + oc, v);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fast int8 kernels (same bits as the plain ones)
// ---------------------------------------------------------------------------------------------

/// Output channels handled together: their accumulators, multipliers and filter sums live on
/// the stack, and their filters stay in cache while every pixel is visited.
const BLOCK: usize = 32;

/// `sum(a[i] * b[i])` in wrapping 32-bit arithmetic, written so LLVM vectorises it.
#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .fold(0i32, |s, (&x, &y)| s.wrapping_add(x as i32 * y as i32))
}

/// `acc[i] += x[i] * w[i]` (wrapping), in fixed runs of 8 lanes so that short channel counts
/// still run vectorised (a loop over a run-time length falls back to scalar code below the
/// vector loop's step).
#[inline(always)]
fn mac_lanes(acc: &mut [i32], x: &[i8], w: &[i8]) {
    let mut a8 = acc.chunks_exact_mut(8);
    let mut x8 = x.chunks_exact(8);
    let mut w8 = w.chunks_exact(8);
    for ((a, x), w) in (&mut a8).zip(&mut x8).zip(&mut w8) {
        for l in 0..8 {
            a[l] = a[l].wrapping_add(x[l] as i32 * w[l] as i32);
        }
    }
    let rest = a8
        .into_remainder()
        .iter_mut()
        .zip(x8.remainder())
        .zip(w8.remainder());
    for ((a, &xv), &wv) in rest {
        *a = a.wrapping_add(xv as i32 * wv as i32);
    }
}

/// `acc[i] += (x[i] + xo) * w[i]` (wrapping) with int16 operands (`xo` satisfying
/// [`dot::offset_fits`]), in fixed runs of 8 lanes like [`mac_lanes`].
#[inline(always)]
fn mac_lanes_offset(acc: &mut [i32], x: &[i8], xo: i16, w: &[i8]) {
    let mut a8 = acc.chunks_exact_mut(8);
    let mut x8 = x.chunks_exact(8);
    let mut w8 = w.chunks_exact(8);
    for ((a, x), w) in (&mut a8).zip(&mut x8).zip(&mut w8) {
        for l in 0..8 {
            a[l] = a[l].wrapping_add((x[l] as i16).wrapping_add(xo) as i32 * w[l] as i32);
        }
    }
    let rest = a8
        .into_remainder()
        .iter_mut()
        .zip(x8.remainder())
        .zip(w8.remainder());
    for ((a, &xv), &wv) in rest {
        *a = a.wrapping_add((xv as i16).wrapping_add(xo) as i32 * wv as i32);
    }
}

/// `acc[i] += x * w[i]` (wrapping), in fixed runs of 8 lanes like [`mac_lanes`].
#[inline(always)]
fn mac_broadcast(acc: &mut [i32], x: i8, w: &[i8]) {
    let x = x as i32;
    let mut a8 = acc.chunks_exact_mut(8);
    let mut w8 = w.chunks_exact(8);
    for (a, w) in (&mut a8).zip(&mut w8) {
        for l in 0..8 {
            a[l] = a[l].wrapping_add(x * w[l] as i32);
        }
    }
    for (a, &wv) in a8.into_remainder().iter_mut().zip(w8.remainder()) {
        *a = a.wrapping_add(x * wv as i32);
    }
}

/// Filters per block of int16-widened weights for a filter of `k` values (0 = no widening):
/// the block stays near 8 KiB and holds a multiple of 4 filters.
fn widened_width(k: usize) -> usize {
    match k {
        0 => 0,
        1..=128 => 32,
        129..=256 => 16,
        257..=512 => 8,
        513..=2048 => 4,
        _ => 0,
    }
}

/// Scratch bytes for [`widened_width`]: the block, one widened window, one element to align.
fn widened_scratch_bytes(k: usize, width: usize) -> usize {
    2 * ((width + 1) * k + 1)
}

/// `sum(a[i])` in wrapping 32-bit arithmetic.
#[inline(always)]
fn sum_i8(a: &[i8]) -> i32 {
    a.iter().fold(0i32, |s, &x| s.wrapping_add(x as i32))
}

/// CONV_2D, int8, fast: `acc = sum(w * x) + input_offset * sum(w)` over the window's valid taps
/// (equal to TFLM's `sum(w * (x + input_offset))` modulo 2^32), whole-window sums precomputed
/// per output channel; filter rows read as one contiguous run when the window is inside the
/// input and neither grouped nor dilated in width.
fn conv_i8_fast(
    g: &Geom,
    q: &Requant<'_>,
    x: &[i8],
    w: &[i8],
    bias: Bias<'_>,
    out: &mut [i8],
    scratch: &mut [i16],
) {
    let input_offset = q.input_offset;
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw, fd) = (g.f_h as usize, g.f_w as usize, g.f_d as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let fpg = g.filters_per_group();
    let ksize = fh * fw * fd;
    // Filter rows are contiguous in the input when not grouped and not dilated in width.
    let rows = fd == id && g.dil_w == 1;
    // With scratch for `width` filters and one window widened to int16, whole windows run as
    // int16 dot products (which LLVM turns into multiply-add pairs).
    let width = match widened_width(ksize) {
        w if rows && w > 0 && scratch.len() >= (w + 1) * ksize => w,
        _ => 0,
    };
    let (w16, x16) = scratch.split_at_mut(width * ksize);
    let x16 = if width > 0 {
        &mut x16[..ksize]
    } else {
        &mut [][..]
    };
    let step = if width > 0 { width } else { BLOCK };
    let mut c0 = 0;
    while c0 < od {
        let n = step.min(od - c0);
        if width > 0 {
            for (d, &v) in w16.iter_mut().zip(&w[c0 * ksize..(c0 + n) * ksize]) {
                *d = v as i16;
            }
        }
        let mut mult = [quant::ChannelRequant::default(); BLOCK];
        let mut base = [0i32; BLOCK];
        let mut xoff = [0usize; BLOCK];
        for i in 0..n {
            let c = c0 + i;
            let wsum = sum_i8(&w[c * ksize..(c + 1) * ksize]);
            base[i] = (bias.int(c) as i32).wrapping_add(input_offset.wrapping_mul(wsum));
            let (m, sh) = q.channel(c);
            mult[i] = quant::ChannelRequant::new(m, sh);
            xoff[i] = (c / fpg) * fd;
        }
        for b in 0..g.batches as usize {
            for oy in 0..oh {
                let iy0 = origin(oy, g.stride_h, g.pad_h);
                let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
                for ox in 0..ow {
                    let ix0 = origin(ox, g.stride_w, g.pad_w);
                    let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                    let full = fy0 == 0 && fy1 == fh && fx0 == 0 && fx1 == fw;
                    let mut acc = [0i32; BLOCK];
                    if full && width > 0 {
                        let rl = fw * fd;
                        for (fy, xr) in x16.chunks_exact_mut(rl).enumerate() {
                            let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                            let xb = ((b * ih + iy) * iw + ix0 as usize) * id;
                            for (d, &v) in xr.iter_mut().zip(&x[xb..xb + rl]) {
                                *d = v as i16;
                            }
                        }
                        let xs = &*x16;
                        let mut rows4 = w16[..n * ksize].chunks_exact(4 * ksize);
                        let mut i = 0;
                        for w4 in &mut rows4 {
                            let (w0, rest) = w4.split_at(ksize);
                            let (w1, rest) = rest.split_at(ksize);
                            let (w2, w3) = rest.split_at(ksize);
                            let r = dot::dot16x4(xs, w0, w1, w2, w3);
                            for (a, v) in acc[i..i + 4].iter_mut().zip(r) {
                                *a = v;
                            }
                            i += 4;
                        }
                        for wr in rows4.remainder().chunks_exact(ksize) {
                            acc[i] = dot::dot16(xs, wr);
                            i += 1;
                        }
                        for (a, &add) in acc[..n].iter_mut().zip(&base[..n]) {
                            *a = a.wrapping_add(add);
                        }
                    } else if full && rows {
                        for fy in 0..fh {
                            let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                            let xb = ((b * ih + iy) * iw + ix0 as usize) * id;
                            let xs = &x[xb..xb + fw * fd];
                            for (i, a) in acc[..n].iter_mut().enumerate() {
                                let wb = ((c0 + i) * fh + fy) * fw * fd;
                                *a = a.wrapping_add(dot_i8(xs, &w[wb..wb + fw * fd]));
                            }
                        }
                        for (i, a) in acc[..n].iter_mut().enumerate() {
                            *a = a.wrapping_add(base[i]);
                        }
                    } else {
                        let mut wsum = [0i32; BLOCK];
                        for fy in fy0..fy1 {
                            let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                            for fx in fx0..fx1 {
                                let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                                let xb = ((b * ih + iy) * iw + ix) * id;
                                for i in 0..n {
                                    let wb = (((c0 + i) * fh + fy) * fw + fx) * fd;
                                    let ws = &w[wb..wb + fd];
                                    let xs = &x[xb + xoff[i]..xb + xoff[i] + fd];
                                    acc[i] = acc[i].wrapping_add(dot_i8(xs, ws));
                                    if !full {
                                        wsum[i] = wsum[i].wrapping_add(sum_i8(ws));
                                    }
                                }
                            }
                        }
                        for i in 0..n {
                            acc[i] = acc[i].wrapping_add(if full {
                                base[i]
                            } else {
                                (bias.int(c0 + i) as i32)
                                    .wrapping_add(input_offset.wrapping_mul(wsum[i]))
                            });
                        }
                    }
                    let ob = ((b * oh + oy) * ow + ox) * od + c0;
                    finish_i8(q, &mut out[ob..ob + n], &acc[..n], &mult[..n]);
                }
            }
        }
        c0 += n;
    }
}

/// The int8 outputs for complete 32-bit accumulators (bias included): rescale, output offset,
/// activation clamp (`max` then `min`, as TFLM).
///
/// The clamp runs as a separate pass over fixed runs of 8 lanes so that it is vectorised:
/// written as scalar `max`/`min` after the rescale, LLVM compiles it to branches, which real
/// activations (ReLU outputs, about half of them clamped) mispredict often enough to double a
/// layer's time.
#[inline(always)]
fn finish_i8(q: &Requant<'_>, out: &mut [i8], acc: &[i32], mult: &[quant::ChannelRequant]) {
    let mut v = [0i32; BLOCK];
    let n = out.len().min(acc.len()).min(mult.len()).min(BLOCK);
    for ((t, &a), r) in v[..n].iter_mut().zip(acc).zip(mult) {
        *t = r.apply(a).wrapping_add(q.output_offset);
    }
    dot::clamp_to_i8(&mut out[..n], &v[..n], q.act_min, q.act_max);
}

/// DEPTHWISE_CONV_2D, int8, fast: blocks of input channels (with their `depth_multiplier`
/// outputs each), accumulators over the block's channels for each valid tap, the input offset
/// folded out as in [`conv_i8_fast`]. Needs `depth_multiplier <= BLOCK`.
fn depthwise_i8_fast(
    g: &Geom,
    q: &Requant<'_>,
    x: &[i8],
    w: &[i8],
    bias: Bias<'_>,
    out: &mut [i8],
) {
    let input_offset = q.input_offset;
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw) = (g.f_h as usize, g.f_w as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let dm = (g.depth_mult as usize).max(1);
    let icb = (BLOCK / dm).max(1);
    // With few output pixels the filter sums would cost as much as the convolution: the input
    // offset is then added to each input value instead (int16 operands, TFLM's products).
    let pixels = g.batches as usize * oh * ow;
    let fold = dm == 1 && pixels <= WINDOW_PIXELS && dot::offset_fits(input_offset);
    let xo = input_offset as i16;
    let mut ic0 = 0;
    while ic0 < id {
        let ni = icb.min(id - ic0);
        let n = ni * dm;
        let c0 = ic0 * dm;
        let mut mult = [quant::ChannelRequant::default(); BLOCK];
        let mut base = [0i32; BLOCK];
        for i in 0..n {
            let c = c0 + i;
            let mut wsum = 0i32;
            if !fold {
                for t in 0..fh * fw {
                    wsum = wsum.wrapping_add(w[t * od + c] as i32);
                }
            }
            base[i] = (bias.int(c) as i32).wrapping_add(input_offset.wrapping_mul(wsum));
            let (m, sh) = q.channel(c);
            mult[i] = quant::ChannelRequant::new(m, sh);
        }
        for b in 0..g.batches as usize {
            for oy in 0..oh {
                let iy0 = origin(oy, g.stride_h, g.pad_h);
                let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
                for ox in 0..ow {
                    let ix0 = origin(ox, g.stride_w, g.pad_w);
                    let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                    let full = fold || fy0 == 0 && fy1 == fh && fx0 == 0 && fx1 == fw;
                    let mut acc = [0i32; BLOCK];
                    let mut wsum = [0i32; BLOCK];
                    for fy in fy0..fy1 {
                        let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                        for fx in fx0..fx1 {
                            let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                            let xb = ((b * ih + iy) * iw + ix) * id + ic0;
                            let xs = &x[xb..xb + ni];
                            let wb = (fy * fw + fx) * od + c0;
                            let ws = &w[wb..wb + n];
                            if fold {
                                mac_lanes_offset(&mut acc[..n], xs, xo, ws);
                            } else if dm == 1 {
                                mac_lanes(&mut acc[..n], xs, ws);
                            } else {
                                for (j, &xv) in xs.iter().enumerate() {
                                    let a = &mut acc[j * dm..(j + 1) * dm];
                                    mac_broadcast(a, xv, &ws[j * dm..(j + 1) * dm]);
                                }
                            }
                            if !full {
                                for (s, &wv) in wsum[..n].iter_mut().zip(ws) {
                                    *s = s.wrapping_add(wv as i32);
                                }
                            }
                        }
                    }
                    if full {
                        for (a, &add) in acc[..n].iter_mut().zip(&base[..n]) {
                            *a = a.wrapping_add(add);
                        }
                    } else {
                        for (i, a) in acc[..n].iter_mut().enumerate() {
                            let add = (bias.int(c0 + i) as i32)
                                .wrapping_add(input_offset.wrapping_mul(wsum[i]));
                            *a = a.wrapping_add(add);
                        }
                    }
                    let ob = ((b * oh + oy) * ow + ox) * od + c0;
                    finish_i8(q, &mut out[ob..ob + n], &acc[..n], &mult[..n]);
                }
            }
        }
        ic0 += ni;
    }
}

/// Output pixels (all batches) up to which CONV_2D runs as [`conv_i8_window`]: there the
/// per-evaluation filter sums and int16 filter copies of [`conv_i8_fast`] would cost more than
/// the convolution itself (microWakeWord's streaming layers produce one pixel per call).
const WINDOW_PIXELS: usize = 4;
/// Largest filter (values, rounded up to 8) whose window [`conv_i8_window`] widens on the
/// stack.
const WINDOW_MAX: usize = 1024;

/// Whether [`conv_i8_window`] runs: few output pixels, no groups, an input offset whose sums
/// with int8 values fit in int16, a filter within [`WINDOW_MAX`].
fn conv_window_applies(g: &Geom, q: &Requant<'_>) -> bool {
    let k8 = (g.f_h as usize * g.f_w as usize * g.f_d as usize + 7) & !7;
    g.batches as usize * g.out_h as usize * g.out_w as usize <= WINDOW_PIXELS
        && g.f_d == g.in_d
        && dot::offset_fits(q.input_offset)
        && k8 > 0
        && k8 <= WINDOW_MAX
}

/// CONV_2D, int8, for few output pixels, the same bits as [`conv_int`]: each pixel's window is
/// widened once into an int16 run (the input offset added; zeros at taps outside the input,
/// which then add nothing, as TFLM skips them) and every output channel is one dot product with
/// its filter row ([`dot::rows_dot`]: four channels at a time, int16 operands, TFLM's products
/// summed modulo 2^32) — no per-evaluation filter sums or filter copies.
fn conv_i8_window(g: &Geom, q: &Requant<'_>, x: &[i8], w: &[i8], bias: Bias<'_>, out: &mut [i8]) {
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw, fd) = (g.f_h as usize, g.f_w as usize, g.f_d as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let ksize = fh * fw * fd;
    let k8 = (ksize + 7) & !7;
    if k8 == 0 || k8 > WINDOW_MAX || fd != id {
        return;
    }
    let xo = q.input_offset as i16;
    let mut win = [0i16; WINDOW_MAX];
    for b in 0..g.batches as usize {
        for oy in 0..oh {
            let iy0 = origin(oy, g.stride_h, g.pad_h);
            let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
            for ox in 0..ow {
                let ix0 = origin(ox, g.stride_w, g.pad_w);
                let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                win[..k8].fill(0);
                for fy in fy0..fy1 {
                    let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                    for fx in fx0..fx1 {
                        let ix = (ix0 + (g.dil_w as usize * fx) as i64) as usize;
                        let at = ((b * ih + iy) * iw + ix) * id;
                        let dst = &mut win[(fy * fw + fx) * fd..(fy * fw + fx + 1) * fd];
                        for (d, &v) in dst.iter_mut().zip(&x[at..at + fd]) {
                            *d = (v as i16).wrapping_add(xo);
                        }
                    }
                }
                let xs = &win[..k8];
                let ob = ((b * oh + oy) * ow + ox) * od;
                let mut c0 = 0;
                while c0 < od {
                    let n = BLOCK.min(od - c0);
                    let mut acc = [0i32; BLOCK];
                    let mut mult = [quant::ChannelRequant::default(); BLOCK];
                    let mut i = 0;
                    while i < n {
                        let k = 4.min(n - i);
                        let s = dot::rows_dot(xs, w, 0, c0 + i, k, ksize);
                        for j in 0..k {
                            let c = c0 + i + j;
                            acc[i + j] = s[j].wrapping_add(bias.int(c) as i32);
                            let (m, sh) = q.channel(c);
                            mult[i + j] = quant::ChannelRequant::new(m, sh);
                        }
                        i += k;
                    }
                    finish_i8(q, &mut out[ob + c0..ob + c0 + n], &acc[..n], &mult[..n]);
                    c0 += n;
                }
            }
        }
    }
}

/// Int16 filter values [`depthwise_i8_mult`] keeps on the stack: a block of output channels'
/// filters, each as one contiguous run of taps.
const DW_FILTERS: usize = 1024;
/// Largest window (taps, rounded up to 8) [`depthwise_i8_mult`] widens on the stack.
const DW_WINDOW: usize = 256;

/// Whether [`depthwise_i8_mult`] runs: a depth multiplier above 1 on one or two input
/// channels, or up to 8 with windows of 25 taps or more (then the lanes of
/// [`depthwise_i8_fast`] hold few channels per tap — one input channel times 8 in
/// micro_speech, where this path is about 3.5 times faster — while with more channels and
/// small windows the lanes are as fast or faster: see `depthwise_paths_timing`), an input
/// offset whose sums with int8 values fit in int16, and a window that fits the stack buffers.
fn depthwise_mult_applies(g: &Geom, q: &Requant<'_>) -> bool {
    let taps = g.f_h as usize * g.f_w as usize;
    let taps8 = (taps + 7) & !7;
    g.depth_mult > 1
        && (g.in_d <= 2 || (g.in_d <= 8 && taps >= 25))
        && dot::offset_fits(q.input_offset)
        && taps8 > 0
        && taps8 <= DW_WINDOW
}

/// DEPTHWISE_CONV_2D, int8, for depth multipliers above 1, the same bits as
/// [`depthwise_int`]: a block of output channels' filters is transposed once into int16 runs
/// of taps (the filter tensor holds channels innermost); for each output pixel and input
/// channel the window is widened into an int16 run with the input offset added and zeros at
/// taps outside the input (so the padding needs no separate sums: a zero contributes nothing,
/// exactly as TFLM skips those taps), and each of the channel's outputs is one int16 dot
/// product ([`dot::dot16x4`], multiply-add pairs) — TFLM's products, summed modulo 2^32 like
/// its int32 accumulator.
fn depthwise_i8_mult(
    g: &Geom,
    q: &Requant<'_>,
    x: &[i8],
    w: &[i8],
    bias: Bias<'_>,
    out: &mut [i8],
) {
    let (ih, iw, id) = (g.in_h as usize, g.in_w as usize, g.in_d as usize);
    let (fh, fw) = (g.f_h as usize, g.f_w as usize);
    let (oh, ow, od) = (g.out_h as usize, g.out_w as usize, g.out_d as usize);
    let dm = (g.depth_mult as usize).max(1);
    let taps = fh * fw;
    let t8 = (taps + 7) & !7;
    if t8 == 0 || t8 > DW_WINDOW {
        return;
    }
    let xo = q.input_offset as i16;
    let nmax = (DW_FILTERS / t8).clamp(1, BLOCK);
    let mut wt = [0i16; DW_FILTERS];
    let mut win = [0i16; DW_WINDOW];
    let mut c0 = 0;
    while c0 < od {
        let n = nmax.min(od - c0);
        let mut mult = [quant::ChannelRequant::default(); BLOCK];
        let mut base = [0i32; BLOCK];
        for i in 0..n {
            let c = c0 + i;
            for (t, d) in wt[i * t8..i * t8 + taps].iter_mut().enumerate() {
                *d = w[t * od + c] as i16;
            }
            base[i] = bias.int(c) as i32;
            let (m, sh) = q.channel(c);
            mult[i] = quant::ChannelRequant::new(m, sh);
        }
        // Input channels feeding this block's outputs.
        let (ic0, ic1) = (c0 / dm, (c0 + n - 1) / dm + 1);
        for b in 0..g.batches as usize {
            for oy in 0..oh {
                let iy0 = origin(oy, g.stride_h, g.pad_h);
                let (fy0, fy1) = Geom::taps(iy0, g.dil_h, g.f_h, g.in_h);
                for ox in 0..ow {
                    let ix0 = origin(ox, g.stride_w, g.pad_w);
                    let (fx0, fx1) = Geom::taps(ix0, g.dil_w, g.f_w, g.in_w);
                    let full = fy0 == 0 && fy1 == fh && fx0 == 0 && fx1 == fw;
                    let mut acc = [0i32; BLOCK];
                    for ic in ic0..ic1 {
                        if !full {
                            win[..taps].fill(0);
                        }
                        let ix = (ix0 + (g.dil_w as usize * fx0) as i64) as usize;
                        let step = g.dil_w as usize * id;
                        let cnt = fx1 - fx0;
                        // An empty column range leaves the zeroed window.
                        let rows = if cnt == 0 { 0..0 } else { fy0..fy1 };
                        for fy in rows {
                            let iy = (iy0 + (g.dil_h as usize * fy) as i64) as usize;
                            let row = &mut win[fy * fw + fx0..fy * fw + fx1];
                            let at = ((b * ih + iy) * iw + ix) * id + ic;
                            if step == 1 {
                                for (d, &v) in row.iter_mut().zip(&x[at..at + cnt]) {
                                    *d = (v as i16).wrapping_add(xo);
                                }
                            } else {
                                let src = x[at..at + (cnt - 1) * step + 1].iter().step_by(step);
                                for (d, &v) in row.iter_mut().zip(src) {
                                    *d = (v as i16).wrapping_add(xo);
                                }
                            }
                        }
                        let xs = &win[..t8];
                        // This input channel's outputs within the block.
                        let lo = (ic * dm).max(c0) - c0;
                        let hi = ((ic + 1) * dm).min(c0 + n) - c0;
                        let mut i = lo;
                        while i + 4 <= hi {
                            let r = |k: usize| &wt[(i + k) * t8..(i + k + 1) * t8];
                            let s = dot::dot16x4(xs, r(0), r(1), r(2), r(3));
                            acc[i..i + 4].copy_from_slice(&s);
                            i += 4;
                        }
                        while i < hi {
                            acc[i] = dot::dot16(xs, &wt[i * t8..(i + 1) * t8]);
                            i += 1;
                        }
                    }
                    for (a, &add) in acc[..n].iter_mut().zip(&base[..n]) {
                        *a = a.wrapping_add(add);
                    }
                    let ob = ((b * oh + oy) * ow + ox) * od + c0;
                    finish_i8(q, &mut out[ob..ob + n], &acc[..n], &mult[..n]);
                }
            }
        }
        c0 += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        fn i8s(&mut self, n: usize) -> Vec<i8> {
            (0..n).map(|_| self.next() as i8).collect()
        }
    }

    fn requant(kind: u32, scales: &[u8]) -> Requant<'_> {
        Requant {
            kind,
            multiplier: 1_518_500_250,
            shift: -7,
            scales,
            input_scale: 0.05,
            output_scale: 0.11,
            input_offset: 0,
            output_offset: -3,
            act_min: -128,
            act_max: 127,
        }
    }

    #[test]
    fn padding_matches_tflm() {
        // SAME, 3x3 stride 2 on 96: out 48, total (47*2 + 3 - 96) = 1 -> pad 0.
        assert_eq!(
            compute_padding(true, (2, 2), (1, 1), (96, 96), (3, 3)),
            (0, 0)
        );
        // SAME, 3x3 stride 1: pad 1.
        assert_eq!(
            compute_padding(true, (1, 1), (1, 1), (5, 7), (3, 3)),
            (1, 1)
        );
        // SAME, 5x5 dilation 2 (effective 9): pad 4.
        assert_eq!(
            compute_padding(true, (1, 1), (2, 2), (10, 10), (5, 5)),
            (4, 4)
        );
        // VALID never pads; a filter larger than the input fails the out-size check: zero.
        assert_eq!(
            compute_padding(false, (1, 1), (1, 1), (5, 5), (3, 3)),
            (0, 0)
        );
        assert_eq!(
            compute_padding(false, (1, 1), (1, 1), (2, 2), (7, 7)),
            (0, 0)
        );
    }

    #[test]
    fn taps_clip_the_window_to_the_input() {
        assert_eq!(Geom::taps(-1, 1, 3, 5), (1, 3));
        assert_eq!(Geom::taps(3, 1, 3, 5), (0, 2));
        assert_eq!(Geom::taps(-3, 2, 3, 5), (2, 3));
        assert_eq!(Geom::taps(-10, 1, 3, 5), (0, 0));
        assert_eq!(Geom::taps(7, 1, 3, 5), (0, 0));
        assert_eq!(Geom::taps(0, 1, 3, 5), (0, 3));
    }

    #[test]
    fn transpose_range_inverts_the_scatter() {
        // Brute force: input i reaches output o when o + pad - i*stride is in 0..taps.
        for (pad, stride, taps, size) in [(0, 1, 3, 4), (1, 2, 3, 5), (2, 3, 4, 3), (0, 2, 1, 6)] {
            for o in 0..12usize {
                let want: Vec<usize> = (0..size as usize)
                    .filter(|&i| {
                        let t = o as i64 + pad as i64 - (i * stride as usize) as i64;
                        (0..taps as i64).contains(&t)
                    })
                    .collect();
                let (lo, hi) = transpose_range(o, pad, stride, taps, size);
                assert_eq!(
                    (lo..hi).collect::<Vec<_>>(),
                    want,
                    "o={o} pad={pad} s={stride}"
                );
            }
        }
    }

    /// A hand-computed 3x3 int8 convolution: one input channel, one filter of ones, input
    /// offset 1, SAME padding on a 2x2 image — each output sums the four (x + 1) values.
    #[test]
    fn conv_int8_hand_computed() {
        let g = Geom {
            batches: 1,
            in_h: 2,
            in_w: 2,
            in_d: 1,
            f_h: 3,
            f_w: 3,
            f_d: 1,
            out_h: 2,
            out_w: 2,
            out_d: 1,
            stride_h: 1,
            stride_w: 1,
            dil_h: 1,
            dil_w: 1,
            pad_h: 1,
            pad_w: 1,
            depth_mult: 1,
        };
        let q = Requant {
            kind: KIND_I8,
            multiplier: 1 << 30, // 0.5
            shift: 1,            // * 2 = 1.0
            scales: &[],
            input_scale: 1.0,
            output_scale: 1.0,
            input_offset: 1,
            output_offset: 0,
            act_min: -128,
            act_max: 127,
        };
        let x = [1i8, 2, 3, 4];
        let w = [1i8; 9];
        let bias = [10i32.to_le_bytes()].concat();
        let bias = Bias {
            kind: BIAS_I32,
            data: &bias,
        };
        let mut out = [0i8; 4];
        conv_i8_fast(&g, &q, &x, &w, bias, &mut out, &mut []);
        let mut t = vec![0i16; 9 * 33];
        let mut out2 = [0i8; 4];
        conv_i8_fast(&g, &q, &x, &w, bias, &mut out2, &mut t);
        assert_eq!(out2, [24; 4]);
        // (2 + 3 + 4 + 5) + 10 = 24 everywhere.
        assert_eq!(out, [24; 4]);
        let mut plain = [0u8; 4];
        conv_int(&g, &q, &|i| x[i] as i32, &w, bias, &mut plain);
        assert_eq!(plain, [24; 4]);
    }

    #[test]
    fn transpose_int8_hand_computed() {
        // 1x1 input of 2 -> stride 2, 2x2 filter [1,2,3,4], VALID: output 2x2 = 2*w + bias 1.
        let g = Geom {
            batches: 1,
            in_h: 1,
            in_w: 1,
            in_d: 1,
            f_h: 2,
            f_w: 2,
            f_d: 1,
            out_h: 2,
            out_w: 2,
            out_d: 1,
            stride_h: 2,
            stride_w: 2,
            dil_h: 1,
            dil_w: 1,
            pad_h: 0,
            pad_w: 0,
            depth_mult: 1,
        };
        let mut q = requant(KIND_I8, &[]);
        q.multiplier = 1 << 30;
        q.shift = 1;
        q.output_offset = 0;
        let bias = 1i32.to_le_bytes();
        let mut out = [0u8; 4];
        transpose_int(
            &g,
            &q,
            &|_| 2,
            &[1, 2, 3, 4],
            Bias {
                kind: BIAS_I32,
                data: &bias,
            },
            &mut out,
        );
        assert_eq!(out, [3, 5, 7, 9]);
    }

    fn random_geom(r: &mut Rng, depthwise: bool) -> Geom {
        let in_d = r.range(1, 20) as u32;
        let dm = if depthwise { r.range(1, 9) as u32 } else { 1 };
        let groups = if depthwise || r.range(0, 3) > 0 {
            1
        } else {
            r.range(1, 3) as u32
        };
        let in_d = if groups > 1 {
            in_d.max(1) * groups
        } else {
            in_d
        };
        let f_d = if depthwise { 1 } else { in_d / groups };
        let out_d = if depthwise {
            in_d * dm
        } else {
            groups * r.range(1, 12) as u32
        };
        let (f_h, f_w) = (r.range(1, 5) as u32, r.range(1, 5) as u32);
        let (stride_h, stride_w) = (r.range(1, 3) as u32, r.range(1, 3) as u32);
        let (dil_h, dil_w) = (r.range(1, 2) as u32, r.range(1, 2) as u32);
        let (in_h, in_w) = (r.range(1, 11) as u32, r.range(1, 11) as u32);
        let same = r.range(0, 1) == 1;
        let out = |size: u32, f: u32, s: u32, d: u32| -> u32 {
            let eff = (f - 1) * d + 1;
            if same {
                size.div_ceil(s)
            } else {
                (size + s).saturating_sub(eff) / s
            }
        };
        let (out_h, out_w) = (
            out(in_h, f_h, stride_h, dil_h),
            out(in_w, f_w, stride_w, dil_w),
        );
        let (pad_h, pad_w) = compute_padding(
            same,
            (stride_h as i32, stride_w as i32),
            (dil_h as i32, dil_w as i32),
            (in_h as i32, in_w as i32),
            (f_h as i32, f_w as i32),
        );
        Geom {
            batches: r.range(1, 2) as u32,
            in_h,
            in_w,
            in_d,
            f_h,
            f_w,
            f_d,
            out_h,
            out_w,
            out_d,
            stride_h,
            stride_w,
            dil_h,
            dil_w,
            pad_h,
            pad_w,
            depth_mult: dm,
        }
    }

    /// Timing of the two depthwise paths on shapes with a depth multiplier (run with
    /// `cargo test --release -- --ignored --nocapture depthwise_paths_timing`).
    #[test]
    #[ignore]
    fn depthwise_paths_timing() {
        let shapes = [
            // (in_h, in_w, in_d, f, stride, dm)
            (49, 40, 1, (10, 8), 2, 8),
            (32, 32, 16, (3, 3), 1, 2),
            (16, 16, 32, (3, 3), 1, 2),
            (16, 16, 8, (5, 5), 1, 4),
            (32, 32, 3, (3, 3), 2, 8),
            (32, 32, 2, (3, 3), 1, 4),
            (32, 32, 1, (3, 3), 1, 2),
            (32, 32, 1, (5, 5), 1, 8),
            (32, 32, 1, (4, 4), 1, 8),
            (32, 32, 1, (8, 8), 2, 4),
            (32, 32, 2, (8, 4), 2, 8),
        ];
        let mut r = Rng(7);
        for (ih, iw, id, (fh, fw), st, dm) in shapes {
            let g = Geom {
                batches: 1,
                in_h: ih,
                in_w: iw,
                in_d: id,
                f_h: fh,
                f_w: fw,
                f_d: 1,
                out_h: ih.div_ceil(st),
                out_w: iw.div_ceil(st),
                out_d: id * dm,
                stride_h: st,
                stride_w: st,
                dil_h: 1,
                dil_w: 1,
                pad_h: fh / 2,
                pad_w: fw / 2,
                depth_mult: dm,
            };
            let x = r.i8s(g.in_len());
            let w = r.i8s(g.filter_len(OP_DEPTHWISE));
            let mut q = requant(KIND_I8, &[]);
            q.input_offset = 128;
            let bias = Bias {
                kind: BIAS_NONE,
                data: &[],
            };
            let mut out = vec![0i8; g.out_len()];
            // The fastest of many runs: the machine may be shared.
            let time = |f: &mut dyn FnMut()| {
                (0..60)
                    .map(|_| {
                        let t = std::time::Instant::now();
                        f();
                        t.elapsed().as_secs_f64() * 1e6
                    })
                    .fold(f64::MAX, f64::min)
            };
            let lanes = time(&mut || depthwise_i8_fast(&g, &q, &x, &w, bias, &mut out));
            let mult = time(&mut || depthwise_i8_mult(&g, &q, &x, &w, bias, &mut out));
            println!(
                "{ih}x{iw}x{id} f{fh}x{fw} s{st} dm{dm}: lanes {lanes:.1} us, mult {mult:.1} us"
            );
        }
    }

    /// The fast int8 kernels give the plain kernels' bits on random shapes, offsets and data.
    #[test]
    fn fast_int8_matches_plain() {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..400 {
            let depthwise = case % 2 == 1;
            let g = random_geom(&mut r, depthwise);
            let op = if depthwise { OP_DEPTHWISE } else { OP_CONV };
            let x = r.i8s(g.in_len());
            let w = r.i8s(g.filter_len(op));
            let bias: Vec<u8> = (0..g.out_d)
                .flat_map(|_| (r.range(-5000, 5000) as i32).to_le_bytes())
                .collect();
            let scales: Vec<u8> = (0..g.out_d)
                .flat_map(|_| (r.range(1, 100) as f32 * 1e-3).to_le_bytes())
                .collect();
            let per_channel = r.range(0, 1) == 1;
            let mut q = requant(KIND_I8, if per_channel { &scales } else { &[] });
            q.output_offset = r.range(-128, 127) as i32;
            q.act_min = r.range(-128, 0) as i32;
            q.act_max = r.range(0, 127) as i32;
            q.input_offset = r.range(-127, 128) as i32;
            let bias = Bias {
                kind: if r.range(0, 3) == 0 {
                    BIAS_NONE
                } else {
                    BIAS_I32
                },
                data: &bias,
            };
            let mut fast = vec![0i8; g.out_len()];
            let mut plain = vec![0u8; g.out_len()];
            let xin = |i: usize| x[i] as i32;
            if depthwise {
                depthwise_i8_fast(&g, &q, &x, &w, bias, &mut fast);
                depthwise_int(&g, &q, &xin, &w, bias, &mut plain);
                let taps8 = (g.f_h as usize * g.f_w as usize + 7) & !7;
                if g.depth_mult > 1 && dot::offset_fits(q.input_offset) && taps8 <= DW_WINDOW {
                    let mut mult = vec![0i8; g.out_len()];
                    depthwise_i8_mult(&g, &q, &x, &w, bias, &mut mult);
                    assert_eq!(mult, fast, "case {case}: {g:?}");
                }
            } else {
                let k = (g.f_h * g.f_w * g.f_d) as usize;
                let mut t = vec![0i16; widened_scratch_bytes(k, widened_width(k)) / 2];
                let mut blocked = vec![0i8; g.out_len()];
                conv_i8_fast(&g, &q, &x, &w, bias, &mut fast, &mut t);
                conv_i8_fast(&g, &q, &x, &w, bias, &mut blocked, &mut []);
                assert_eq!(fast, blocked, "case {case}: {g:?}");
                if g.f_d == g.in_d && dot::offset_fits(q.input_offset) {
                    let mut window = vec![0i8; g.out_len()];
                    conv_i8_window(&g, &q, &x, &w, bias, &mut window);
                    assert_eq!(fast, window, "case {case}: {g:?}");
                }
                conv_int(&g, &q, &xin, &w, bias, &mut plain);
            }
            let plain: Vec<i8> = plain.iter().map(|&b| b as i8).collect();
            assert_eq!(fast, plain, "case {case}: {g:?}");
        }
    }
}
