//! TRANSPOSE: permute the dimensions of a tensor of up to 5 dimensions — TFLM's
//! `transpose.cc`, `transpose_common.cc` and `reference_ops::Transpose`.
//!
//! The permutation must be a constant int32 tensor (TFLM checks it at prepare). TFLM walks the
//! output in row-major order and steps through the input by the stride of the permuted axis;
//! it moves whole elements of 1, 2 or 4 bytes, so results are copies, never arithmetic.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::tensor::DType;

/// TRANSPOSE. Version 6 is 6-D input, past TFLM's 5-D limit.
pub const TRANSPOSE: Registration = Registration {
    code: 39,
    max_version: 5,
    prepare,
    eval,
    aliases_input: false,
};

/// TFLM's prepare accepts 1-D to 5-D input.
const MAX_DIMS: usize = 5;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    /// Bytes per element.
    esize: u32,
    /// Number of dimensions.
    rank: u32,
    /// Output shape.
    out_dims: [u32; MAX_DIMS],
    /// For each output axis, the input's stride (in elements) along the axis it comes from.
    in_strides: [u32; MAX_DIMS],
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 2 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("TRANSPOSE takes 2 inputs and 1 output"));
    }
    let input = ctx.input(0)?;
    let perm = ctx.input(1)?;
    let output = ctx.output(0)?;
    let rank = input.shape.rank();
    if rank == 0 || rank > MAX_DIMS {
        return Err(ctx.unsupported("TRANSPOSE of other than 1 to 5 dimensions"));
    }
    if input.dtype != output.dtype {
        return Err(ctx.invalid("TRANSPOSE input and output types differ"));
    }
    let esize = match input.dtype {
        DType::F32 => 4,
        DType::I16 => 2,
        DType::I8 => 1,
        _ => return Err(ctx.unsupported("TRANSPOSE types other than float32, int8, int16")),
    };
    let Some((off, len)) = perm.data else {
        return Err(
            ctx.unsupported("a non-constant TRANSPOSE perm tensor (TFLM needs it constant)")
        );
    };
    let data = ctx
        .model
        .bytes()
        .get(off..off + len)
        .ok_or(ctx.invalid("TRANSPOSE perm data"))?;
    if perm.dtype != DType::I32 {
        return Err(ctx.unsupported("a TRANSPOSE perm that is not int32 (TFLM reads int32)"));
    }
    if perm.shape.rank() != 1 || perm.shape.dim(0) as usize != rank {
        return Err(ctx.invalid("TRANSPOSE perm is not one index per dimension"));
    }
    if output.shape.rank() != rank {
        return Err(ctx.invalid("TRANSPOSE output rank differs from its input's"));
    }
    // Input strides in elements, innermost 1.
    let mut strides = [1u32; MAX_DIMS];
    for i in (0..rank.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1].saturating_mul(input.shape.dim(i + 1) as u32);
    }
    let mut p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        esize,
        rank: rank as u32,
        out_dims: [1; MAX_DIMS],
        in_strides: [0; MAX_DIMS],
    };
    let mut seen = [false; MAX_DIMS];
    for d in 0..rank {
        let s = data
            .get(4 * d..4 * d + 4)
            .map_or(-1, |s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]));
        if s < 0 || s as usize >= rank {
            return Err(ctx.invalid("TRANSPOSE permutation out of bounds"));
        }
        let s = s as usize;
        // TFLM does not check for repeats, but a repeated axis would read past the input.
        if seen[s] {
            return Err(ctx.invalid("TRANSPOSE permutation repeats an axis"));
        }
        seen[s] = true;
        if output.shape.dim(d) != input.shape.dim(s) {
            return Err(ctx.invalid("TRANSPOSE output shape is not the permuted input's"));
        }
        p.out_dims[d] = output.shape.dim(d) as u32;
        p.in_strides[d] = strides[s];
    }
    ctx.set_params(&p)
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    transpose(&p, r.get(input)?, out)
}

/// TFLM's `TransposeImpl` recursion, flattened: the output in row-major order, the input
/// pointer advancing by the permuted axis's stride and rewinding when an axis wraps.
fn transpose(p: &Params, input: &[u8], out: &mut [u8]) -> Result<()> {
    let es = p.esize as usize;
    let rank = (p.rank as usize).min(MAX_DIMS);
    let dims = p.out_dims.map(|d| d as usize);
    let st = p.in_strides.map(|s| s as usize);
    let total = dims
        .iter()
        .take(rank)
        .try_fold(es, |a, &d| a.checked_mul(d));
    if total != Some(out.len()) || input.len() != out.len() {
        return Err(Error::malformed("TRANSPOSE buffers"));
    }
    if out.is_empty() {
        return Ok(());
    }
    let mut idx = [0usize; MAX_DIMS];
    let mut src = 0usize;
    for dst in out.chunks_exact_mut(es) {
        let from = input
            .get(src * es..src * es + es)
            .ok_or(Error::malformed("TRANSPOSE index"))?;
        dst.copy_from_slice(from);
        for d in (0..rank).rev() {
            idx[d] += 1;
            src += st[d];
            if idx[d] < dims[d] {
                break;
            }
            src -= st[d] * dims[d];
            idx[d] = 0;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(esize: u32, out_dims: &[u32], in_strides: &[u32]) -> Params {
        let mut p = Params {
            input: TensorId::NONE,
            output: TensorId::NONE,
            esize,
            rank: out_dims.len() as u32,
            out_dims: [1; MAX_DIMS],
            in_strides: [0; MAX_DIMS],
        };
        p.out_dims[..out_dims.len()].copy_from_slice(out_dims);
        p.in_strides[..in_strides.len()].copy_from_slice(in_strides);
        p
    }

    #[test]
    fn transposes_a_2x3_matrix() {
        // [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]]: output [3,2], strides (1, 3).
        let p = params(1, &[3, 2], &[1, 3]);
        let mut out = [0u8; 6];
        transpose(&p, &[0, 1, 2, 3, 4, 5], &mut out).unwrap();
        assert_eq!(out, [0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn moves_whole_int16_elements_of_a_3d_tensor() {
        // Input [2,1,2] of int16 0..4, perm [2,0,1]: output [2,2,1], out[i][j][0] = in[j][0][i].
        let input: Vec<u8> = (0u16..4).flat_map(|v| v.to_le_bytes()).collect();
        let p = params(2, &[2, 2, 1], &[1, 2, 2]);
        let mut out = [0u8; 8];
        transpose(&p, &input, &mut out).unwrap();
        let got: Vec<u16> = out
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(got, [0, 2, 1, 3]);
    }
}
