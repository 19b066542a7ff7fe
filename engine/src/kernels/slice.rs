//! STRIDED_SLICE and SLICE: copy a (strided) box out of a tensor — TFLM's `strided_slice.cc`,
//! `strided_slice_common.cc`, `slice.cc`, `reference_ops::StridedSlice`/`Slice` and
//! `strided_slice_logic.h`.
//!
//! Both ops reduce, at prepare, to the same plan: per axis of the input front-extended to 5-D,
//! a first index, a step and a number of steps. Eval walks that box in row-major order and
//! copies each element (or each innermost run when the step is 1), as TFLM's writer does.
//!
//! STRIDED_SLICE follows TFLM exactly: prepare checks the output shape with TFLM's
//! `StartForAxis`/`StopForAxis` and float `ceil`, eval indexes with TFLM's
//! `StridedSliceStartForAxis`/`StridedSliceEndForAxis` on indices padded to 5-D. Where the two
//! disagree (a shrunk axis walked backwards, a shrunk index past the end) TFLM would leave part
//! of the output unwritten; prepare rejects those instead. TFLM's micro kernel ignores
//! `ellipsis_mask`, `new_axis_mask` and `offset` (it zeroes them), which would give results
//! other than the op's, so prepare rejects models that set them (they are op versions 6 and 8
//! anyway, past `max_version`).

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::tensor::{DType, TensorInfo};

/// STRIDED_SLICE. Version 4 is 5-D input, which TFLM's micro kernel refuses.
pub const STRIDED_SLICE: Registration = Registration {
    code: 45,
    max_version: 3,
    prepare: prepare_strided,
    eval,
    aliases_input: false,
};

/// SLICE.
pub const SLICE: Registration = Registration {
    code: 65,
    max_version: 5,
    prepare: prepare_slice,
    eval,
    aliases_input: false,
};

/// Rank both reference kernels extend shapes to.
const DIMS: usize = 5;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    /// Bytes per element.
    esize: u32,
    /// Input shape, front-extended to 5-D with ones.
    in_dims: [u32; DIMS],
    /// First index along each axis.
    start: [i32; DIMS],
    /// Step along each axis (never 0).
    stride: [i32; DIMS],
    /// Number of steps along each axis.
    count: [u32; DIMS],
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

/// Element `i` of an int32 or int64 index tensor, narrowed to i32 as C++'s implicit
/// conversion does.
fn index_at(b: &[u8], dtype: DType, i: usize) -> Option<i32> {
    if dtype == DType::I64 {
        let s = b.get(8 * i..8 * i + 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Some(i64::from_le_bytes(a) as i32)
    } else {
        i32_at(b, i)
    }
}

/// Element size for the types both kernels copy (float32, int8, int16, int32, bool).
fn element_size(t: DType) -> Option<u32> {
    match t {
        DType::F32 | DType::I32 => Some(4),
        DType::I16 => Some(2),
        DType::I8 | DType::Bool => Some(1),
        _ => None,
    }
}

/// Number of iterations of TFLM's `for (i = start; stride > 0 ? i < stop : i > stop;
/// i += stride)`.
fn steps(start: i32, stop: i32, stride: i32) -> u32 {
    let (start, stop, stride) = (start as i64, stop as i64, stride as i64);
    let n = if stride > 0 && start < stop {
        (stop - start + stride - 1) / stride
    } else if stride < 0 && start > stop {
        (start - stop - stride - 1) / -stride
    } else {
        0
    };
    n as u32
}

/// `strided_slice::Clamp`: `hi` wins over `lo` when they cross, as in TFLM.
fn clamp(v: i32, lo: i32, hi: i32) -> i32 {
    if hi < v {
        hi
    } else if v < lo {
        lo
    } else {
        v
    }
}

/// The raw STRIDED_SLICE indices: per input axis, begin, end and stride; plus the masks.
struct SliceSpec {
    dims: usize,
    begin: [i32; DIMS],
    end: [i32; DIMS],
    stride: [i32; DIMS],
    begin_mask: u32,
    end_mask: u32,
    shrink_mask: u32,
}

impl SliceSpec {
    fn bit(mask: u32, axis: usize) -> bool {
        axis < 32 && mask & (1 << axis) != 0
    }

    /// TFLM's prepare-time `StartForAxis` (unpadded indices, masks forcing the extremes).
    fn start_for_axis(&self, shape: &[i32], axis: usize) -> i32 {
        let size = shape.get(axis).copied().unwrap_or(1);
        if size == 0 {
            return 0;
        }
        let stride = self.stride[axis];
        let mut start = self.begin[axis];
        if Self::bit(self.begin_mask, axis) {
            start = if stride > 0 { i32::MIN } else { i32::MAX };
        }
        if start < 0 {
            start = start.wrapping_add(size);
        }
        if stride > 0 {
            clamp(start, 0, size)
        } else {
            clamp(start, -1, size - 1)
        }
    }

    /// TFLM's prepare-time `StopForAxis`.
    fn stop_for_axis(&self, shape: &[i32], axis: usize, start: i32) -> i32 {
        let size = shape.get(axis).copied().unwrap_or(1);
        if size == 0 {
            return 0;
        }
        if Self::bit(self.shrink_mask, axis) {
            return start.wrapping_add(1);
        }
        let stride = self.stride[axis];
        let mut stop = self.end[axis];
        if Self::bit(self.end_mask, axis) {
            stop = if stride > 0 { i32::MAX } else { i32::MIN };
        }
        if stop < 0 {
            stop = stop.wrapping_add(size);
        }
        if stride > 0 {
            clamp(stop, 0, size)
        } else {
            clamp(stop, -1, size - 1)
        }
    }

    /// TFLM's `CheckOutputSize`: the output shape the prepare-time logic expects, its
    /// length, or `None` for a zero stride.
    fn output_shape(&self, shape: &[i32]) -> Option<([i32; DIMS], usize)> {
        let mut out = [0i32; DIMS];
        let mut n = 0;
        for axis in 0..self.dims {
            let stride = self.stride[axis];
            if stride == 0 {
                return None;
            }
            let begin = self.start_for_axis(shape, axis);
            let mut end = self.stop_for_axis(shape, axis, begin);
            let shrink = Self::bit(self.shrink_mask, axis);
            if shrink {
                end = begin.wrapping_add(1);
            }
            // In float, as TFLM: ceil((end - begin) / float(stride)), negatives to 0.
            let len = libm::ceilf(end.wrapping_sub(begin) as f32 / stride as f32) as i32;
            if !shrink {
                if let Some(o) = out.get_mut(n) {
                    *o = len.max(0);
                }
                n += 1;
            }
        }
        Some((out, n))
    }

    /// The eval-time plan: TFLM's `StridedSlicePadIndices` to 5-D, then
    /// `StridedSliceStartForAxis`/`StridedSliceEndForAxis` per axis.
    fn plan(&self, shape: &[i32]) -> ([u32; DIMS], [i32; DIMS], [i32; DIMS], [u32; DIMS]) {
        let pad = DIMS - self.dims;
        let mut dims = [1u32; DIMS];
        let mut start = [0i32; DIMS];
        let mut stride = [1i32; DIMS];
        let mut count = [1u32; DIMS];
        for a in pad..DIMS {
            let axis = a - pad;
            let size = shape.get(axis).copied().unwrap_or(1);
            dims[a] = size as u32;
            let st = self.stride[axis];
            let mut s = self.begin[axis];
            if s < 0 {
                s = s.wrapping_add(size);
            }
            s = if st > 0 {
                clamp(s, 0, size)
            } else {
                clamp(s, -1, size - 1)
            };
            if Self::bit(self.begin_mask, axis) {
                s = if st > 0 { 0 } else { size - 1 };
            }
            let e = if Self::bit(self.shrink_mask, axis) {
                if s >= size {
                    s
                } else {
                    s + 1
                }
            } else {
                let mut e = self.end[axis];
                if e < 0 {
                    e = e.wrapping_add(size);
                }
                e = if st > 0 {
                    clamp(e, 0, size)
                } else {
                    clamp(e, -1, size - 1)
                };
                if Self::bit(self.end_mask, axis) {
                    e = if st > 0 { size } else { -1 };
                }
                e
            };
            start[a] = s;
            stride[a] = st;
            count[a] = steps(s, e, st);
        }
        (dims, start, stride, count)
    }
}

fn prepare_strided(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 4 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("STRIDED_SLICE takes 4 inputs and 1 output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    let esize = element_size(input.dtype).ok_or(
        ctx.unsupported("STRIDED_SLICE types other than float32, int8, int16, int32, bool"),
    )?;
    if output.dtype != input.dtype {
        return Err(ctx.invalid("STRIDED_SLICE output type differs from its input's"));
    }
    let dims = input.shape.rank();
    if dims > 4 {
        return Err(ctx.unsupported("STRIDED_SLICE of more than 4 dimensions (TFLM's limit)"));
    }
    let mut spec = SliceSpec {
        dims,
        begin: [0; DIMS],
        end: [0; DIMS],
        stride: [0; DIMS],
        begin_mask: 0,
        end_mask: 0,
        shrink_mask: 0,
    };
    if let Some(o) = ctx.options()? {
        spec.begin_mask = o.i32(0, 0)? as u32;
        spec.end_mask = o.i32(1, 0)? as u32;
        if o.i32(2, 0)? != 0 || o.i32(3, 0)? != 0 {
            return Err(
                ctx.unsupported("STRIDED_SLICE ellipsis_mask or new_axis_mask (TFLM ignores them)")
            );
        }
        spec.shrink_mask = o.i32(4, 0)? as u32;
        if o.bool(5, false)? {
            return Err(ctx.unsupported("STRIDED_SLICE offset (TFLM ignores it)"));
        }
    }
    for (k, missing) in [
        (
            1,
            "a non-constant STRIDED_SLICE begin tensor (TFLM needs it at prepare)",
        ),
        (
            2,
            "a non-constant STRIDED_SLICE end tensor (TFLM needs it at prepare)",
        ),
        (
            3,
            "a non-constant STRIDED_SLICE strides tensor (TFLM needs it at prepare)",
        ),
    ] {
        let t = ctx.input(k)?;
        let data = const_bytes(ctx, &t).ok_or(ctx.unsupported(missing))?;
        if t.dtype != DType::I32 {
            return Err(ctx.unsupported(
                "STRIDED_SLICE indices that are not int32 (TFLM reads them as int32)",
            ));
        }
        if t.elements() < dims {
            return Err(ctx.invalid("STRIDED_SLICE indices shorter than the input's rank"));
        }
        let dst = match k {
            1 => &mut spec.begin,
            2 => &mut spec.end,
            _ => &mut spec.stride,
        };
        for (i, d) in dst.iter_mut().enumerate().take(dims) {
            *d = i32_at(data, i).unwrap_or(0);
        }
    }
    let shape = input.shape.dims();
    let (want, n) = spec
        .output_shape(shape)
        .ok_or(ctx.invalid("STRIDED_SLICE stride of zero"))?;
    if n != output.shape.rank() || want.get(..n) != Some(output.shape.dims()) {
        return Err(ctx.invalid("STRIDED_SLICE output shape does not match the slice"));
    }
    let (in_dims, start, stride, count) = spec.plan(shape);
    let writes = count.iter().fold(1u64, |a, &c| a.saturating_mul(c as u64));
    if writes != output.elements() as u64 {
        return Err(
            ctx.unsupported("a STRIDED_SLICE whose TFLM evaluation would not fill its output")
        );
    }
    let p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        esize,
        in_dims,
        start,
        stride,
        count,
    };
    ctx.set_params(&p)
}

fn prepare_slice(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 3 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SLICE takes 3 inputs and 1 output"));
    }
    let input = ctx.input(0)?;
    let begin = ctx.input(1)?;
    let size = ctx.input(2)?;
    let output = ctx.output(0)?;
    let esize = element_size(input.dtype)
        .ok_or(ctx.unsupported("SLICE types other than float32, int8, int16, int32, bool"))?;
    if output.dtype != input.dtype {
        return Err(ctx.invalid("SLICE output type differs from its input's"));
    }
    let rank = input.shape.rank();
    if rank > DIMS {
        return Err(ctx.unsupported("SLICE of more than 5 dimensions"));
    }
    if begin.dtype != size.dtype || !matches!(begin.dtype, DType::I32 | DType::I64) {
        return Err(ctx.unsupported("SLICE begin and size that are not both int32 or int64"));
    }
    if begin.shape.rank() != 1 || size.shape.rank() != 1 || begin.elements() != size.elements() {
        return Err(ctx.invalid("SLICE begin and size are not matching vectors"));
    }
    if begin.elements() < rank {
        return Err(ctx.invalid("SLICE begin shorter than the input's rank"));
    }
    // TFLM reads begin and size at every invoke; the engine needs them at prepare to check
    // that the box stays inside the input.
    let (Some(b), Some(s)) = (const_bytes(ctx, &begin), const_bytes(ctx, &size)) else {
        return Err(ctx.unsupported("a non-constant SLICE begin or size"));
    };
    let pad = DIMS - rank;
    let mut p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        esize,
        in_dims: [1; DIMS],
        start: [0; DIMS],
        stride: [1; DIMS],
        count: [1; DIMS],
    };
    let mut writes = 1u64;
    for i in 0..rank {
        let dim = input.shape.dim(i);
        let start = index_at(b, begin.dtype, i).unwrap_or(0);
        let len = index_at(s, size.dtype, i).unwrap_or(0);
        // TFLM: stop = size == -1 ? dim : start + size; loop start..stop.
        let stop = if len == -1 {
            dim as i64
        } else {
            start as i64 + len as i64
        };
        let count = (stop - start as i64).max(0);
        if count > 0 && (start < 0 || stop > dim as i64) {
            return Err(ctx.invalid("SLICE box leaves the input"));
        }
        p.in_dims[pad + i] = dim as u32;
        p.start[pad + i] = start;
        p.count[pad + i] = count as u32;
        writes = writes.saturating_mul(count as u64);
    }
    if writes != output.elements() as u64 {
        return Err(ctx.invalid("SLICE output size does not match the box"));
    }
    ctx.set_params(&p)
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    gather(&p, r.get(input)?, out)
}

/// Copies the box `p` describes out of `input` into `out`, in row-major order. The element
/// index is TFLM's `((((i0 * d1 + i1) * d2 + i2) * d3 + i3) * d4 + i4)`; a unit innermost
/// step copies each innermost run at once, as TFLM's `WriteN` does.
fn gather(p: &Params, input: &[u8], out: &mut [u8]) -> Result<()> {
    let es = p.esize as usize;
    let d = p.in_dims.map(|v| v as i64);
    let c = p.count.map(|v| v as usize);
    let total = c.iter().try_fold(es, |a, &n| a.checked_mul(n));
    if total != Some(out.len()) {
        return Err(Error::malformed("slice buffers"));
    }
    if out.is_empty() {
        // Some axis takes no step: TFLM writes nothing (and skips empty runs).
        return Ok(());
    }
    let at = |axis: usize, j: usize| p.start[axis] as i64 + j as i64 * p.stride[axis] as i64;
    let mut dst = 0usize;
    for j0 in 0..c[0] {
        let o0 = at(0, j0);
        for j1 in 0..c[1] {
            let o1 = o0 * d[1] + at(1, j1);
            for j2 in 0..c[2] {
                let o2 = o1 * d[2] + at(2, j2);
                for j3 in 0..c[3] {
                    let o3 = o2 * d[3] + at(3, j3);
                    if p.stride[4] == 1 {
                        let from = usize::try_from((o3 * d[4] + at(4, 0)) * es as i64)
                            .map_err(|_| Error::malformed("slice index"))?;
                        let len = c[4] * es;
                        let src = input.get(from..from + len);
                        let to = out.get_mut(dst..dst + len);
                        match (src, to) {
                            (Some(src), Some(to)) => to.copy_from_slice(src),
                            _ => return Err(Error::malformed("slice index")),
                        }
                        dst += len;
                    } else {
                        for j4 in 0..c[4] {
                            let from = usize::try_from((o3 * d[4] + at(4, j4)) * es as i64)
                                .map_err(|_| Error::malformed("slice index"))?;
                            let src = input.get(from..from + es);
                            let to = out.get_mut(dst..dst + es);
                            match (src, to) {
                                (Some(src), Some(to)) => to.copy_from_slice(src),
                                _ => return Err(Error::malformed("slice index")),
                            }
                            dst += es;
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

    fn spec(begin: &[i32], end: &[i32], stride: &[i32], masks: (u32, u32, u32)) -> SliceSpec {
        let mut s = SliceSpec {
            dims: begin.len(),
            begin: [0; DIMS],
            end: [0; DIMS],
            stride: [0; DIMS],
            begin_mask: masks.0,
            end_mask: masks.1,
            shrink_mask: masks.2,
        };
        s.begin[..begin.len()].copy_from_slice(begin);
        s.end[..end.len()].copy_from_slice(end);
        s.stride[..stride.len()].copy_from_slice(stride);
        s
    }

    fn run(s: &SliceSpec, shape: &[i32], input: &[u8]) -> Vec<u8> {
        let (in_dims, start, stride, count) = s.plan(shape);
        let p = Params {
            input: TensorId::NONE,
            output: TensorId::NONE,
            esize: 1,
            in_dims,
            start,
            stride,
            count,
        };
        let n = count.iter().product::<u32>() as usize;
        let mut out = vec![0u8; n];
        gather(&p, input, &mut out).unwrap();
        out
    }

    #[test]
    fn ring_buffer_slice_keeps_the_last_rows() {
        // microWakeWord: input [1,5,1,2], begin [0,-2,0,0], end [0,0,0,2], begin_mask 0b1101,
        // end_mask 0b1111: the last two of five rows.
        let s = spec(&[0, -2, 0, 0], &[0, 0, 0, 2], &[1, 1, 1, 1], (13, 15, 0));
        let shape = [1, 5, 1, 2];
        let (want, n) = s.output_shape(&shape).unwrap();
        assert_eq!(&want[..n], &[1, 2, 1, 2]);
        let input: Vec<u8> = (0..10).collect();
        assert_eq!(run(&s, &shape, &input), [6, 7, 8, 9]);
    }

    #[test]
    fn negative_stride_walks_backwards() {
        // x[3:0:-2] of [0..6] -> [3, 1]; x[::-1] -> reversed.
        let input: Vec<u8> = (0..6).collect();
        let s = spec(&[3], &[0], &[-2], (0, 0, 0));
        let (want, n) = s.output_shape(&[6]).unwrap();
        assert_eq!(&want[..n], &[2]);
        assert_eq!(run(&s, &[6], &input), [3, 1]);
        let s = spec(&[0], &[0], &[-1], (1, 1, 0));
        assert_eq!(run(&s, &[6], &input), [5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn shrink_axis_drops_the_dimension() {
        // x[1, ::2] of a 3x4 tensor -> [4, 6].
        let input: Vec<u8> = (0..12).collect();
        let s = spec(&[1, 0], &[2, 4], &[1, 2], (0, 0, 1));
        let (want, n) = s.output_shape(&[3, 4]).unwrap();
        assert_eq!(&want[..n], &[2]);
        assert_eq!(run(&s, &[3, 4], &input), [4, 6]);
    }

    #[test]
    fn shrink_with_negative_stride_writes_nothing_in_tflm() {
        // TFLM's eval walks zero steps here while prepare expects one element: the engine
        // must see that and refuse (prepare compares the step count with the output size).
        let s = spec(&[1], &[2], &[-1], (0, 0, 1));
        let (_, _, _, count) = s.plan(&[3]);
        assert_eq!(count.iter().product::<u32>(), 0);
    }

    #[test]
    fn ceil_division_of_steps() {
        assert_eq!(steps(0, 7, 3), 3);
        assert_eq!(steps(6, -1, -4), 2);
        assert_eq!(steps(2, 2, 1), 0);
        assert_eq!(steps(0, 5, -1), 0);
        assert_eq!(steps(i32::MAX - 1, i32::MAX, i32::MAX), 1);
    }
}
