//! SignalPCAN: per-channel energy normalization (PCAN) automatic gain control — TFLM
//! `signal/micro/kernels/pcan.cc` over `tflm_signal::ApplyPcanAutoGainControlFixed`: each
//! channel is multiplied by a gain looked up (piecewise quadratic) from its noise estimate, then
//! compressed ("shrunk") to the output's bits.

use bytemuck::{Pod, Zeroable};

use super::{custom, get, option, put};
use crate::error::{Error, Result};
use crate::kernels::{CustomRegistration, Eval, Prepare, TensorId};
use crate::tensor::DType;

/// SignalPCAN.
pub const PCAN: CustomRegistration = CustomRegistration {
    name: "SignalPCAN",
    registration: custom(prepare, eval),
};

/// TFLM's `kPcanSnrBits` and `kPcanOutputBits`.
const SNR_BITS: u32 = 12;
const OUTPUT_BITS: u32 = 6;

/// Gain table entries the lookup can reach: three per octave up to bit 32
/// (`lut[4 * 32 - 6 + 2]`).
const LUT_LEN: usize = 125;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    noise_estimate: TensorId,
    gain_lut: TensorId,
    output: TensorId,
    channels: u32,
    snr_shift: u32,
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 3 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalPCAN takes three inputs and one output"));
    }
    let (input, noise, lut, output) = (ctx.input(0)?, ctx.input(1)?, ctx.input(2)?, ctx.output(0)?);
    if [input.shape, noise.shape, lut.shape, output.shape]
        .iter()
        .any(|s| s.rank() != 1)
    {
        return Err(ctx.invalid("SignalPCAN tensors must be 1-D"));
    }
    if input.dtype != DType::U32
        || noise.dtype != DType::U32
        || lut.dtype != DType::I16
        || output.dtype != DType::U32
    {
        return Err(ctx.unsupported("tensors other than uint32 with an int16 gain table"));
    }
    let map = ctx.custom_options()?;
    let snr_shift = option(ctx, &map, 0, "snr_shift")?;
    // A uint64 shifted by 64 or more (or by a negative count) is undefined in C.
    if !(0..64).contains(&snr_shift) {
        return Err(ctx.unsupported("an snr_shift outside 0..=63"));
    }
    // TFLM copies the input into the output (output bytes), then rewrites input-count channels.
    let n = input.elements();
    if output.elements() != n || noise.elements() < n {
        return Err(ctx.invalid("SignalPCAN tensor sizes differ"));
    }
    if lut.elements() < LUT_LEN {
        return Err(ctx.invalid("SignalPCAN gain table shorter than 125 entries"));
    }
    let p = Params {
        input: ctx.input_id(0)?,
        noise_estimate: ctx.input_id(1)?,
        gain_lut: ctx.input_id(2)?,
        output: ctx.output_id(0)?,
        channels: n as u32,
        snr_shift: snr_shift as u32,
    };
    ctx.set_params(&p)
}

/// TFLM `WideDynamicFunction`: the gain for noise level `x`. Below 3 a direct lookup; above,
/// a quadratic in the 10 bits below `x`'s leading one, with coefficients from the three table
/// entries of its octave, in int32 with rounding, truncated to int16.
fn wide_dynamic_function(x: u32, lut: &[u8]) -> i16 {
    let at = |i: usize| get::<2>(lut, i).map_or(0, i16::from_le_bytes) as i32;
    if x <= 2 {
        return at(x as usize) as i16;
    }
    let interval = super::most_significant_bit_32(x) as i32;
    let base = (4 * interval - 6) as usize;
    let frac = (if interval < 11 {
        x << (11 - interval)
    } else {
        x >> (interval - 11)
    } & 0x3FF) as i32;
    let mut result = at(base + 2).wrapping_mul(frac) >> 5;
    result = result.wrapping_add(at(base + 1).wrapping_shl(5));
    result = result.wrapping_mul(frac);
    result = result.wrapping_add(1 << 14) >> 15;
    result = result.wrapping_add(at(base));
    result as i16
}

/// TFLM `PcanShrink`: squares small values (x^2 >> 20 below 2 << 12), else a linear
/// `x >> 6` less 64.
fn pcan_shrink(x: u32) -> u32 {
    if x < (2 << SNR_BITS) {
        x.wrapping_mul(x) >> (2 + 2 * SNR_BITS - OUTPUT_BITS)
    } else {
        (x >> (SNR_BITS - OUTPUT_BITS)).wrapping_sub(1 << OUTPUT_BITS)
    }
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, noise, lut, output) = (
        ctx.loc(p.input)?,
        ctx.loc(p.noise_estimate)?,
        ctx.loc(p.gain_lut)?,
        ctx.loc(p.output)?,
    );
    let (r, [out]) = ctx.split([output])?;
    let (x, noise, lut) = (r.get(input)?, r.get(noise)?, r.get(lut)?);
    let n = p.channels as usize;
    if x.len() < 4 * n || noise.len() < 4 * n || out.len() < 4 * n || lut.len() < 2 * LUT_LEN {
        return Err(Error::malformed("SignalPCAN buffers"));
    }
    // TFLM: channel by channel (the output first holds a copy of the input, every element of
    // which is then rewritten).
    for i in 0..n {
        // The gain (int16, sign-extended to uint32) times the channel in uint64, shifted, kept
        // as uint32, then shrunk.
        let gain = wide_dynamic_function(get::<4>(noise, i).map_or(0, u32::from_le_bytes), lut)
            as i32 as u32;
        let v = get::<4>(x, i).map_or(0, u32::from_le_bytes);
        let snr = (v as u64 * gain as u64).wrapping_shr(p.snr_shift) as u32;
        put(out, i, pcan_shrink(snr).to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_is_quadratic_then_linear() {
        assert_eq!(pcan_shrink(0), 0);
        assert_eq!(pcan_shrink(1 << 10), 1);
        assert_eq!(pcan_shrink(8191), 63);
        assert_eq!(pcan_shrink(8192), 64);
        assert_eq!(pcan_shrink(1 << 20), (1 << 14) - 64);
    }

    #[test]
    fn gain_lookup_interpolates_an_octave() {
        let mut lut = [0u8; 2 * LUT_LEN];
        let mut set = |i: usize, v: i16| lut[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
        set(0, 100);
        set(1, 200);
        set(2, 300);
        // x = 4: interval 3, entries 6, 7, 8; frac = (4 << 8) & 0x3FF = 0: the first entry.
        set(6, 1000);
        set(7, 64);
        set(8, -32);
        assert_eq!(wide_dynamic_function(2, &lut), 300);
        assert_eq!(wide_dynamic_function(4, &lut), 1000);
        // x = 6: frac = (6 << 8) & 0x3FF = 512. ((-32 * 512) >> 5) = -512; + (64 << 5) = 1536;
        // * 512 = 786432; (+ 2^14) >> 15 = 24; + 1000 = 1024.
        assert_eq!(wide_dynamic_function(6, &lut), 1024);
    }
}
