//! AVERAGE_POOL_2D and MAX_POOL_2D: int8, int16 and float32 — TFLM's `PoolingPrepare` with
//! `reference_integer_ops::{AveragePool, MaxPool}` and `reference_ops::{AveragePool, MaxPool}`.
//!
//! Windows are clipped to the input: padding never contributes a value, and the average divides
//! by the number of input elements actually inside the window.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::quant::{self, Activation};
use crate::tensor::DType;

/// AVERAGE_POOL_2D.
pub const AVERAGE_POOL_2D: Registration = Registration {
    code: 1,
    max_version: 3,
    prepare: prepare_average,
    eval,
    aliases_input: false,
};

/// MAX_POOL_2D.
pub const MAX_POOL_2D: Registration = Registration {
    code: 17,
    max_version: 3,
    prepare: prepare_max,
    eval,
    aliases_input: false,
};

const OP_AVERAGE: u32 = 0;
const OP_MAX: u32 = 1;

const KIND_F32: u32 = 0;
const KIND_I8: u32 = 1;
const KIND_I16: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    op: u32,
    kind: u32,
    batches: u32,
    depth: u32,
    in_h: u32,
    in_w: u32,
    out_h: u32,
    out_w: u32,
    stride_h: i32,
    stride_w: i32,
    filter_h: i32,
    filter_w: i32,
    pad_h: i32,
    pad_w: i32,
    act_min: i32,
    act_max: i32,
    f_min: f32,
    f_max: f32,
}

fn prepare_average(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_AVERAGE)
}

fn prepare_max(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    prepare(ctx, OP_MAX)
}

/// TFLM `ComputeOutSizeChecked`: the output size the padding scheme implies, `None` where TFLM
/// reports an error (a VALID window larger than the input plus a stride).
fn out_size(same: bool, in_size: i64, filter: i64, stride: i64) -> Option<i64> {
    let v = if same {
        (in_size + stride - 1) / stride
    } else {
        (in_size + stride - filter) / stride
    };
    (v >= 0).then_some(v)
}

/// TFLM `ComputePaddingWithOffset`: the padding before the first element, half the total (the
/// odd element goes after).
fn padding(in_size: i64, filter: i64, stride: i64, out: i64) -> i64 {
    (((out - 1) * stride + filter - in_size).max(0)) / 2
}

/// The part of the window for output position `o` that lies inside the input, as an input
/// coordinate range (empty when the window misses the input entirely).
#[inline]
fn window(o: usize, stride: i32, pad: i32, filter: i32, in_size: u32) -> (usize, usize) {
    let origin = o as i64 * stride as i64 - pad as i64;
    let start = (-origin).max(0);
    let end = (filter as i64).min(in_size as i64 - origin);
    if end <= start {
        (0, 0)
    } else {
        ((origin + start) as usize, (origin + end) as usize)
    }
}

fn prepare(ctx: &mut Prepare<'_, '_>, op: u32) -> Result<()> {
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    let options = ctx
        .options()?
        .ok_or(ctx.invalid("pooling op without Pool2DOptions"))?;
    // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, activation.
    let same = match options.u8(0, 0)? {
        0 => true,
        1 => false,
        _ => return Err(ctx.unsupported("this padding scheme")),
    };
    let stride_w = options.i32(1, 0)?;
    let stride_h = options.i32(2, 0)?;
    let filter_w = options.i32(3, 0)?;
    let filter_h = options.i32(4, 0)?;
    let activation =
        Activation::from_code(options.u8(5, 0)?).ok_or(ctx.unsupported("this fused activation"))?;
    if stride_w <= 0 || stride_h <= 0 || filter_w <= 0 || filter_h <= 0 {
        return Err(ctx.invalid("pooling stride and filter must be positive"));
    }
    if input.shape.rank() != 4 || output.shape.rank() != 4 {
        return Err(ctx.unsupported("pooling on tensors that are not 4-D"));
    }
    let (id, od) = (input.shape.dims(), output.shape.dims());
    if id[0] != od[0] || id[3] != od[3] {
        return Err(ctx.invalid("pooling changes batches or channels"));
    }
    if input.dtype != output.dtype {
        return Err(ctx.invalid("pooling changes the element type"));
    }
    let (in_h, in_w, out_h, out_w) = (id[1], id[2], od[1], od[2]);

    // TFLM derives the padding from the output size the scheme implies, not from the output
    // tensor's shape (which sets the loop bounds); if that size is an error it leaves both
    // paddings at zero.
    let (mut pad_h, mut pad_w) = (0i64, 0i64);
    let implied_w = out_size(same, in_w as i64, filter_w as i64, stride_w as i64);
    let implied_h = out_size(same, in_h as i64, filter_h as i64, stride_h as i64);
    if let (Some(ow), Some(oh)) = (implied_w, implied_h) {
        pad_h = padding(in_h as i64, filter_h as i64, stride_h as i64, oh);
        pad_w = padding(in_w as i64, filter_w as i64, stride_w as i64, ow);
    }
    let pad_h = i32::try_from(pad_h).map_err(|_| ctx.invalid("pooling padding overflows"))?;
    let pad_w = i32::try_from(pad_w).map_err(|_| ctx.invalid("pooling padding overflows"))?;

    // TFLM's average pool stops (leaving the rest of the output unwritten) at a window with no
    // input element in it; the engine refuses such a model instead.
    if op == OP_AVERAGE && output.elements() > 0 {
        let empty_y = (0..out_h as usize).any(|o| {
            let (s, e) = window(o, stride_h, pad_h, filter_h, in_h as u32);
            s == e
        });
        let empty_x = (0..out_w as usize).any(|o| {
            let (s, e) = window(o, stride_w, pad_w, filter_w, in_w as u32);
            s == e
        });
        if empty_y || empty_x {
            return Err(ctx.unsupported("an average pool window entirely outside the input"));
        }
    }

    let mut p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        op,
        kind: KIND_F32,
        batches: id[0] as u32,
        depth: id[3] as u32,
        in_h: in_h as u32,
        in_w: in_w as u32,
        out_h: out_h as u32,
        out_w: out_w as u32,
        stride_h,
        stride_w,
        filter_h,
        filter_w,
        pad_h,
        pad_w,
        act_min: 0,
        act_max: 0,
        f_min: 0.0,
        f_max: 0.0,
    };
    match input.dtype {
        DType::F32 => {
            let (lo, hi) = quant::activation_range_f32(activation);
            p.f_min = lo;
            p.f_max = hi;
        }
        DType::I8 | DType::I16 => {
            p.kind = if input.dtype == DType::I8 {
                KIND_I8
            } else {
                KIND_I16
            };
            let (in_scale, in_zp) = input.scale_zp();
            let (out_scale, out_zp) = output.scale_zp();
            // TFLM: |input scale - output scale| (in float, then widened) <= 1e-6 and equal
            // zero points.
            let scale_diff = (in_scale - out_scale).abs() as f64;
            if scale_diff > 1.0e-6 || scale_diff.is_nan() || in_zp != out_zp {
                return Err(ctx.unsupported("pooling that rescales (input and output differ)"));
            }
            if activation != Activation::None && !(out_scale > 0.0 && out_scale.is_finite()) {
                return Err(ctx.unsupported("a fused activation on an unscaled output"));
            }
            let (qmin, qmax) = if input.dtype == DType::I8 {
                (-128, 127)
            } else {
                (-32768, 32767)
            };
            let (lo, hi) =
                quant::activation_range_quantized(activation, out_scale, out_zp, qmin, qmax);
            p.act_min = lo;
            p.act_max = hi;
        }
        _ => return Err(ctx.unsupported("pooling on this tensor type")),
    }
    ctx.set_macs((output.elements() as u64).saturating_mul(filter_h as u64 * filter_w as u64));
    ctx.set_params(&p)
}

#[inline(always)]
fn read_int(b: &[u8], i: usize, wide: bool) -> i32 {
    if wide {
        b.get(2 * i..2 * i + 2)
            .map_or(0, |s| i16::from_le_bytes([s[0], s[1]]) as i32)
    } else {
        b.get(i).map_or(0, |&v| v as i8 as i32)
    }
}

#[inline(always)]
fn write_int(b: &mut [u8], i: usize, wide: bool, v: i32) {
    if wide {
        if let Some(o) = b.get_mut(2 * i..2 * i + 2) {
            o.copy_from_slice(&(v as i16).to_le_bytes());
        }
    } else if let Some(o) = b.get_mut(i) {
        *o = v as i8 as u8;
    }
}

#[inline(always)]
fn read_f32(b: &[u8], i: usize) -> f32 {
    b.get(4 * i..4 * i + 4)
        .map_or(0.0, |s| f32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[inline(always)]
fn write_f32(b: &mut [u8], i: usize, v: f32) {
    if let Some(o) = b.get_mut(4 * i..4 * i + 4) {
        o.copy_from_slice(&v.to_le_bytes());
    }
}

/// `acc / count` rounded half away from zero, as TFLM's integer average pool computes it
/// (`count` positive).
#[inline(always)]
fn rounded_average(acc: i32, count: i32) -> i32 {
    if acc > 0 {
        acc.wrapping_add(count / 2) / count
    } else {
        acc.wrapping_sub(count / 2) / count
    }
}

/// std::min(std::max(x, lo), hi) as C++ evaluates it (a NaN passes through).
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
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let input = r.get(input)?;
    let size = match p.kind {
        KIND_F32 => 4,
        KIND_I8 => 1,
        _ => 2,
    };
    let (batches, depth) = (p.batches as usize, p.depth as usize);
    let (in_h, in_w) = (p.in_h as usize, p.in_w as usize);
    let (out_h, out_w) = (p.out_h as usize, p.out_w as usize);
    // Prepare checked the shapes; this makes every index below provably in range (window()
    // never leaves the input).
    if input.len() < batches * in_h * in_w * depth * size
        || out.len() < batches * out_h * out_w * depth * size
    {
        return Err(Error::malformed("pooling buffers"));
    }
    let wide = p.kind == KIND_I16;
    // TFLM's loop order: batch, output row, output column, channel, then the window row by row;
    // the float sum and the float maximum are accumulated in that order.
    for b in 0..batches {
        for oy in 0..out_h {
            let (ys, ye) = window(oy, p.stride_h, p.pad_h, p.filter_h, p.in_h);
            for ox in 0..out_w {
                let (xs, xe) = window(ox, p.stride_w, p.pad_w, p.filter_w, p.in_w);
                for c in 0..depth {
                    let at = |y: usize, x: usize| ((b * in_h + y) * in_w + x) * depth + c;
                    let o = ((b * out_h + oy) * out_w + ox) * depth + c;
                    match (p.kind, p.op) {
                        (KIND_F32, OP_AVERAGE) => {
                            // Float sum and a float element count, then one division.
                            let mut total = 0.0f32;
                            let mut count = 0.0f32;
                            for y in ys..ye {
                                for x in xs..xe {
                                    total += read_f32(input, at(y, x));
                                    count += 1.0;
                                }
                            }
                            write_f32(out, o, clamp_f32(total / count, p.f_min, p.f_max));
                        }
                        (KIND_F32, _) => {
                            // std::max(max, v) keeps `max` unless max < v.
                            let mut max = f32::MIN;
                            for y in ys..ye {
                                for x in xs..xe {
                                    let v = read_f32(input, at(y, x));
                                    if max < v {
                                        max = v;
                                    }
                                }
                            }
                            write_f32(out, o, clamp_f32(max, p.f_min, p.f_max));
                        }
                        (_, OP_AVERAGE) => {
                            // int32 sum, then the quotient rounded half away from zero.
                            let mut acc: i32 = 0;
                            let mut count: i32 = 0;
                            for y in ys..ye {
                                for x in xs..xe {
                                    acc = acc.wrapping_add(read_int(input, at(y, x), wide));
                                    count += 1;
                                }
                            }
                            if count == 0 {
                                return Err(Error::malformed("empty average pool window"));
                            }
                            let avg = rounded_average(acc, count);
                            write_int(out, o, wide, avg.max(p.act_min).min(p.act_max));
                        }
                        _ => {
                            let mut max = if wide { -32768 } else { -128 };
                            for y in ys..ye {
                                for x in xs..xe {
                                    max = max.max(read_int(input, at(y, x), wide));
                                }
                            }
                            write_int(out, o, wide, max.max(p.act_min).min(p.act_max));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_puts_the_odd_element_after() {
        // 5 wide, filter 2, stride 2: SAME gives 3 outputs and padding 0 before (1 after).
        let out = out_size(true, 5, 2, 2).unwrap();
        assert_eq!(out, 3);
        assert_eq!(padding(5, 2, 2, out), 0);
        // 4 wide, filter 3, stride 1: 4 outputs, total padding 2, one before.
        assert_eq!(padding(4, 3, 1, out_size(true, 4, 3, 1).unwrap()), 1);
        // VALID: 5 wide, filter 3, stride 2 -> 2 outputs; a filter wider than input + stride
        // is TFLM's error case.
        assert_eq!(out_size(false, 5, 3, 2), Some(2));
        assert_eq!(out_size(false, 2, 5, 1), None);
    }

    #[test]
    fn windows_are_clipped_to_the_input() {
        // Padding 1, filter 3, stride 1, input 4: first window covers inputs 0..2.
        assert_eq!(window(0, 1, 1, 3, 4), (0, 2));
        assert_eq!(window(1, 1, 1, 3, 4), (0, 3));
        assert_eq!(window(3, 1, 1, 3, 4), (2, 4));
        // Past the input entirely: empty.
        assert_eq!(window(9, 1, 1, 3, 4), (0, 0));
    }

    #[test]
    fn average_rounds_half_away_from_zero() {
        let avg = rounded_average;
        assert_eq!(avg(5, 2), 3);
        assert_eq!(avg(-5, 2), -3);
        assert_eq!(avg(4, 3), 1);
        assert_eq!(avg(-4, 3), -1);
        assert_eq!(avg(7, 4), 2);
    }
}
