//! SignalEnergy: the power `re^2 + im^2` of int16 complex bins `start_index..end_index`, as
//! uint32 — TFLM `signal/micro/kernels/energy.cc` over `tflm_signal::SpectrumToEnergy`.
//!
//! Bins outside the range are not written (TFLM leaves whatever the arena held there; models
//! slice them away).

use bytemuck::{Pod, Zeroable};

use super::{custom, get, option, put};
use crate::error::{Error, Result};
use crate::kernels::{CustomRegistration, Eval, Prepare, TensorId};
use crate::tensor::DType;

/// SignalEnergy.
pub const ENERGY: CustomRegistration = CustomRegistration {
    name: "SignalEnergy",
    registration: custom(prepare, eval),
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    start: u32,
    end: u32,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalEnergy takes one input and one output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    if input.shape.rank() != 1 || output.shape.rank() != 1 {
        return Err(ctx.invalid("SignalEnergy tensor ranks"));
    }
    if input.dtype != DType::I16 || output.dtype != DType::U32 {
        return Err(ctx.unsupported("tensors other than int16 in, uint32 out"));
    }
    let map = ctx.custom_options()?;
    let end = option(ctx, &map, 0, "end_index")?;
    let start = option(ctx, &map, 1, "start_index")?;
    // TFLM indexes both tensors with the bin number, unchecked.
    let bins = (input.elements() / 2).min(output.elements());
    if start < 0 || end < 0 || end as usize > bins {
        return Err(ctx.invalid("SignalEnergy index range outside its tensors"));
    }
    let p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        start: start as u32,
        end: end as u32,
    };
    ctx.set_macs(2 * (end - start).max(0) as u64);
    ctx.set_params(&p)
}

/// `re * re + im * im` in int32 (which overflows only for -32768 in both parts, wrapping to
/// 2^31 as a uint32).
#[inline(always)]
fn energy(re: i16, im: i16) -> u32 {
    (re as i32 * re as i32).wrapping_add(im as i32 * im as i32) as u32
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let x = r.get(input)?;
    let end = p.end as usize;
    if x.len() < 4 * end || out.len() < 4 * end {
        return Err(Error::malformed("SignalEnergy buffers"));
    }
    // TFLM: one bin at a time, int32 squares summed, stored as uint32.
    for i in p.start as usize..end {
        let re = get::<2>(x, 2 * i).map_or(0, i16::from_le_bytes);
        let im = get::<2>(x, 2 * i + 1).map_or(0, i16::from_le_bytes);
        put(out, i, energy(re, im).to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_and_wraps() {
        assert_eq!(energy(3, -4), 25);
        assert_eq!(energy(-32768, 0), 1 << 30);
        assert_eq!(energy(-32768, -32768), 1 << 31);
    }
}
