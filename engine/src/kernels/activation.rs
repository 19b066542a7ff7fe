//! Element-wise activations: RELU and RELU6 (float32, int8, int16), LEAKY_RELU (float32, int8,
//! int16), HARD_SWISH (float32, int8) and PRELU (float32, int8, int16 with int8 alpha, alpha
//! broadcast) — TFLM's micro kernels (`activations*.cc`, `leaky_relu*.cc`, `hard_swish*.cc`,
//! `prelu*.cc`) and the `reference_ops` they call.
//!
//! The element helpers at the top ([`Elem`], [`QInt`], [`map`]) are shared with QUANTIZE and
//! DEQUANTIZE: tensors are read and written through little-endian chunks, so nothing depends on
//! the alignment of a constant tensor inside the model bytes.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant;
use crate::tensor::{DType, Shape, TensorInfo, MAX_RANK};

/// RELU.
pub const RELU: Registration = Registration {
    code: 19,
    max_version: 3,
    prepare: prepare_relu,
    eval: eval_relu,
    aliases_input: false,
};

/// RELU6.
pub const RELU6: Registration = Registration {
    code: 21,
    max_version: 3,
    prepare: prepare_relu6,
    eval: eval_relu6,
    aliases_input: false,
};

/// LEAKY_RELU.
pub const LEAKY_RELU: Registration = Registration {
    code: 98,
    max_version: 2,
    prepare: prepare_leaky_relu,
    eval: eval_leaky_relu,
    aliases_input: false,
};

/// HARD_SWISH.
pub const HARD_SWISH: Registration = Registration {
    code: 117,
    max_version: 1,
    prepare: prepare_hard_swish,
    eval: eval_hard_swish,
    aliases_input: false,
};

/// PRELU.
pub const PRELU: Registration = Registration {
    code: 54,
    max_version: 1,
    prepare: prepare_prelu,
    eval: eval_prelu,
    aliases_input: false,
};

// ---------------------------------------------------------------------------------------------
// Element access shared by the element-wise kernels.
// ---------------------------------------------------------------------------------------------

/// A tensor element stored little-endian in `SIZE` bytes.
pub(crate) trait Elem: Copy {
    /// Bytes per element.
    const SIZE: usize;
    /// Reads one element from a chunk of exactly `SIZE` bytes.
    fn load(b: &[u8]) -> Self;
    /// Writes one element into a chunk of exactly `SIZE` bytes.
    fn store(self, b: &mut [u8]);
}

/// An integer element type, widened to `i32` for arithmetic and narrowed back with C's
/// truncating conversion (callers clamp first).
pub(crate) trait QInt: Elem {
    /// `std::numeric_limits<T>::min()`.
    const MIN: i32;
    /// `std::numeric_limits<T>::max()`.
    const MAX: i32;
    /// Widens.
    fn to_i32(self) -> i32;
    /// `static_cast<T>(v)`.
    fn from_i32(v: i32) -> Self;
}

macro_rules! elem {
    ($t:ty, $n:expr) => {
        impl Elem for $t {
            const SIZE: usize = $n;
            #[inline(always)]
            fn load(b: &[u8]) -> Self {
                <[u8; $n]>::try_from(b).map_or(0 as $t, <$t>::from_le_bytes)
            }
            #[inline(always)]
            fn store(self, b: &mut [u8]) {
                if let Ok(d) = <&mut [u8; $n]>::try_from(b) {
                    *d = self.to_le_bytes();
                }
            }
        }
    };
}
elem!(i8, 1);
elem!(u8, 1);
elem!(i16, 2);
elem!(i32, 4);
elem!(f32, 4);

macro_rules! qint {
    ($t:ty) => {
        impl QInt for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            #[inline(always)]
            fn to_i32(self) -> i32 {
                self as i32
            }
            #[inline(always)]
            fn from_i32(v: i32) -> Self {
                v as $t
            }
        }
    };
}
qint!(i8);
qint!(u8);
qint!(i16);
qint!(i32);

/// Applies `f` to the first `n` elements of `input`, writing `output`. The lengths are checked
/// once here, so a short buffer is an error rather than a partial result.
#[inline(always)]
pub(crate) fn map<I: Elem, O: Elem>(
    input: &[u8],
    output: &mut [u8],
    n: usize,
    mut f: impl FnMut(I) -> O,
) -> Result<()> {
    if input.len() < n * I::SIZE || output.len() < n * O::SIZE {
        return Err(Error::malformed("element-wise op buffers"));
    }
    for (i, o) in input
        .chunks_exact(I::SIZE)
        .zip(output.chunks_exact_mut(O::SIZE))
        .take(n)
    {
        f(I::load(i)).store(o);
    }
    Ok(())
}

/// Runs a one-input, one-output element-wise op: looks up both tensors and hands `f` the bytes.
fn unary(
    ctx: &mut Eval<'_>,
    input: TensorId,
    output: TensorId,
    f: impl FnOnce(&[u8], &mut [u8]) -> Result<()>,
) -> Result<()> {
    let (input, output) = (ctx.loc(input)?, ctx.loc(output)?);
    let (r, [out]) = ctx.split([output])?;
    f(r.get(input)?, out)
}

/// The input and output of a one-input op, checked to have the same element count
/// (TFLM's `MatchingFlatSize`).
fn unary_tensors<'m>(ctx: &Prepare<'_, 'm>) -> Result<(TensorInfo<'m>, TensorInfo<'m>)> {
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    if input.elements() != output.elements() {
        return Err(ctx.invalid("activation input and output sizes differ"));
    }
    Ok((input, output))
}

const KIND_F32: u32 = 0;
const KIND_I8: u32 = 1;
const KIND_I16: u32 = 2;

// ---------------------------------------------------------------------------------------------
// RELU and RELU6
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReluParams {
    input: TensorId,
    output: TensorId,
    kind: u32,
    count: u32,
    input_zp: i32,
    output_zp: i32,
    multiplier: i32,
    shift: i32,
    act_min: i32,
    act_max: i32,
}

fn prepare_relu(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (input, output) = unary_tensors(ctx)?;
    let mut p = ReluParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        count: input.elements() as u32,
        input_zp: 0,
        output_zp: 0,
        multiplier: 0,
        shift: 0,
        act_min: 0,
        act_max: 0,
    };
    let (kind, qmin, qmax) = match (input.dtype, output.dtype) {
        (DType::F32, DType::F32) => (KIND_F32, 0, 0),
        (DType::I8, DType::I8) => (KIND_I8, i8::MIN as i32, i8::MAX as i32),
        (DType::I16, DType::I16) => (KIND_I16, i16::MIN as i32, i16::MAX as i32),
        _ => return Err(ctx.unsupported("RELU supports float32, int8 and int16 (same type out)")),
    };
    p.kind = kind;
    if kind != KIND_F32 {
        let iq = input.require_quant()?;
        let oq = output.require_quant()?;
        if kind == KIND_I16 && (iq.zero_point != 0 || oq.zero_point != 0) {
            return Err(ctx.unsupported("int16 RELU with a non-zero zero point"));
        }
        // in_scale / out_scale divided in double. (The TFLM sources in the repository divide
        // in float and widen the quotient; the oracle build divides in double, and the int16
        // conformance cases, whose 65536 inputs expose the last bit, follow the oracle.)
        let (m, s) = quant::quantize_multiplier(iq.scale as f64 / oq.scale as f64);
        p.multiplier = m;
        p.shift = s;
        p.input_zp = iq.zero_point;
        p.output_zp = oq.zero_point;
        // The lower bound is the quantized 0.0 (zero point + roundf(0 / scale) = zero point);
        // the upper bound is the type's maximum (act_max is +infinity).
        p.act_min = qmin.max(oq.zero_point);
        p.act_max = qmax;
    }
    ctx.set_params(&p)
}

/// One int8/int16 RELU element (TFLM `ReluQuantized`): subtract the input zero point,
/// requantize, add the output zero point, clamp to [quantized 0, type max].
#[inline(always)]
fn relu_q(x: i32, p: &ReluParams) -> i32 {
    let v = p
        .output_zp
        .wrapping_add(quant::multiply_by_quantized_multiplier(
            x.wrapping_sub(p.input_zp),
            p.multiplier,
            p.shift,
        ));
    v.max(p.act_min).min(p.act_max)
}

/// `val < 0 ? 0 : val` (NaN and -0.0 pass through, as in C++).
#[inline(always)]
fn relu_f32(v: f32) -> f32 {
    if v < 0.0 {
        0.0
    } else {
        v
    }
}

fn eval_relu(ctx: &mut Eval<'_>) -> Result<()> {
    let p: ReluParams = ctx.params()?;
    let n = p.count as usize;
    unary(ctx, p.input, p.output, |i, o| match p.kind {
        KIND_I8 => map(i, o, n, |x: i8| relu_q(x as i32, &p) as i8),
        KIND_I16 => map(i, o, n, |x: i16| relu_q(x as i32, &p) as i16),
        _ => map(i, o, n, relu_f32),
    })
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Relu6Params {
    input: TensorId,
    output: TensorId,
    kind: u32,
    count: u32,
    /// Quantized 0.0 (the input zero point), already narrowed to the element type.
    zero: i32,
    /// Quantized 6.0 on the input scale, clamped to the element type.
    six: i32,
}

fn prepare_relu6(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (input, output) = unary_tensors(ctx)?;
    let mut p = Relu6Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        count: input.elements() as u32,
        zero: 0,
        six: 0,
    };
    let (kind, qmin, qmax) = match (input.dtype, output.dtype) {
        (DType::F32, DType::F32) => (KIND_F32, 0, 0),
        (DType::I8, DType::I8) => (KIND_I8, i8::MIN as i32, i8::MAX as i32),
        (DType::I16, DType::I16) => (KIND_I16, i16::MIN as i32, i16::MAX as i32),
        _ => return Err(ctx.unsupported("RELU6 supports float32, int8 and int16 (same type out)")),
    };
    p.kind = kind;
    if kind != KIND_F32 {
        // TFLM clamps the input in its own quantization (no requantization): the output's
        // parameters are not consulted.
        let iq = input.require_quant()?;
        // FloatToQuantizedType<T>(6.0f, scale, zero_point): round(6 / scale) + zero_point,
        // converted to int32, then clamped to the type.
        let q6 = quant::roundf(6.0 / iq.scale) as f64 + iq.zero_point as f64;
        p.six = quant::f64_to_i32_like_c(q6).clamp(qmin, qmax);
        // The zero point is handed to the kernel as a `T`: C's narrowing conversion.
        p.zero = if kind == KIND_I8 {
            iq.zero_point as i8 as i32
        } else {
            iq.zero_point as i16 as i32
        };
    }
    ctx.set_params(&p)
}

/// `val > upper ? upper : val < lower ? lower : val` (TFLM `Relu6Quantized` / `Relu6Float`).
#[inline(always)]
fn clamp_like_c<T: PartialOrd>(v: T, lower: T, upper: T) -> T {
    if v > upper {
        upper
    } else if v < lower {
        lower
    } else {
        v
    }
}

fn eval_relu6(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Relu6Params = ctx.params()?;
    let n = p.count as usize;
    unary(ctx, p.input, p.output, |i, o| match p.kind {
        KIND_I8 => {
            let (lo, hi) = (p.zero as i8, p.six as i8);
            map(i, o, n, |x: i8| clamp_like_c(x, lo, hi))
        }
        KIND_I16 => {
            let (lo, hi) = (p.zero as i16, p.six as i16);
            map(i, o, n, |x: i16| clamp_like_c(x, lo, hi))
        }
        _ => map(i, o, n, |x: f32| clamp_like_c(x, 0.0, 6.0)),
    })
}

// ---------------------------------------------------------------------------------------------
// LEAKY_RELU
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LeakyReluParams {
    input: TensorId,
    output: TensorId,
    kind: u32,
    count: u32,
    alpha: f32,
    input_zp: i32,
    output_zp: i32,
    multiplier_alpha: i32,
    shift_alpha: i32,
    multiplier_identity: i32,
    shift_identity: i32,
}

fn prepare_leaky_relu(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (input, output) = unary_tensors(ctx)?;
    // LeakyReluOptions.alpha (slot 0); a missing table leaves TFLM's zeroed params.
    let alpha = match ctx.options()? {
        Some(o) => o.f32(0, 0.0)?,
        None => 0.0,
    };
    let mut p = LeakyReluParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        count: input.elements() as u32,
        alpha,
        input_zp: 0,
        output_zp: 0,
        multiplier_alpha: 0,
        shift_alpha: 0,
        multiplier_identity: 0,
        shift_identity: 0,
    };
    p.kind = match (input.dtype, output.dtype) {
        (DType::F32, DType::F32) => KIND_F32,
        (DType::I8, DType::I8) => KIND_I8,
        (DType::I16, DType::I16) => KIND_I16,
        _ => {
            return Err(
                ctx.unsupported("LEAKY_RELU supports float32, int8 and int16 (same type out)")
            )
        }
    };
    if p.kind != KIND_F32 {
        let iq = input.require_quant()?;
        let oq = output.require_quant()?;
        p.input_zp = iq.zero_point;
        p.output_zp = oq.zero_point;
        // Both multipliers in double, as the oracle computes them (the repository's sources do
        // it in float, see RELU): (in_scale * alpha) / out_scale and in_scale / out_scale. A
        // negative alpha gives a negative Q0.31 multiplier.
        let (m, s) = quant::quantize_multiplier(iq.scale as f64 * alpha as f64 / oq.scale as f64);
        p.multiplier_alpha = m;
        p.shift_alpha = s;
        let (m, s) = quant::quantize_multiplier(iq.scale as f64 / oq.scale as f64);
        p.multiplier_identity = m;
        p.shift_identity = s;
    }
    ctx.set_params(&p)
}

/// One int8/int16 LEAKY_RELU element (TFLM `reference_ops::QuantizeLeakyRelu`): non-negative
/// inputs take the identity multiplier; negative ones the alpha multiplier, applied by
/// magnitude with the sign restored afterwards, so ties round as for a positive alpha and then
/// flip (C's negation of INT_MIN wraps).
#[inline(always)]
fn leaky_relu_q(x: i32, p: &LeakyReluParams, qmin: i32, qmax: i32) -> i32 {
    let input_value = x.wrapping_sub(p.input_zp);
    let scaled = if input_value >= 0 {
        quant::multiply_by_quantized_multiplier(
            input_value,
            p.multiplier_identity,
            p.shift_identity,
        )
    } else if p.multiplier_alpha < 0 {
        quant::multiply_by_quantized_multiplier(
            input_value,
            p.multiplier_alpha.wrapping_neg(),
            p.shift_alpha,
        )
        .wrapping_neg()
    } else {
        quant::multiply_by_quantized_multiplier(input_value, p.multiplier_alpha, p.shift_alpha)
    };
    qmax.min(qmin.max(p.output_zp.wrapping_add(scaled)))
}

fn eval_leaky_relu(ctx: &mut Eval<'_>) -> Result<()> {
    let p: LeakyReluParams = ctx.params()?;
    let n = p.count as usize;
    unary(ctx, p.input, p.output, |i, o| match p.kind {
        KIND_I8 => map(i, o, n, |x: i8| {
            leaky_relu_q(x as i32, &p, i8::MIN as i32, i8::MAX as i32) as i8
        }),
        KIND_I16 => map(i, o, n, |x: i16| {
            leaky_relu_q(x as i32, &p, i16::MIN as i32, i16::MAX as i32) as i16
        }),
        // `val > 0 ? val : val * alpha` in float.
        _ => map(i, o, n, |x: f32| if x > 0.0 { x } else { x * p.alpha }),
    })
}

// ---------------------------------------------------------------------------------------------
// HARD_SWISH
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct HardSwishParams {
    input: TensorId,
    output: TensorId,
    kind: u32,
    count: u32,
    /// TFLM keeps both zero points as `int16_t`: stored here already narrowed.
    input_zp: i32,
    output_zp: i32,
    reluish_multiplier: i32,
    reluish_exponent: i32,
    output_multiplier: i32,
    output_exponent: i32,
}

fn prepare_hard_swish(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (input, output) = unary_tensors(ctx)?;
    let mut p = HardSwishParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind: KIND_F32,
        count: input.elements() as u32,
        input_zp: 0,
        output_zp: 0,
        reluish_multiplier: 0,
        reluish_exponent: 0,
        output_multiplier: 0,
        output_exponent: 0,
    };
    p.kind = match (input.dtype, output.dtype) {
        (DType::F32, DType::F32) => KIND_F32,
        (DType::I8, DType::I8) => KIND_I8,
        _ => return Err(ctx.unsupported("HARD_SWISH supports float32 and int8 (same type out)")),
    };
    if p.kind == KIND_I8 {
        let iq = input.require_quant()?;
        let oq = output.require_quant()?;
        p.input_zp = iq.zero_point as i16 as i32;
        p.output_zp = oq.zero_point as i16 as i32;
        // As TFLM's HardSwishPrepare: the "high-res" input scale is input_scale / 128 and the
        // relu-ish scale 3 / 32768, both in float (exact: powers of two); the quotients are
        // taken in double, as the oracle does (the repository's sources divide in float; the
        // conformance cases include scales where that changes an output).
        let hires_input_scale = (1.0f32 / 128.0) * iq.scale;
        let reluish_scale = 3.0f32 / 32768.0;
        let (m, s) = quant::quantize_multiplier(hires_input_scale as f64 / oq.scale as f64);
        p.output_multiplier = quant::downscale_multiplier_to_i16(m) as i32;
        p.output_exponent = s;
        if s > 0 {
            return Err(
                ctx.unsupported("HARD_SWISH with an output scale under 1/128 of the input scale")
            );
        }
        let (m, s) = quant::quantize_multiplier(hires_input_scale as f64 / reluish_scale as f64);
        p.reluish_multiplier = quant::downscale_multiplier_to_i16(m) as i32;
        p.reluish_exponent = s;
        // TFLM's saturating left shift computes `1 << (exponent - 1)` in int: past 31 it is
        // undefined, so such scales (input scale above ~1e7) are refused.
        if s > 31 {
            return Err(ctx.unsupported("HARD_SWISH with an input scale this large"));
        }
    }
    ctx.set_params(&p)
}

/// One int8 HARD_SWISH element, step for step as TFLM's `reference_ops::HardSwish<int8_t>`:
/// 16-bit fixed point throughout, with C's narrowing to `int16_t` where the C++ stores into one.
#[inline(always)]
fn hard_swish_i8(x: i8, p: &HardSwishParams) -> i8 {
    let input_value = (x as i32 - p.input_zp) as i16;
    let hires = (input_value as i32 * (1 << 7)) as i16;
    let preshift_output =
        quant::saturating_rounding_doubling_high_mul_i16(hires, p.output_multiplier as i16);
    // The relu-ish multiplier: rescale to [-1, 1] on a scale where 3.0 is 32768, saturating,
    // with the left shift split around the multiply so saturation only bites at the end.
    let mut reluish = hires;
    if p.reluish_exponent > 0 {
        reluish = quant::saturating_left_shift_i16(reluish, p.reluish_exponent - 1);
    }
    reluish =
        quant::saturating_rounding_doubling_high_mul_i16(reluish, p.reluish_multiplier as i16);
    if p.reluish_exponent > 0 {
        reluish = quant::saturating_left_shift_i16(reluish, 1);
    }
    if p.reluish_exponent < 0 {
        reluish = quant::rounding_divide_by_pot_i16(reluish, -p.reluish_exponent);
    }
    // [-1, 1] -> [0, 1].
    let reluish = ((reluish as i32 + (1 << 15)) >> 1) as i16;
    let preshift = quant::saturating_doubling_high_mul_i16(reluish, preshift_output);
    let mut out = quant::rounding_divide_by_pot_i16(preshift, -p.output_exponent);
    out = out.wrapping_add(p.output_zp as i16);
    out.clamp(i8::MIN as i16, i8::MAX as i16) as i8
}

/// `in * min(6, max(0, in + 3)) / 6` in float, with `std::min`/`std::max`'s NaN behaviour.
#[inline(always)]
fn hard_swish_f32(x: f32) -> f32 {
    let t = x + 3.0;
    let lo = if 0.0 < t { t } else { 0.0 };
    let clamped = if lo < 6.0 { lo } else { 6.0 };
    x * clamped / 6.0
}

fn eval_hard_swish(ctx: &mut Eval<'_>) -> Result<()> {
    let p: HardSwishParams = ctx.params()?;
    let n = p.count as usize;
    unary(ctx, p.input, p.output, |i, o| match p.kind {
        KIND_I8 => map(i, o, n, |x: i8| hard_swish_i8(x, &p)),
        _ => map(i, o, n, hard_swish_f32),
    })
}

// ---------------------------------------------------------------------------------------------
// PRELU
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PreluParams {
    input: TensorId,
    alpha: TensorId,
    output: TensorId,
    kind: u32,
    rank: u32,
    /// Output dimensions, innermost last, padded on the left with 1s to `MAX_RANK`.
    out_dims: [u32; MAX_RANK],
    /// Element strides of input and alpha per output dimension (0 where broadcast).
    in_strides: [u32; MAX_RANK],
    alpha_strides: [u32; MAX_RANK],
    input_offset: i32,
    alpha_offset: i32,
    output_offset: i32,
    multiplier_1: i32,
    shift_1: i32,
    multiplier_2: i32,
    shift_2: i32,
}

/// Strides of `shape` seen through an output of rank `rank` (right-aligned), 0 on the
/// dimensions it broadcasts over. `None` if a dimension is neither equal to the output's nor 1.
fn broadcast_strides(shape: &Shape, out: &[u32; MAX_RANK]) -> Option<[u32; MAX_RANK]> {
    let mut strides = [0u32; MAX_RANK];
    let dims = shape.dims();
    if dims.len() > MAX_RANK {
        return None;
    }
    let pad = MAX_RANK - dims.len();
    let mut stride = 1u32;
    for k in (0..MAX_RANK).rev() {
        let d = if k < pad { 1 } else { dims[k - pad] as u32 };
        if d == out[k] {
            strides[k] = if d == 1 { 0 } else { stride };
        } else if d == 1 {
            strides[k] = 0;
        } else {
            return None;
        }
        stride = stride.checked_mul(d)?;
    }
    Some(strides)
}

fn prepare_prelu(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let input = ctx.input(0)?;
    let alpha = ctx.input(1)?;
    let output = ctx.output(0)?;
    let kind = match (input.dtype, alpha.dtype, output.dtype) {
        (DType::F32, DType::F32, DType::F32) => KIND_F32,
        (DType::I8, DType::I8, DType::I8) => KIND_I8,
        (DType::I16, DType::I8, DType::I16) => KIND_I16,
        _ => {
            return Err(
                ctx.unsupported("PRELU supports float32, int8, and int16 input with int8 alpha")
            )
        }
    };
    let rank = output.shape.rank();
    if input.shape.rank() > rank || alpha.shape.rank() > rank {
        return Err(ctx.invalid("PRELU output rank below an input's"));
    }
    // TFLM's float kernel is the 4-D BroadcastPrelu4DSlow; the quantized one takes up to 8-D.
    if kind == KIND_F32 && rank > 4 {
        return Err(ctx.unsupported("float PRELU above 4 dimensions"));
    }
    let mut out_dims = [1u32; MAX_RANK];
    let pad = MAX_RANK - rank;
    for (k, &d) in output.shape.dims().iter().enumerate() {
        out_dims[pad + k] = d as u32;
    }
    // The output must be exactly the broadcast of the two input shapes.
    for (k, &o) in out_dims.iter().enumerate().skip(pad) {
        let i = input_dim(&input.shape, rank, k - pad);
        let a = input_dim(&alpha.shape, rank, k - pad);
        if o != i.max(a) && o != 0 {
            return Err(ctx.invalid("PRELU output shape is not the broadcast of its inputs"));
        }
    }
    let in_strides = broadcast_strides(&input.shape, &out_dims)
        .ok_or(ctx.invalid("PRELU input does not broadcast to the output"))?;
    let alpha_strides = broadcast_strides(&alpha.shape, &out_dims)
        .ok_or(ctx.invalid("PRELU alpha does not broadcast to the output"))?;
    let mut p = PreluParams {
        input: ctx.input_id(0)?,
        alpha: ctx.input_id(1)?,
        output: ctx.output_id(0)?,
        kind,
        rank: rank as u32,
        out_dims,
        in_strides,
        alpha_strides,
        input_offset: 0,
        alpha_offset: 0,
        output_offset: 0,
        multiplier_1: 0,
        shift_1: 0,
        multiplier_2: 0,
        shift_2: 0,
    };
    if kind != KIND_F32 {
        let iq = input.require_quant()?;
        let aq = alpha.require_quant()?;
        let oq = output.require_quant()?;
        // Both in double: in / out for x >= 0, in * alpha / out for x < 0.
        let (m, s) = quant::quantize_multiplier(iq.scale as f64 / oq.scale as f64);
        p.multiplier_1 = m;
        p.shift_1 = s;
        let (m, s) =
            quant::quantize_multiplier(iq.scale as f64 * aq.scale as f64 / oq.scale as f64);
        p.multiplier_2 = m;
        p.shift_2 = s;
        p.input_offset = iq.zero_point.wrapping_neg();
        p.alpha_offset = aq.zero_point.wrapping_neg();
        p.output_offset = oq.zero_point;
    }
    ctx.set_macs(output.elements() as u64);
    ctx.set_params(&p)
}

/// Dimension `k` (of `rank`, right-aligned) of `shape`, 1 where `shape` has fewer dimensions.
fn input_dim(shape: &Shape, rank: usize, k: usize) -> u32 {
    let pad = rank - shape.rank().min(rank);
    if k < pad {
        1
    } else {
        shape.dim(k - pad) as u32
    }
}

/// One int8/int16 PRELU element (TFLM `reference_ops::BroadcastPrelu4DSlow`'s lambda).
#[inline(always)]
fn prelu_q(x: i32, alpha: i32, p: &PreluParams, qmin: i32, qmax: i32) -> i32 {
    let input_value = p.input_offset.wrapping_add(x);
    let out = if input_value >= 0 {
        quant::multiply_by_quantized_multiplier(input_value, p.multiplier_1, p.shift_1)
    } else {
        let alpha_value = p.alpha_offset.wrapping_add(alpha);
        quant::multiply_by_quantized_multiplier(
            input_value.wrapping_mul(alpha_value),
            p.multiplier_2,
            p.shift_2,
        )
    };
    qmax.min(qmin.max(out.wrapping_add(p.output_offset)))
}

/// Walks the output in row-major order, calling `f(output index, input index, alpha index)`.
/// Every element is a pure function of its two inputs, so the visiting order is immaterial.
fn for_each_broadcast(p: &PreluParams, mut f: impl FnMut(usize, usize, usize)) {
    let dims = p.out_dims;
    if dims.contains(&0) {
        return;
    }
    let mut idx = [0u32; MAX_RANK];
    let (mut o, mut i, mut a) = (0usize, 0usize, 0usize);
    loop {
        f(o, i, a);
        o += 1;
        // Odometer increment, innermost dimension last.
        let mut k = MAX_RANK;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            i = i.wrapping_add(p.in_strides[k] as usize);
            a = a.wrapping_add(p.alpha_strides[k] as usize);
            if idx[k] < dims[k] {
                break;
            }
            // Back to the start of this dimension (bounded by the tensor sizes prepare saw).
            i = i.wrapping_sub(p.in_strides[k].wrapping_mul(dims[k]) as usize);
            a = a.wrapping_sub(p.alpha_strides[k].wrapping_mul(dims[k]) as usize);
            idx[k] = 0;
        }
    }
}

/// Element `i` of `size` bytes (empty past the end: eval checked the lengths beforehand).
#[inline(always)]
fn elem_at(b: &[u8], i: usize, size: usize) -> &[u8] {
    b.get(i * size..(i + 1) * size).unwrap_or(&[])
}

fn eval_prelu(ctx: &mut Eval<'_>) -> Result<()> {
    let p: PreluParams = ctx.params()?;
    let (input, alpha, output) = (ctx.loc(p.input)?, ctx.loc(p.alpha)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let (input, alpha) = (r.get(input)?, r.get(alpha)?);
    let (in_size, out_size) = match p.kind {
        KIND_F32 => (4, 4),
        KIND_I8 => (1, 1),
        _ => (2, 2),
    };
    let alpha_size = if p.kind == KIND_F32 { 4 } else { 1 };
    // The largest index each walk reaches, from the strides prepare derived from the shapes:
    // checked once, so every access below is in range.
    let reach = |strides: &[u32; MAX_RANK]| -> usize {
        strides
            .iter()
            .zip(p.out_dims.iter())
            .map(|(&s, &d)| s as usize * (d as usize).saturating_sub(1))
            .sum::<usize>()
            + 1
    };
    let total: usize = p.out_dims.iter().map(|&d| d as usize).product();
    if total > 0
        && (input.len() < reach(&p.in_strides) * in_size
            || alpha.len() < reach(&p.alpha_strides) * alpha_size
            || out.len() < total * out_size)
    {
        return Err(Error::malformed("PRELU buffers"));
    }
    match p.kind {
        KIND_I8 => for_each_broadcast(&p, |o, i, a| {
            let x = i8::load(elem_at(input, i, 1)) as i32;
            let al = i8::load(elem_at(alpha, a, 1)) as i32;
            let v = prelu_q(x, al, &p, i8::MIN as i32, i8::MAX as i32) as i8;
            if let Some(d) = out.get_mut(o..o + 1) {
                v.store(d);
            }
        }),
        KIND_I16 => for_each_broadcast(&p, |o, i, a| {
            let x = i16::load(elem_at(input, i, 2)) as i32;
            let al = i8::load(elem_at(alpha, a, 1)) as i32;
            let v = prelu_q(x, al, &p, i16::MIN as i32, i16::MAX as i32) as i16;
            if let Some(d) = out.get_mut(2 * o..2 * o + 2) {
                v.store(d);
            }
        }),
        _ => for_each_broadcast(&p, |o, i, a| {
            let x = f32::load(elem_at(input, i, 4));
            let al = f32::load(elem_at(alpha, a, 4));
            // `in1_val >= 0.0f ? in1_val : in1_val * in2_val`.
            let v = if x >= 0.0 { x } else { x * al };
            if let Some(d) = out.get_mut(4 * o..4 * o + 4) {
                v.store(d);
            }
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relu_params(in_zp: i32, out_zp: i32, ratio: f64, lo: i32, hi: i32) -> ReluParams {
        let (m, s) = quant::quantize_multiplier(ratio);
        ReluParams {
            input: TensorId(0),
            output: TensorId(1),
            kind: KIND_I8,
            count: 0,
            input_zp: in_zp,
            output_zp: out_zp,
            multiplier: m,
            shift: s,
            act_min: lo,
            act_max: hi,
        }
    }

    #[test]
    fn relu_requantizes_and_clamps_at_the_output_zero_point() {
        // Same scale: identity above the zero point, zero point below.
        let p = relu_params(-3, -3, 1.0, -3, 127);
        assert_eq!(relu_q(-10, &p), -3);
        assert_eq!(relu_q(10, &p), 10);
        // Halving scale ratio, zero points 4 -> -2: (x - 4) / 2 - 2, ties rounding up.
        let p = relu_params(4, -2, 0.5, -2, 127);
        assert_eq!(relu_q(9, &p), 1); // 5 / 2 = 2.5 -> 3, -2 -> 1
        assert_eq!(relu_q(0, &p), -2);
        assert_eq!(relu_q(127, &p), 60); // 123 / 2 = 61.5 -> 62, -2
        assert_eq!(relu_f32(-1.0), 0.0);
        assert!(relu_f32(-0.0).is_sign_negative());
        assert!(relu_f32(f32::NAN).is_nan());
    }

    #[test]
    fn relu6_clamps_in_c_order() {
        assert_eq!(clamp_like_c(100i8, -5, 50), 50);
        assert_eq!(clamp_like_c(-100i8, -5, 50), -5);
        assert_eq!(clamp_like_c(7.5f32, 0.0, 6.0), 6.0);
        assert!(clamp_like_c(f32::NAN, 0.0, 6.0).is_nan());
    }

    #[test]
    fn leaky_relu_handles_negative_alpha() {
        let (ma, sa) = quant::quantize_multiplier(-0.5);
        let (mi, si) = quant::quantize_multiplier(1.0);
        let p = LeakyReluParams {
            input: TensorId(0),
            output: TensorId(1),
            kind: KIND_I8,
            count: 0,
            alpha: -0.5,
            input_zp: 0,
            output_zp: 0,
            multiplier_alpha: ma,
            shift_alpha: sa,
            multiplier_identity: mi,
            shift_identity: si,
        };
        assert_eq!(leaky_relu_q(-10, &p, -128, 127), 5);
        assert_eq!(leaky_relu_q(-11, &p, -128, 127), 5); // -5.5 -> -5 (tie up), negated
        assert_eq!(leaky_relu_q(20, &p, -128, 127), 20);
        let (ma, sa) = quant::quantize_multiplier(0.25);
        let p = LeakyReluParams {
            multiplier_alpha: ma,
            shift_alpha: sa,
            ..p
        };
        assert_eq!(leaky_relu_q(-10, &p, -128, 127), -3); // -2.5: the final shift rounds away
    }

    fn hard_swish_params(
        in_scale: f32,
        in_zp: i32,
        out_scale: f32,
        out_zp: i32,
    ) -> HardSwishParams {
        let hires = (1.0f32 / 128.0) * in_scale;
        let (m, s) = quant::quantize_multiplier((hires / out_scale) as f64);
        let (rm, rs) = quant::quantize_multiplier((hires / (3.0f32 / 32768.0)) as f64);
        HardSwishParams {
            input: TensorId(0),
            output: TensorId(1),
            kind: KIND_I8,
            count: 0,
            input_zp: in_zp,
            output_zp: out_zp,
            reluish_multiplier: quant::downscale_multiplier_to_i16(rm) as i32,
            reluish_exponent: rs,
            output_multiplier: quant::downscale_multiplier_to_i16(m) as i32,
            output_exponent: s,
        }
    }

    #[test]
    fn hard_swish_int8_tracks_the_real_function() {
        // Input and output both on a 0.05 scale: hard_swish(x) within a step of the real value.
        let p = hard_swish_params(0.05, 0, 0.05, 0);
        for x in -128i32..=127 {
            let real = x as f32 * 0.05;
            let want = real * (real + 3.0).clamp(0.0, 6.0) / 6.0 / 0.05;
            let got = hard_swish_i8(x as i8, &p) as f32;
            assert!((got - want).abs() <= 1.0, "x={x} got={got} want={want}");
        }
        // Far below -3 the output is exactly the zero point; zero stays zero.
        assert_eq!(hard_swish_i8(-128, &p), 0);
        assert_eq!(hard_swish_i8(0, &p), 0);
        assert_eq!(hard_swish_f32(-4.0), -0.0);
        assert_eq!(hard_swish_f32(4.0), 4.0);
        assert_eq!(hard_swish_f32(1.5), 1.5 * 4.5 / 6.0);
    }

    #[test]
    fn prelu_broadcasts_alpha_over_channels() {
        // Output [2, 3], alpha [3]: alpha strides (0, 1); input strides (3, 1).
        let shape = Shape::new(&[3]).unwrap();
        let mut out = [1u32; MAX_RANK];
        out[MAX_RANK - 2] = 2;
        out[MAX_RANK - 1] = 3;
        let a = broadcast_strides(&shape, &out).unwrap();
        assert_eq!(&a[MAX_RANK - 2..], &[0, 1]);
        let full = Shape::new(&[2, 3]).unwrap();
        let i = broadcast_strides(&full, &out).unwrap();
        assert_eq!(&i[MAX_RANK - 2..], &[3, 1]);
        assert!(broadcast_strides(&Shape::new(&[2]).unwrap(), &out).is_none());
        let mut p = PreluParams::zeroed();
        p.out_dims = out;
        p.in_strides = i;
        p.alpha_strides = a;
        let mut seen = [(0usize, 0usize, 0usize); 6];
        let mut n = 0;
        for_each_broadcast(&p, |o, i, a| {
            seen[n] = (o, i, a);
            n += 1;
        });
        assert_eq!(n, 6);
        assert_eq!(seen[4], (4, 4, 1));
        // Quantized: scales 1 in, 0.5 alpha, 1 out; alpha zero point 0.
        let (m1, s1) = quant::quantize_multiplier(1.0);
        let (m2, s2) = quant::quantize_multiplier(0.5);
        p.multiplier_1 = m1;
        p.shift_1 = s1;
        p.multiplier_2 = m2;
        p.shift_2 = s2;
        assert_eq!(prelu_q(5, 3, &p, -128, 127), 5);
        assert_eq!(prelu_q(-5, 3, &p, -128, 127), -7); // -15 * 0.5 = -7.5 -> -7
        assert_eq!(prelu_q(-100, 100, &p, -128, 127), -128);
    }
}
