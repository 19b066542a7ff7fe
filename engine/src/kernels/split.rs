//! SPLIT and SPLIT_V: cut a tensor into pieces along one axis — TFLM's `split.cc` and
//! `split_v.cc`.
//!
//! The axis must be a constant int32 tensor (TFLM checks that at prepare and reads it at
//! eval). The pieces' sizes come from the output shapes, as in TFLM: SPLIT_V's `size_splits`
//! tensor is never read by TFLM, so it may be non-constant; when it is constant, prepare checks
//! that it agrees with the outputs (one entry may be -1).
//!
//! TFLM interleaves the outputs (for each outer index, a chunk to each output in turn); the
//! engine fills one output at a time, which writes the same bytes, because an op may have more
//! outputs than one [`Eval::split`] hands out.

use bytemuck::{Pod, Zeroable};

use super::{ArrayRef, Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::tensor::{DType, TensorInfo};

/// SPLIT.
pub const SPLIT: Registration = Registration {
    code: 49,
    max_version: 4,
    prepare: prepare_split,
    eval,
    aliases_input: false,
};

/// SPLIT_V.
pub const SPLIT_V: Registration = Registration {
    code: 102,
    max_version: 2,
    prepare: prepare_split_v,
    eval,
    aliases_input: false,
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    /// Bytes per element.
    esize: u32,
    /// Product of the input dimensions before the axis.
    outer: u32,
    /// Product of the input dimensions after the axis.
    inner: u32,
    /// The input's size along the axis.
    axis_dim: u32,
    /// Number of outputs.
    count: u32,
    /// The outputs' tensor ids (one u32 each).
    ids: ArrayRef,
    /// The outputs' sizes along the axis (one i32 each).
    sizes: ArrayRef,
}

/// The bytes of a constant tensor, `None` if the tensor has no data in the model.
fn const_bytes<'m>(ctx: &Prepare<'_, 'm>, t: &TensorInfo<'m>) -> Option<&'m [u8]> {
    let (off, len) = t.data?;
    ctx.model.bytes().get(off..off + len)
}

fn read_i32(b: &[u8], i: usize) -> Option<i32> {
    let s = b.get(4 * i..4 * i + 4)?;
    Some(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The constant axis of input `k`, made non-negative and checked against `rank`.
fn axis(ctx: &Prepare<'_, '_>, k: usize, rank: usize) -> Result<usize> {
    let t = ctx.input(k)?;
    let data = const_bytes(ctx, &t)
        .ok_or(ctx.unsupported("a non-constant split axis (TFLM needs it constant)"))?;
    if t.dtype != DType::I32 {
        return Err(ctx.unsupported("a split axis that is not int32 (TFLM reads it as int32)"));
    }
    let a = read_i32(data, 0).ok_or(ctx.invalid("empty split axis tensor"))?;
    let a = if a < 0 {
        a as i64 + rank as i64
    } else {
        a as i64
    };
    if a < 0 || a >= rank as i64 {
        return Err(ctx.invalid("split axis out of range"));
    }
    Ok(a as usize)
}

/// Checks the outputs against the input (same type, same shape but along `axis`, sizes along
/// `axis` adding up) and stores the parameters. `check` sees each output's index and size
/// along the axis, and fails the op with `what` when it returns false.
fn finish(
    ctx: &mut Prepare<'_, '_>,
    input: &TensorInfo<'_>,
    input_index: usize,
    axis: usize,
    mut check: impl FnMut(usize, i32) -> bool,
    what: &'static str,
) -> Result<()> {
    let esize = match input.dtype {
        DType::F32 | DType::I32 => 4,
        DType::I16 => 2,
        DType::I8 => 1,
        _ => return Err(ctx.unsupported("split types other than float32, int8, int16, int32")),
    };
    let n = ctx.output_count()?;
    if n == 0 {
        return Err(ctx.invalid("split without outputs"));
    }
    let rank = input.shape.rank();
    let mut total = 0i64;
    for i in 0..n {
        let o = ctx.output(i)?;
        if o.dtype != input.dtype {
            return Err(ctx.invalid("split output type differs from its input's"));
        }
        if o.shape.rank() != rank
            || (0..rank).any(|d| d != axis && o.shape.dim(d) != input.shape.dim(d))
        {
            return Err(ctx.invalid("split output shape does not match its input"));
        }
        if !check(i, o.shape.dim(axis)) {
            return Err(ctx.invalid(what));
        }
        total += o.shape.dim(axis) as i64;
    }
    if total != input.shape.dim(axis) as i64 {
        return Err(ctx.invalid("split outputs do not add up to the input"));
    }
    let (model, sg, outputs) = (ctx.model, ctx.subgraph, ctx.op.outputs()?);
    let ids = ctx.push_output_ids()?;
    let sizes = ctx.push_i32s(n, |i| {
        let t = outputs.i32(i)?;
        Ok(model.tensor(sg, t.max(0) as usize)?.shape.dim(axis))
    })?;
    let p = Params {
        input: ctx.input_id(input_index)?,
        esize,
        outer: input.shape.product(0, axis) as u32,
        inner: input.shape.product(axis + 1, rank) as u32,
        axis_dim: input.shape.dim(axis) as u32,
        count: n as u32,
        ids,
        sizes,
    };
    ctx.set_params(&p)
}

fn prepare_split(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let input = ctx.input(1)?;
    let axis = axis(ctx, 0, input.shape.rank())?;
    let n = ctx.output_count()? as i64;
    let first = ctx.output(0)?.shape.dim(axis);
    let whole = input.shape.dim(axis) as i64;
    // TFLM sizes every piece by output 0, so all must be that size.
    finish(
        ctx,
        &input,
        1,
        axis,
        |_, d| d == first && d as i64 * n == whole,
        "SPLIT outputs are not equal pieces of the input",
    )
}

fn prepare_split_v(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 3 {
        return Err(ctx.invalid("SPLIT_V takes 3 inputs"));
    }
    let input = ctx.input(0)?;
    let axis = axis(ctx, 2, input.shape.rank())?;
    let splits = ctx.input(1)?;
    let n = ctx.output_count()?;
    let data = const_bytes(ctx, &splits);
    if data.is_some()
        && (!matches!(splits.dtype, DType::I32 | DType::I64) || splits.elements() != n)
    {
        return Err(ctx.invalid("SPLIT_V size_splits does not list one size per output"));
    }
    let mut unknown = false;
    finish(
        ctx,
        &input,
        0,
        axis,
        |i, d| {
            let Some(b) = data else { return true };
            let v = if splits.dtype == DType::I64 {
                b.get(8 * i..8 * i + 8).map(|s| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(s);
                    i64::from_le_bytes(a)
                })
            } else {
                read_i32(b, i).map(i64::from)
            };
            match v {
                // One size may be left for the op to infer (the outputs still fix it).
                Some(-1) if !unknown => {
                    unknown = true;
                    true
                }
                Some(v) => v == d as i64,
                None => false,
            }
        },
        "SPLIT_V size_splits disagrees with the outputs",
    )
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let input = ctx.loc(p.input)?;
    let (es, inner) = (p.esize as usize, p.inner as usize);
    let row = (p.axis_dim as usize)
        .saturating_mul(inner)
        .saturating_mul(es);
    let mut prefix = 0usize;
    for i in 0..p.count as usize {
        let (id, size) = {
            let (r, []) = ctx.split([])?;
            let ids = r.get(p.ids.loc())?;
            let sizes = r.get(p.sizes.loc())?;
            match (read_i32(ids, i), read_i32(sizes, i)) {
                (Some(id), Some(size)) => (TensorId(id as u32), size.max(0) as usize),
                _ => return Err(Error::malformed("split outputs")),
            }
        };
        let loc = ctx.loc(id)?;
        let (r, [out]) = ctx.split([loc])?;
        let chunk = size.saturating_mul(inner).saturating_mul(es);
        let at = prefix.saturating_mul(inner).saturating_mul(es);
        piece(r.get(input)?, out, p.outer as usize, row, at, chunk)?;
        prefix += size;
    }
    Ok(())
}

/// Fills one output: for each of the `outer` rows of the input (`row` bytes each), the
/// `chunk` bytes starting `at` bytes into the row, as TFLM's copy loop gives that output.
fn piece(
    src: &[u8],
    out: &mut [u8],
    outer: usize,
    row: usize,
    at: usize,
    chunk: usize,
) -> Result<()> {
    if outer.checked_mul(chunk) != Some(out.len())
        || outer.checked_mul(row) != Some(src.len())
        || at.checked_add(chunk).is_none_or(|end| end > row)
    {
        return Err(Error::malformed("split buffers"));
    }
    for k in 0..outer {
        let from = src.get(k * row + at..k * row + at + chunk);
        let to = out.get_mut(k * chunk..(k + 1) * chunk);
        if let (Some(from), Some(to)) = (from, to) {
            to.copy_from_slice(from);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::piece;

    #[test]
    fn pieces_of_rows() {
        // A 2x5 tensor split along axis 1 into 2 and 3 columns.
        let src: [u8; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        let (mut a, mut b) = ([0u8; 4], [0u8; 6]);
        piece(&src, &mut a, 2, 5, 0, 2).unwrap();
        piece(&src, &mut b, 2, 5, 2, 3).unwrap();
        assert_eq!(a, [0, 1, 5, 6]);
        assert_eq!(b, [2, 3, 4, 7, 8, 9]);
    }

    #[test]
    fn rejects_a_piece_past_the_row() {
        assert!(piece(&[0u8; 10], &mut [0u8; 4], 2, 5, 4, 2).is_err());
    }
}
