//! Resource variables and CALL_ONCE: the machinery of streaming models (microWakeWord keeps its
//! rolling feature window in resource variables, initialised once by a CALL_ONCE subgraph).
//!
//! Variables are resolved when the interpreter is built: each `(container, shared_name)` pair
//! gets one persistent buffer, sized by the first ASSIGN_VARIABLE that writes it (TFLM's rule),
//! and filled with that value's zero point on reset. VAR_HANDLE therefore has nothing to do at
//! run time; READ_VARIABLE and ASSIGN_VARIABLE are copies. CALL_ONCE is run by the interpreter
//! itself (it needs to call a subgraph).

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::arena::Loc;
use crate::error::Result;

/// VAR_HANDLE.
pub const VAR_HANDLE: Registration = Registration {
    code: 142,
    max_version: 1,
    prepare: prepare_nothing,
    eval: eval_nothing,
    aliases_input: false,
};
/// READ_VARIABLE.
pub const READ_VARIABLE: Registration = Registration {
    code: 143,
    max_version: 1,
    prepare: prepare_read,
    eval: eval_copy,
    aliases_input: false,
};
/// ASSIGN_VARIABLE.
pub const ASSIGN_VARIABLE: Registration = Registration {
    code: 144,
    max_version: 1,
    prepare: prepare_assign,
    eval: eval_copy,
    aliases_input: false,
};
/// CALL_ONCE (run by the interpreter; see `Interpreter::run`).
pub const CALL_ONCE: Registration = Registration {
    code: 129,
    max_version: 1,
    prepare: prepare_nothing,
    eval: eval_nothing,
    aliases_input: false,
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Copy {
    /// Source: a tensor, or (when `from_resource`) the resource buffer.
    tensor: TensorId,
    resource_off: u32,
    resource_len: u32,
    /// 1: resource -> tensor (READ); 0: tensor -> resource (ASSIGN).
    read: u32,
}

fn prepare_nothing(_: &mut Prepare<'_, '_>) -> Result<()> {
    Ok(())
}

fn eval_nothing(_: &mut Eval<'_>) -> Result<()> {
    Ok(())
}

fn prepare_read(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (_, off, len) = ctx.resource(0)?;
    let output = ctx.output(0)?;
    if len == 0 {
        return Err(ctx.invalid("variable is read but never assigned"));
    }
    if output.bytes != len {
        return Err(ctx.invalid("READ_VARIABLE output size differs from the variable"));
    }
    let p = Copy {
        tensor: ctx.output_id(0)?,
        resource_off: off as u32,
        resource_len: len as u32,
        read: 1,
    };
    ctx.set_params(&p)
}

fn prepare_assign(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    let (_, off, len) = ctx.resource(0)?;
    let value = ctx.input(1)?;
    if value.bytes != len {
        return Err(ctx.invalid("ASSIGN_VARIABLE value size differs from the variable"));
    }
    let p = Copy {
        tensor: ctx.input_id(1)?,
        resource_off: off as u32,
        resource_len: len as u32,
        read: 0,
    };
    ctx.set_params(&p)
}

fn eval_copy(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Copy = ctx.params()?;
    let tensor = ctx.loc(p.tensor)?;
    let resource = Loc::Arena(p.resource_off as usize, p.resource_len as usize);
    if p.read == 1 {
        ctx.copy(resource, tensor)
    } else {
        ctx.copy(tensor, resource)
    }
}
