//! PAD and PADV2: surround a tensor (up to 5-D) with a constant — TFLM's `pad.cc`,
//! `pad_common.cc` and `reference_ops::PadImpl`.
//!
//! The paddings must be a constant int32 tensor (TFLM reads them once, in prepare, as int32
//! whatever the tensor's type, so an int64 paddings tensor is rejected rather than misread).
//! The pad value is PADV2's third input, read at every invoke as TFLM does; without it, it is
//! the output zero point for int8 and zero for every other type (int16 included, as in TFLM).

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::tensor::{DType, TensorInfo};

/// PAD.
pub const PAD: Registration = Registration {
    code: 34,
    max_version: 4,
    prepare,
    eval,
    aliases_input: false,
};

/// PADV2 (TFLM registers the same kernel for both).
pub const PADV2: Registration = Registration {
    code: 60,
    max_version: 4,
    prepare,
    eval,
    aliases_input: false,
};

/// TFLM's `PadKernelMaxDimensionCount()`: shapes are front-extended to this rank.
const MAX_DIMS: usize = 5;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    /// PADV2's pad value, or [`TensorId::NONE`].
    value: TensorId,
    /// Bytes per element (1, 2 or 4).
    esize: u32,
    /// The pad value's bytes (little-endian) when there is no value tensor.
    default_value: u32,
    /// Output shape, front-extended to 5-D with ones.
    out_dims: [i32; MAX_DIMS],
    /// Left paddings, front-extended with zeros.
    left: [i32; MAX_DIMS],
    /// Right paddings, front-extended with zeros.
    right: [i32; MAX_DIMS],
}

/// The bytes of a constant tensor, `None` if the tensor has no data in the model.
fn const_bytes<'m>(ctx: &Prepare<'_, 'm>, t: &TensorInfo<'m>) -> Option<&'m [u8]> {
    let (off, len) = t.data?;
    ctx.model.bytes().get(off..off + len)
}

fn i32_at(b: &[u8], i: usize) -> Option<i32> {
    let s = b.get(4 * i..4 * i + 4)?;
    Some(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let inputs = ctx.input_count()?;
    if !(inputs == 2 || inputs == 3) || ctx.output_count()? != 1 {
        return Err(ctx.invalid("PAD takes 2 or 3 inputs and 1 output"));
    }
    let input = ctx.input(0)?;
    let paddings = ctx.input(1)?;
    let value = ctx.opt_input(2)?;
    let output = ctx.output(0)?;
    if input.dtype != output.dtype {
        return Err(ctx.invalid("PAD input and output types differ"));
    }
    let esize = match input.dtype {
        DType::F32 | DType::I32 => 4,
        DType::I16 => 2,
        DType::I8 => 1,
        _ => return Err(ctx.unsupported("PAD types other than float32, int8, int16, int32")),
    };
    let rank = input.shape.rank();
    if rank > MAX_DIMS {
        return Err(ctx.unsupported("PAD of more than 5 dimensions"));
    }
    if output.shape.rank() != rank {
        return Err(ctx.invalid("PAD output rank differs from its input's"));
    }
    if let Some(v) = &value {
        if v.dtype != input.dtype {
            return Err(ctx.invalid("PADV2 pad value type differs from the input's"));
        }
        if v.elements() != 1 {
            return Err(ctx.invalid("PADV2 pad value is not a scalar"));
        }
    }
    if paddings.elements() != 2 * rank {
        return Err(ctx.invalid("PAD paddings do not hold a pair per dimension"));
    }
    let pads = const_bytes(ctx, &paddings)
        .ok_or(ctx.unsupported("a non-constant PAD paddings tensor (TFLM needs it at prepare)"))?;
    if paddings.dtype != DType::I32 {
        return Err(ctx.unsupported("PAD paddings that are not int32 (TFLM reads them as int32)"));
    }

    let mut p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        value: if value.is_some() {
            ctx.input_id(2)?
        } else {
            TensorId::NONE
        },
        esize,
        default_value: 0,
        out_dims: [1; MAX_DIMS],
        left: [0; MAX_DIMS],
        right: [0; MAX_DIMS],
    };
    // TFLM checks each output dimension against input + left + right, then front-pads the
    // paddings to 5-D. Summed in i64 here so that hostile paddings cannot overflow.
    let ext = MAX_DIMS - rank;
    for i in 0..rank {
        let (l, r) = (
            i32_at(pads, 2 * i).unwrap_or(0),
            i32_at(pads, 2 * i + 1).unwrap_or(0),
        );
        let expected = input.shape.dim(i) as i64 + l as i64 + r as i64;
        if expected != output.shape.dim(i) as i64 {
            return Err(ctx.invalid("PAD output shape is not input + paddings"));
        }
        p.out_dims[ext + i] = output.shape.dim(i);
        p.left[ext + i] = l;
        p.right[ext + i] = r;
    }

    if input.dtype == DType::I8 {
        let (oscale, ozp) = output.scale_zp();
        match &value {
            None => {
                // The pad value stands for real zero, so the zero point must be an int8.
                if !(-128..=127).contains(&ozp) {
                    return Err(ctx.invalid("PAD output zero point outside int8"));
                }
                p.default_value = ozp as i8 as u8 as u32;
            }
            Some(v) => {
                let (vscale, vzp) = v.scale_zp();
                if vzp != ozp || vscale != oscale {
                    return Err(
                        ctx.invalid("PADV2 int8 pad value quantized differently from the output")
                    );
                }
            }
        }
    }
    ctx.set_params(&p)
}

/// `true` when position `i` of a dimension of size `n` lies in the padding: TFLM's
/// `out < left || out >= n - right` (in i64: no overflow whatever the paddings).
#[inline(always)]
fn padded(i: usize, n: i32, left: i32, right: i32) -> bool {
    let i = i as i64;
    i < left as i64 || i >= n as i64 - right as i64
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, value, output) = (ctx.loc(p.input)?, ctx.loc(p.value)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let (input, value) = (r.get(input)?, r.get(value)?);
    let es = p.esize as usize;
    let default = p.default_value.to_le_bytes();
    let pad = if value.is_empty() {
        default.get(..es)
    } else {
        value.get(..es)
    }
    .ok_or(Error::malformed("PAD value"))?;
    pad_into(&p, input, pad, out)
}

/// TFLM's `PadImpl` loop: walk the output in order; a position in any dimension's padding
/// takes the pad value, every other position takes the next input element in order.
fn pad_into(p: &Params, input: &[u8], pad: &[u8], out: &mut [u8]) -> Result<()> {
    let es = p.esize as usize;
    let d = p.out_dims.map(|v| v.max(0) as usize);
    if out.len() != d.iter().product::<usize>() * es || pad.len() != es {
        return Err(Error::malformed("PAD buffers"));
    }
    let (l, rt, n) = (p.left, p.right, p.out_dims);
    let mut src = 0usize;
    let mut dst = 0usize;
    for i0 in 0..d[0] {
        let p0 = padded(i0, n[0], l[0], rt[0]);
        for i1 in 0..d[1] {
            let p1 = p0 || padded(i1, n[1], l[1], rt[1]);
            for i2 in 0..d[2] {
                let p2 = p1 || padded(i2, n[2], l[2], rt[2]);
                for i3 in 0..d[3] {
                    let p3 = p2 || padded(i3, n[3], l[3], rt[3]);
                    for i4 in 0..d[4] {
                        let o = out
                            .get_mut(dst..dst + es)
                            .ok_or(Error::malformed("PAD output"))?;
                        if p3 || padded(i4, n[4], l[4], rt[4]) {
                            o.copy_from_slice(pad);
                        } else {
                            let x = input
                                .get(src..src + es)
                                .ok_or(Error::malformed("PAD input"))?;
                            o.copy_from_slice(x);
                            src += es;
                        }
                        dst += es;
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

    fn params(esize: u32, out: [i32; 5], left: [i32; 5], right: [i32; 5]) -> Params {
        Params {
            input: TensorId::NONE,
            output: TensorId::NONE,
            value: TensorId::NONE,
            esize,
            default_value: 0,
            out_dims: out,
            left,
            right,
        }
    }

    #[test]
    fn pads_a_2x2_int8_with_a_row_above_and_two_columns_right() {
        // [[1,2],[3,4]] with paddings [[1,0],[0,2]] and pad 9:
        // [[9,9,9,9],[1,2,9,9],[3,4,9,9]].
        let p = params(1, [1, 1, 1, 3, 4], [0, 0, 0, 1, 0], [0, 0, 0, 0, 2]);
        let mut out = [0u8; 12];
        pad_into(&p, &[1, 2, 3, 4], &[9], &mut out).unwrap();
        assert_eq!(out, [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9]);
    }

    #[test]
    fn pads_int16_elements_whole() {
        // [0x0102] padded by one on each side with 0xFFFF.
        let p = params(2, [1, 1, 1, 1, 3], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1]);
        let mut out = [0u8; 6];
        pad_into(&p, &[2, 1], &[0xff, 0xff], &mut out).unwrap();
        assert_eq!(out, [0xff, 0xff, 2, 1, 0xff, 0xff]);
    }

    #[test]
    fn rejects_a_short_output() {
        let p = params(1, [1, 1, 1, 1, 3], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1]);
        assert!(pad_into(&p, &[5], &[0], &mut [0u8; 2]).is_err());
    }

    #[test]
    fn padding_bounds_follow_tflm() {
        // A dimension of 5 with one on the left and two on the right: 0 | 1 2 | 3 4.
        let marks: [bool; 5] = core::array::from_fn(|i| padded(i, 5, 1, 2));
        assert_eq!(marks, [true, false, false, true, true]);
        // Negative paddings mark nothing (TFLM then copies the input in order).
        assert!(!(0..3).any(|i| padded(i, 3, -1, 0)));
    }
}
