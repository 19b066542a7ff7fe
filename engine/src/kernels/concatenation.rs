//! CONCATENATION: joins up to 10 tensors along one axis — TFLM's `concatenation.cc` and
//! `reference_ops::Concatenation`.
//!
//! TFLM copies bytes and never requantizes: int8 inputs must share the output's scale and zero
//! point (prepare rejects them otherwise, as TFLM does), int16 ones must have zero point 0, and
//! the fused activation must be NONE.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::arena::Loc;
use crate::error::{Error, Result};
use crate::tensor::DType;

/// CONCATENATION.
pub const CONCATENATION: Registration = Registration {
    code: 2,
    max_version: 3,
    prepare,
    eval,
    aliases_input: false,
};

/// TFLM's `kMaxInputNum`.
const MAX_INPUTS: usize = 10;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    output: TensorId,
    /// Number of inputs.
    count: u32,
    /// Bytes per element.
    esize: u32,
    /// Product of the output dimensions before the axis.
    outer: u32,
    /// Product of the output dimensions after the axis.
    inner: u32,
    inputs: [TensorId; MAX_INPUTS],
    /// Each input's size along the axis.
    axis_dims: [u32; MAX_INPUTS],
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (axis, activation) = match ctx.options()? {
        Some(o) => (o.i32(0, 0)?, o.u8(1, 0)?),
        None => (0, 0),
    };
    if activation != 0 {
        return Err(ctx.unsupported("a fused activation on CONCATENATION (TFLM needs NONE)"));
    }
    let count = ctx.input_count()?;
    if count == 0 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("CONCATENATION needs inputs and one output"));
    }
    if count > MAX_INPUTS {
        return Err(ctx.unsupported("CONCATENATION of more than 10 inputs (TFLM's limit)"));
    }
    let output = ctx.output(0)?;
    let dtype = ctx.input(0)?.dtype;
    if !matches!(
        dtype,
        DType::F32 | DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::Bool
    ) {
        return Err(ctx.unsupported(
            "CONCATENATION types other than float32, int8, int16, int32, int64, bool",
        ));
    }
    if output.dtype != dtype {
        return Err(ctx.invalid("CONCATENATION output type differs from its inputs'"));
    }
    let rank = output.shape.rank();
    // TFLM's CalculatePositiveAxis: a negative axis counts from the output's rank.
    let axis = if axis < 0 { axis + rank as i32 } else { axis };
    if axis < 0 || axis as usize >= rank {
        return Err(ctx.invalid("CONCATENATION axis out of range"));
    }
    let axis = axis as usize;
    let (oscale, ozp) = output.scale_zp();
    if dtype == DType::I16 && ozp != 0 {
        return Err(ctx.invalid("int16 CONCATENATION output zero point is not 0"));
    }
    let mut p = Params {
        output: ctx.output_id(0)?,
        count: count as u32,
        esize: dtype.size() as u32,
        outer: output.shape.product(0, axis) as u32,
        inner: output.shape.product(axis + 1, rank) as u32,
        inputs: [TensorId::NONE; MAX_INPUTS],
        axis_dims: [0; MAX_INPUTS],
    };
    let mut axis_total = 0i64;
    for i in 0..count {
        let t = ctx.input(i)?;
        if t.dtype != dtype {
            return Err(ctx.invalid("CONCATENATION inputs of different types"));
        }
        let (scale, zp) = t.scale_zp();
        match dtype {
            // TFLM introduced no rescaling for int8: the quantization must match exactly.
            DType::I8 if scale != oscale || zp != ozp => {
                return Err(ctx.unsupported(
                    "int8 CONCATENATION inputs quantized differently from the output",
                ))
            }
            DType::I16 if zp != 0 => {
                return Err(ctx.invalid("int16 CONCATENATION input zero point is not 0"))
            }
            _ => {}
        }
        // TFLM only debug-checks the shapes; a release build would copy out of bounds.
        if t.shape.rank() != rank
            || (0..rank).any(|d| d != axis && t.shape.dim(d) != output.shape.dim(d))
        {
            return Err(ctx.invalid("CONCATENATION input shape does not match the output"));
        }
        axis_total += t.shape.dim(axis) as i64;
        p.inputs[i] = ctx.input_id(i)?;
        p.axis_dims[i] = t.shape.dim(axis) as u32;
    }
    if axis_total != output.shape.dim(axis) as i64 {
        return Err(ctx.invalid("CONCATENATION inputs do not add up to the output"));
    }
    ctx.set_params(&p)
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let n = (p.count as usize).min(MAX_INPUTS);
    let mut locs = [Loc::None; MAX_INPUTS];
    for (loc, &id) in locs.iter_mut().zip(&p.inputs).take(n) {
        *loc = ctx.loc(id)?;
    }
    let output = ctx.loc(p.output)?;
    let (r, [out]) = ctx.split([output])?;
    let mut parts: [(&[u8], usize); MAX_INPUTS] = [(&[], 0); MAX_INPUTS];
    for i in 0..n {
        if let (Some(part), Some(&loc), Some(&dim)) =
            (parts.get_mut(i), locs.get(i), p.axis_dims.get(i))
        {
            let chunk = (dim as usize)
                .saturating_mul(p.inner as usize)
                .saturating_mul(p.esize as usize);
            *part = (r.get(loc)?, chunk);
        }
    }
    concat(p.outer as usize, parts.get(..n).unwrap_or(&[]), out)
}

/// TFLM's loop: for each outer index, each input in turn contributes its next chunk (its
/// axis size times the inner size), copied whole. `parts` pairs each input with its chunk
/// length in bytes.
fn concat(outer: usize, parts: &[(&[u8], usize)], out: &mut [u8]) -> Result<()> {
    let row: usize = parts.iter().map(|&(_, c)| c).sum();
    if outer.checked_mul(row) != Some(out.len())
        || parts
            .iter()
            .any(|&(b, c)| outer.checked_mul(c) != Some(b.len()))
    {
        return Err(Error::malformed("CONCATENATION buffers"));
    }
    let mut dst = 0;
    for k in 0..outer {
        for &(src, chunk) in parts {
            let from = src.get(k * chunk..(k + 1) * chunk);
            let to = out.get_mut(dst..dst + chunk);
            if let (Some(from), Some(to)) = (from, to) {
                to.copy_from_slice(from);
            }
            dst += chunk;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::concat;

    #[test]
    fn joins_rows_along_the_inner_axis() {
        // [[1,2],[3,4]] ++ [[5],[6]] along axis 1 -> [[1,2,5],[3,4,6]].
        let mut out = [0u8; 6];
        concat(2, &[(&[1, 2, 3, 4], 2), (&[5, 6], 1)], &mut out).unwrap();
        assert_eq!(out, [1, 2, 5, 3, 4, 6]);
    }

    #[test]
    fn joins_whole_tensors_along_the_outer_axis() {
        // [[1,2]] ++ [[3,4],[5,6]] along axis 0: one outer step, chunks of 2 and 4.
        let mut out = [0u8; 6];
        concat(1, &[(&[1, 2], 2), (&[3, 4, 5, 6], 4)], &mut out).unwrap();
        assert_eq!(out, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rejects_mismatched_sizes() {
        assert!(concat(2, &[(&[1, 2, 3], 2)], &mut [0u8; 4]).is_err());
        assert!(concat(1, &[(&[1, 2], 2)], &mut [0u8; 3]).is_err());
    }
}
