//! RESHAPE, SQUEEZE, EXPAND_DIMS: the bytes stay, only the shape changes. The planner lets the
//! output share the input's bytes, so eval usually has nothing to do; when it cannot (a
//! constant input, a graph input that must stay intact), eval copies.

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::Result;

/// RESHAPE.
pub const RESHAPE: Registration = Registration {
    code: 22,
    max_version: 2,
    prepare,
    eval,
    aliases_input: true,
};
/// SQUEEZE.
pub const SQUEEZE: Registration = Registration {
    code: 43,
    max_version: 1,
    prepare,
    eval,
    aliases_input: true,
};
/// EXPAND_DIMS.
pub const EXPAND_DIMS: Registration = Registration {
    code: 70,
    max_version: 1,
    prepare,
    eval,
    aliases_input: true,
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    if input.dtype != output.dtype {
        return Err(ctx.invalid("shape op changes the element type"));
    }
    if input.bytes != output.bytes {
        return Err(ctx.invalid("shape op changes the number of elements"));
    }
    let p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
    };
    ctx.set_params(&p)
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (src, dst) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    ctx.copy(src, dst)
}
