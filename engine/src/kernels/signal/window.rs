//! SignalWindow: multiplies int16 frames by an int16 window, `(x * w) >> shift` saturated to
//! int16 — TFLM `signal/micro/kernels/window.cc` over `tflm_signal::ApplyWindow`.

use bytemuck::{Pod, Zeroable};

use super::{custom, option};
use crate::error::{Error, Result};
use crate::kernels::{CustomRegistration, Eval, Prepare, TensorId};
use crate::tensor::DType;

/// SignalWindow.
pub const WINDOW: CustomRegistration = CustomRegistration {
    name: "SignalWindow",
    registration: custom(prepare, eval),
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    weights: TensorId,
    output: TensorId,
    shift: u32,
    /// Input elements (a whole number of windows).
    input_size: u32,
    /// Window length.
    window: u32,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 2 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalWindow takes two inputs and one output"));
    }
    let input = ctx.input(0)?;
    let weights = ctx.input(1)?;
    let output = ctx.output(0)?;
    if input.shape.rank() < 1
        || weights.shape.rank() != 1
        || input.shape.rank() != output.shape.rank()
    {
        return Err(ctx.invalid("SignalWindow tensor ranks"));
    }
    if input.dtype != DType::I16 || weights.dtype != DType::I16 || output.dtype != DType::I16 {
        return Err(ctx.unsupported("tensors other than int16"));
    }
    let map = ctx.custom_options()?;
    let shift = option(ctx, &map, 0, "shift")?;
    // The C shift of an int32 by 32 or more (or a negative count) is undefined.
    if !(0..32).contains(&shift) {
        return Err(ctx.unsupported("a shift outside 0..=31"));
    }
    let (n, w) = (input.elements(), weights.elements());
    // TFLM steps through the input a window at a time, reading (and writing) whole windows.
    if output.elements() != n || (n > 0 && (w == 0 || n % w != 0)) {
        return Err(ctx.invalid("SignalWindow input is not a whole number of windows"));
    }
    ctx.set_macs(n as u64);
    let p = Params {
        input: ctx.input_id(0)?,
        weights: ctx.input_id(1)?,
        output: ctx.output_id(0)?,
        shift: shift as u32,
        input_size: n as u32,
        window: w as u32,
    };
    ctx.set_params(&p)
}

/// One windowed sample: the int32 product shifted right (arithmetically), saturated to int16.
#[inline(always)]
fn apply(x: i16, w: i16, shift: u32) -> i16 {
    let raw = (x as i32 * w as i32) >> shift;
    raw.clamp(i16::MIN as i32, i16::MAX as i32) as i16
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, weights, output) = (ctx.loc(p.input)?, ctx.loc(p.weights)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let (x, w) = (r.get(input)?, r.get(weights)?);
    let (n, len) = (p.input_size as usize, p.window as usize);
    if x.len() < 2 * n || out.len() < 2 * n || w.len() < 2 * len || (n > 0 && len == 0) {
        return Err(Error::malformed("SignalWindow buffers"));
    }
    // TFLM: window after window, sample by sample (`n` need not be a whole number of windows:
    // the last one is cut short, as TFLM's `i % len` indexing does).
    let (x, out, w) = (&x[..2 * n], &mut out[..2 * n], &w[..2 * len]);
    for (xs, os) in x.chunks(2 * len).zip(out.chunks_mut(2 * len)) {
        for ((xv, wv), ov) in xs
            .chunks_exact(2)
            .zip(w.chunks_exact(2))
            .zip(os.chunks_exact_mut(2))
        {
            let xv = i16::from_le_bytes([xv[0], xv[1]]);
            let wv = i16::from_le_bytes([wv[0], wv[1]]);
            ov.copy_from_slice(&apply(xv, wv, p.shift).to_le_bytes());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplies_shifts_and_saturates() {
        assert_eq!(apply(1000, 4096, 12), 1000);
        assert_eq!(apply(-3, 1, 1), -2, "arithmetic shift floors");
        assert_eq!(apply(32767, 32767, 0), i16::MAX);
        assert_eq!(apply(-32768, 32767, 0), i16::MIN);
        assert_eq!(
            apply(-32768, -32768, 15),
            i16::MAX,
            "2^30 >> 15 = 32768 saturates"
        );
    }
}
