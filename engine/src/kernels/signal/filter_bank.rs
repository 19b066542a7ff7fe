//! The Signal filterbank family — TFLM `signal/micro/kernels/filter_bank*.cc` over
//! `tflm_signal::FilterbankAccumulateChannels`, `FilterbankSqrt`,
//! `FilterbankSpectralSubtraction` and `FilterbankLog`:
//!
//! - SignalFilterBank: triangular (mel) channels over a uint32 power spectrum, each bin weighted
//!   into one channel and its complement ("unweight") into the next, accumulated in uint64;
//! - SignalFilterBankSquareRoot: the integer square root of each channel, shifted down by the
//!   FFT's auto-scale bits;
//! - SignalFilterBankSpectralSubtraction: a per-channel noise estimate (smoothed, state kept
//!   across invocations) subtracted from the signal, with a floor;
//! - SignalFilterBankLog: a fixed-point natural log, scaled, saturated to int16.

use crate::frontend::filterbank::sqrt64;
use bytemuck::{Pod, Zeroable};

use super::{custom, get, option, put};
use crate::error::{Error, Result};
use crate::kernels::{ArrayRef, CustomRegistration, Eval, Prepare, TensorId};
use crate::tensor::DType;

/// SignalFilterBank.
pub const FILTER_BANK: CustomRegistration = CustomRegistration {
    name: "SignalFilterBank",
    registration: custom(prepare_bank, eval_bank),
};

/// SignalFilterBankSquareRoot.
pub const FILTER_BANK_SQUARE_ROOT: CustomRegistration = CustomRegistration {
    name: "SignalFilterBankSquareRoot",
    registration: custom(prepare_sqrt, eval_sqrt),
};

/// SignalFilterBankSpectralSubtraction.
pub const FILTER_BANK_SPECTRAL_SUBTRACTION: CustomRegistration = CustomRegistration {
    name: "SignalFilterBankSpectralSubtraction",
    registration: custom(prepare_subtraction, eval_subtraction),
};

/// SignalFilterBankLog.
pub const FILTER_BANK_LOG: CustomRegistration = CustomRegistration {
    name: "SignalFilterBankLog",
    registration: custom(prepare_log, eval_log),
};

/// Checks that every tensor of the op is 1-D.
fn all_rank_one(ctx: &Prepare<'_, '_>, inputs: usize, outputs: usize) -> Result<()> {
    for k in 0..inputs {
        if ctx.input(k)?.shape.rank() != 1 {
            return Err(ctx.invalid("Signal filterbank tensors must be 1-D"));
        }
    }
    for k in 0..outputs {
        if ctx.output(k)?.shape.rank() != 1 {
            return Err(ctx.invalid("Signal filterbank tensors must be 1-D"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SignalFilterBank
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BankParams {
    input: TensorId,
    weights: TensorId,
    unweights: TensorId,
    frequency_starts: TensorId,
    weight_starts: TensorId,
    widths: TensorId,
    output: TensorId,
    channels: u32,
    /// Output elements (at most `channels`).
    outputs: u32,
}

fn prepare_bank(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 6 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalFilterBank takes six inputs and one output"));
    }
    all_rank_one(ctx, 6, 1)?;
    if ctx.input(0)?.dtype != DType::U32 || ctx.output(0)?.dtype != DType::U64 {
        return Err(ctx.unsupported("tensors other than uint32 in, uint64 out"));
    }
    for k in 1..6 {
        if ctx.input(k)?.dtype != DType::I16 {
            return Err(ctx.unsupported("weights or channel tables other than int16"));
        }
    }
    let map = ctx.custom_options()?;
    let channels = option(ctx, &map, 0, "num_channels")?;
    if channels < 0 {
        return Err(ctx.invalid("SignalFilterBank num_channels is negative"));
    }
    let channels = channels as usize;
    // The channel tables are read at channels + 1 entries (channel 0 only feeds channel 1).
    for k in 3..6 {
        if ctx.input(k)?.elements() < channels + 1 {
            return Err(ctx.invalid("SignalFilterBank channel tables shorter than channels + 1"));
        }
    }
    let outputs = ctx.output(0)?.elements();
    if outputs > channels {
        return Err(ctx.invalid("SignalFilterBank output longer than num_channels"));
    }
    ctx.set_macs(2 * ctx.input(1)?.elements() as u64);
    let p = BankParams {
        input: ctx.input_id(0)?,
        weights: ctx.input_id(1)?,
        unweights: ctx.input_id(2)?,
        frequency_starts: ctx.input_id(3)?,
        weight_starts: ctx.input_id(4)?,
        widths: ctx.input_id(5)?,
        output: ctx.output_id(0)?,
        channels: channels as u32,
        outputs: outputs as u32,
    };
    ctx.set_params(&p)
}

fn eval_bank(ctx: &mut Eval<'_>) -> Result<()> {
    let p: BankParams = ctx.params()?;
    let locs = [
        ctx.loc(p.input)?,
        ctx.loc(p.weights)?,
        ctx.loc(p.unweights)?,
        ctx.loc(p.frequency_starts)?,
        ctx.loc(p.weight_starts)?,
        ctx.loc(p.widths)?,
    ];
    let (r, [out]) = ctx.split([ctx.loc(p.output)?])?;
    let [x, w, uw, fs, ws, cw] = [
        r.get(locs[0])?,
        r.get(locs[1])?,
        r.get(locs[2])?,
        r.get(locs[3])?,
        r.get(locs[4])?,
        r.get(locs[5])?,
    ];
    let channels = p.channels as usize;
    if fs.len() < 2 * (channels + 1)
        || ws.len() < 2 * (channels + 1)
        || cw.len() < 2 * (channels + 1)
        || out.len() < 8 * p.outputs as usize
    {
        return Err(Error::malformed("SignalFilterBank buffers"));
    }
    let bad = || Error::invalid("SignalFilterBank channel reaches past its tensors", 0);
    let i16_at = |b: &[u8], i: usize| get::<2>(b, i).map(i16::from_le_bytes);
    // TFLM: per channel (0 to num_channels), weight and unweight sums in uint64 (the int16
    // weight converted to uint64, so negative weights wrap); channel i's output is its weighted
    // sum plus channel i-1's unweighted one. Channel 0's weighted sum is dropped.
    let mut weight_acc: u64 = 0;
    let mut unweight_acc: u64 = 0;
    for i in 0..=channels {
        let freq_start = i16_at(fs, i).ok_or_else(bad)?;
        let weight_start = i16_at(ws, i).ok_or_else(bad)?;
        let width = i16_at(cw, i).ok_or_else(bad)?;
        for j in 0..width.max(0) as usize {
            let f = usize::try_from(freq_start as i32 + j as i32).map_err(|_| bad())?;
            let k = usize::try_from(weight_start as i32 + j as i32).map_err(|_| bad())?;
            let v = get::<4>(x, f).map(u32::from_le_bytes).ok_or_else(bad)? as u64;
            let wv = i16_at(w, k).ok_or_else(bad)? as i64 as u64;
            let uv = i16_at(uw, k).ok_or_else(bad)? as i64 as u64;
            weight_acc = weight_acc.wrapping_add(wv.wrapping_mul(v));
            unweight_acc = unweight_acc.wrapping_add(uv.wrapping_mul(v));
        }
        if i >= 1 && i <= p.outputs as usize {
            put(out, i - 1, weight_acc.to_le_bytes());
        }
        weight_acc = unweight_acc;
        unweight_acc = 0;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SignalFilterBankSquareRoot
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SqrtParams {
    input: TensorId,
    scale_bits: TensorId,
    output: TensorId,
    channels: u32,
}

fn prepare_sqrt(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 2 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalFilterBankSquareRoot takes two inputs and one output"));
    }
    let input = ctx.input(0)?;
    let scale_bits = ctx.input(1)?;
    let output = ctx.output(0)?;
    if input.shape.rank() != 1 || scale_bits.shape.rank() != 0 || output.shape.rank() != 1 {
        return Err(ctx.invalid("SignalFilterBankSquareRoot tensor ranks"));
    }
    if input.dtype != DType::U64 || scale_bits.dtype != DType::I32 || output.dtype != DType::U32 {
        return Err(ctx.unsupported("tensors other than uint64 in, int32 shift, uint32 out"));
    }
    if output.elements() < input.elements() {
        return Err(ctx.invalid("SignalFilterBankSquareRoot output shorter than its input"));
    }
    let p = SqrtParams {
        input: ctx.input_id(0)?,
        scale_bits: ctx.input_id(1)?,
        output: ctx.output_id(0)?,
        channels: input.elements() as u32,
    };
    ctx.set_params(&p)
}

fn eval_sqrt(ctx: &mut Eval<'_>) -> Result<()> {
    let p: SqrtParams = ctx.params()?;
    let (input, bits, output) = (
        ctx.loc(p.input)?,
        ctx.loc(p.scale_bits)?,
        ctx.loc(p.output)?,
    );
    let (r, [out]) = ctx.split([output])?;
    let (x, bits) = (r.get(input)?, r.get(bits)?);
    let n = p.channels as usize;
    if x.len() < 8 * n || out.len() < 4 * n || bits.len() < 4 {
        return Err(Error::malformed("SignalFilterBankSquareRoot buffers"));
    }
    // The shift comes from a tensor (the FFT's auto-scale bits, 0..=15); a uint32 shifted by
    // 32 or more is undefined in C, and x86's `shr` takes the count mod 32, as `wrapping_shr`.
    let shift = get::<4>(bits, 0).map_or(0, i32::from_le_bytes) as u32;
    // TFLM: per channel, Sqrt64 then the shift.
    for i in 0..n {
        let v = get::<8>(x, i).map_or(0, u64::from_le_bytes);
        put(out, i, sqrt64(v).wrapping_shr(shift).to_le_bytes());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SignalFilterBankSpectralSubtraction
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct SubtractionParams {
    input: TensorId,
    output: TensorId,
    noise_output: TensorId,
    channels: u32,
    /// Elements of the noise estimate output (at most `channels`).
    noise_outputs: u32,
    smoothing: u32,
    one_minus_smoothing: u32,
    alternate_smoothing: u32,
    alternate_one_minus_smoothing: u32,
    min_signal_remaining: u32,
    smoothing_bits: u32,
    spectral_subtraction_bits: u32,
    clamping: u32,
    /// The noise estimate, one uint32 per channel, kept across invocations.
    state: ArrayRef,
}

fn prepare_subtraction(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 2 {
        return Err(ctx.invalid("SignalFilterBankSpectralSubtraction takes one input, two outputs"));
    }
    all_rank_one(ctx, 1, 2)?;
    let (input, output, noise) = (ctx.input(0)?, ctx.output(0)?, ctx.output(1)?);
    if input.dtype != DType::U32 || output.dtype != DType::U32 || noise.dtype != DType::U32 {
        return Err(ctx.unsupported("tensors other than uint32"));
    }
    let map = ctx.custom_options()?;
    let alternate_one_minus_smoothing = option(ctx, &map, 0, "alternate_one_minus_smoothing")?;
    let alternate_smoothing = option(ctx, &map, 1, "alternate_smoothing")?;
    // ElementAsBool: the whole raw slot, non-zero.
    let clamping = map
        .int(2, b"clamping")
        .ok_or(ctx.unsupported("custom options missing an integer TFLM expects"))?
        != 0;
    let min_signal_remaining = option(ctx, &map, 3, "min_signal_remaining")?;
    let channels = option(ctx, &map, 4, "num_channels")?;
    let one_minus_smoothing = option(ctx, &map, 5, "one_minus_smoothing")?;
    let smoothing = option(ctx, &map, 6, "smoothing")?;
    let smoothing_bits = option(ctx, &map, 7, "smoothing_bits")?;
    let spectral_subtraction_bits = option(ctx, &map, 8, "spectral_subtraction_bits")?;
    // Shifts of a uint32 by 32 or more, or of a uint64 by 64 or more, are undefined in C.
    if !(0..32).contains(&smoothing_bits) || !(0..64).contains(&spectral_subtraction_bits) {
        return Err(ctx.unsupported("smoothing or subtraction bits too large for their shifts"));
    }
    if channels < 0 {
        return Err(ctx.invalid("SignalFilterBankSpectralSubtraction num_channels is negative"));
    }
    let channels = channels as usize;
    if input.elements() < channels || output.elements() < channels {
        return Err(
            ctx.invalid("SignalFilterBankSpectralSubtraction tensors shorter than num_channels")
        );
    }
    if noise.elements() > channels {
        return Err(ctx
            .invalid("SignalFilterBankSpectralSubtraction noise output longer than num_channels"));
    }
    let state = ctx.persistent_state(4 * channels)?;
    let p = SubtractionParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        noise_output: ctx.output_id(1)?,
        channels: channels as u32,
        noise_outputs: noise.elements() as u32,
        // The config holds these as uint32, converted from the int32 read.
        smoothing: smoothing as u32,
        one_minus_smoothing: one_minus_smoothing as u32,
        alternate_smoothing: alternate_smoothing as u32,
        alternate_one_minus_smoothing: alternate_one_minus_smoothing as u32,
        min_signal_remaining: min_signal_remaining as u32,
        smoothing_bits: smoothing_bits as u32,
        spectral_subtraction_bits: spectral_subtraction_bits as u32,
        clamping: clamping as u32,
        state,
    };
    ctx.set_params(&p)
}

/// One channel: updates the noise estimate `noise` from `input` and returns the output.
/// Products in uint64; the new estimate and the floor truncated to uint32, as stored in C.
#[inline(always)]
fn subtract_channel(p: &SubtractionParams, i: usize, input: u32, noise: &mut u32) -> u32 {
    let (smoothing, one_minus) = if i & 1 == 0 {
        (p.smoothing, p.one_minus_smoothing)
    } else {
        (p.alternate_smoothing, p.alternate_one_minus_smoothing)
    };
    // Prepare bounded both shifts to their type's width.
    let signal_scaled_up = input.wrapping_shl(p.smoothing_bits);
    *noise = (signal_scaled_up as u64 * smoothing as u64)
        .wrapping_add(*noise as u64 * one_minus as u64)
        .wrapping_shr(p.spectral_subtraction_bits) as u32;
    let mut estimate_scaled_up = *noise;
    if estimate_scaled_up > signal_scaled_up {
        estimate_scaled_up = signal_scaled_up;
        if p.clamping != 0 {
            *noise = estimate_scaled_up;
        }
    }
    let floor = (input as u64 * p.min_signal_remaining as u64)
        .wrapping_shr(p.spectral_subtraction_bits) as u32;
    let subtracted = (signal_scaled_up - estimate_scaled_up).wrapping_shr(p.smoothing_bits);
    subtracted.max(floor)
}

fn eval_subtraction(ctx: &mut Eval<'_>) -> Result<()> {
    let p: SubtractionParams = ctx.params()?;
    let (input, output, noise_out) = (
        ctx.loc(p.input)?,
        ctx.loc(p.output)?,
        ctx.loc(p.noise_output)?,
    );
    let (r, [out, noise_out, state]) = ctx.split([output, noise_out, p.state.loc()])?;
    let x = r.get(input)?;
    let n = p.channels as usize;
    let nn = p.noise_outputs as usize;
    if x.len() < 4 * n || out.len() < 4 * n || state.len() < 4 * n || noise_out.len() < 4 * nn {
        return Err(Error::malformed(
            "SignalFilterBankSpectralSubtraction buffers",
        ));
    }
    // TFLM: channel by channel, even channels with `smoothing`, odd ones with the alternate.
    for i in 0..n {
        let v = get::<4>(x, i).map_or(0, u32::from_le_bytes);
        let mut noise = get::<4>(state, i).map_or(0, u32::from_le_bytes);
        let y = subtract_channel(&p, i, v, &mut noise);
        put(state, i, noise.to_le_bytes());
        put(out, i, y.to_le_bytes());
    }
    // The noise estimate output is a copy of the state.
    if let (Some(dst), Some(src)) = (noise_out.get_mut(..4 * nn), state.get(..4 * nn)) {
        dst.copy_from_slice(src);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SignalFilterBankLog
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LogParams {
    input: TensorId,
    output: TensorId,
    channels: u32,
    input_correction_bits: u32,
    output_scale: u32,
}

fn prepare_log(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalFilterBankLog takes one input and one output"));
    }
    all_rank_one(ctx, 1, 1)?;
    let (input, output) = (ctx.input(0)?, ctx.output(0)?);
    if input.dtype != DType::U32 || output.dtype != DType::I16 {
        return Err(ctx.unsupported("tensors other than uint32 in, int16 out"));
    }
    let map = ctx.custom_options()?;
    let correction = option(ctx, &map, 0, "input_correction_bits")?;
    let output_scale = option(ctx, &map, 1, "output_scale")?;
    if !(0..32).contains(&correction) {
        return Err(ctx.unsupported("input_correction_bits outside 0..=31"));
    }
    if output.elements() < input.elements() {
        return Err(ctx.invalid("SignalFilterBankLog output shorter than its input"));
    }
    let p = LogParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        channels: input.elements() as u32,
        input_correction_bits: correction as u32,
        output_scale: output_scale as u32,
    };
    ctx.set_params(&p)
}

/// TFLM's `kLogLut`: `log2(1 + k/128) - k/128` in Q16 for k in 0..=128 (the interpolation
/// table of the fractional part of log2), plus a padding zero. A unit test checks every entry
/// against that formula.
const LOG_LUT: [u16; 130] = [
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944,
    3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714,
    4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533,
    5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568,
    5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944,
    4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759,
    3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090,
    1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
];

/// log(2) in Q16.
const LOG_COEFF: u64 = 45426;

/// TFLM `Log2FractionPart32`: the fraction of log2(x) in Q16 (`log2x` = floor(log2 x)), by
/// linear interpolation in [`LOG_LUT`] over 128 segments. Signed int32 arithmetic where the C
/// code has it (the correction term can be negative; `>>` floors).
fn log2_fraction(x: u32, log2x: u32) -> u32 {
    let mut frac = x.wrapping_sub(1u32.wrapping_shl(log2x)) as i32;
    if log2x < 16 {
        frac <<= 16 - log2x;
    } else {
        frac >>= log2x - 16;
    }
    let base_seg = (frac as u32) >> 9;
    let c0 = LOG_LUT.get(base_seg as usize).copied().unwrap_or(0) as i32;
    let c1 = LOG_LUT.get(base_seg as usize + 1).copied().unwrap_or(0) as i32;
    let seg_base = (512 * base_seg) as i32;
    let rel_pos = ((c1 - c0).wrapping_mul(frac.wrapping_sub(seg_base))) >> 16;
    (frac.wrapping_add(c0).wrapping_add(rel_pos)) as u32
}

/// TFLM `Log32`: `ln(x) * out_scale` for x > 1, from log2 in Q16, in uint32/uint64 arithmetic
/// with rounding at each rescale.
fn log32(x: u32, out_scale: u32) -> u32 {
    let integer = super::most_significant_bit_32(x).wrapping_sub(1);
    let fraction = log2_fraction(x, integer);
    let log2 = (integer << 16).wrapping_add(fraction);
    let round: u32 = 32768;
    let loge = ((LOG_COEFF * log2 as u64 + round as u64) >> 16) as u32;
    out_scale.wrapping_mul(loge).wrapping_add(round) >> 16
}

fn eval_log(ctx: &mut Eval<'_>) -> Result<()> {
    let p: LogParams = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let x = r.get(input)?;
    let n = p.channels as usize;
    if x.len() < 4 * n || out.len() < 2 * n {
        return Err(Error::malformed("SignalFilterBankLog buffers"));
    }
    // TFLM: per channel, the corrected input's Log32 clamped to int16 (0 for inputs 0 and 1).
    for i in 0..n {
        let scaled = get::<4>(x, i)
            .map_or(0, u32::from_le_bytes)
            .wrapping_shl(p.input_correction_bits);
        let v = if scaled > 1 {
            log32(scaled, p.output_scale).min(i16::MAX as u32) as i16
        } else {
            0
        };
        put(out, i, v.to_le_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::filterbank::sqrt32;

    #[test]
    fn square_roots_round() {
        assert_eq!(sqrt32(0), 0);
        assert_eq!(sqrt32(1), 1);
        assert_eq!(sqrt32(15), 4);
        assert_eq!(sqrt32(16), 4);
        assert_eq!(sqrt32(20), 4);
        assert_eq!(sqrt32(21), 5, "rounds to nearest");
        assert_eq!(sqrt32(u32::MAX), 0xFFFF);
        assert_eq!(sqrt64(1 << 40), 1 << 20);
        assert_eq!(sqrt64(u64::MAX), u32::MAX);
        assert_eq!(
            sqrt64(((1u64 << 20) + 1) * ((1u64 << 20) + 1)),
            (1 << 20) + 1
        );
        for v in [2u64, 3, 99, 12345, 1 << 33, (1 << 50) + 12345] {
            let r = sqrt64(v) as f64;
            assert!((r - (v as f64).sqrt()).abs() <= 0.5 + 1e-9, "{v}");
        }
    }

    #[test]
    fn log_lut_is_the_log2_correction() {
        for (k, &v) in LOG_LUT.iter().enumerate().take(129) {
            let f = k as f64 / 128.0;
            let want = (65536.0 * ((1.0 + f).log2() - f)).round() as i64;
            assert!((v as i64 - want).abs() <= 1, "entry {k}: {v} vs {want}");
        }
    }

    #[test]
    fn log_is_scaled_ln() {
        for x in [2u32, 3, 10, 1000, 65536, 1 << 20, u32::MAX] {
            let want = (x as f64).ln() * 64.0;
            let got = log32(x, 64) as f64;
            assert!((got - want).abs() < 1.0, "{x}: {got} vs {want}");
        }
    }

    #[test]
    fn spectral_subtraction_tracks_noise() {
        let mut p = SubtractionParams::zeroed();
        p.smoothing = 409;
        p.one_minus_smoothing = 15975;
        p.alternate_smoothing = 983;
        p.alternate_one_minus_smoothing = 15401;
        p.min_signal_remaining = 819;
        p.smoothing_bits = 10;
        p.spectral_subtraction_bits = 14;
        let mut noise = 0u32;
        // First frame: estimate = (1000 << 10) * 409 >> 14 = 25562; output
        // (1024000 - 25562) >> 10 = 975; floor 1000 * 819 >> 14 = 49.
        assert_eq!(subtract_channel(&p, 0, 1000, &mut noise), 975);
        assert_eq!(noise, 25562);
        // A quiet frame after it: the estimate exceeds the signal, so the output is the floor.
        assert_eq!(subtract_channel(&p, 0, 10, &mut noise), 0);
    }
}
