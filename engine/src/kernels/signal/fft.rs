//! SignalFftAutoScale and SignalRfft — TFLM `signal/micro/kernels/fft_auto_scale*.cc` and
//! `rfft.cc` over `tflm_signal::FftAutoScale` and `Rfft{Int16,Int32,Float}Apply`, which run
//! KISS FFT (v130, as TFLM patches and builds it) in 16-bit fixed point, 32-bit fixed point or
//! float.
//!
//! The real FFT of length `n` is KISS FFT's `kiss_fftr`: a complex FFT of length `n / 2` over
//! the input read as (even, odd) pairs, by mixed radix 4, 2, 3 and 5 (`kf_work`, `kf_bfly*`),
//! then a split into `n / 2 + 1` bins with the "super twiddles". Fixed point divides every
//! butterfly's inputs by its radix (`C_FIXDIV`) so nothing overflows, and rounds every product
//! (`sround`); C's integer promotions decide where sums wrap: a 16-bit sum is formed in `int`
//! (so `HALF_OF(a + b)` halves the exact sum), a 32-bit one wraps first. Twiddles are
//! `floor(0.5 + MAX * cos(phase))` in double (`(float)cos(phase)` for float). Radices other
//! than 2, 3, 4 and 5 take KISS FFT's generic butterfly, which needs a heap buffer that TFLM's
//! patched build never gets: such lengths are refused, as is every odd length (TFLM's RFFT state
//! is then null).

use bytemuck::{Pod, Zeroable};

use super::{custom, get, option, put};
use crate::error::{Error, Result};
use crate::kernels::{ArrayRef, CustomRegistration, Eval, Prepare, TensorId};
use crate::tensor::DType;

/// SignalFftAutoScale.
pub const FFT_AUTO_SCALE: CustomRegistration = CustomRegistration {
    name: "SignalFftAutoScale",
    registration: custom(prepare_auto_scale, eval_auto_scale),
};

/// SignalRfft.
pub const RFFT: CustomRegistration = CustomRegistration {
    name: "SignalRfft",
    registration: custom(prepare_rfft, eval_rfft),
};

// ---------------------------------------------------------------------------------------------
// SignalFftAutoScale
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct AutoScaleParams {
    input: TensorId,
    output: TensorId,
    scale_bits: TensorId,
    count: u32,
}

fn prepare_auto_scale(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 2 {
        return Err(ctx.invalid("SignalFftAutoScale takes one input and two outputs"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    let scale_bits = ctx.output(1)?;
    if input.shape.rank() != 1 || output.shape.rank() != 1 || scale_bits.shape.rank() != 0 {
        return Err(ctx.invalid("SignalFftAutoScale tensor ranks"));
    }
    if input.dtype != DType::I16 || output.dtype != DType::I16 || scale_bits.dtype != DType::I32 {
        return Err(ctx.unsupported("tensors other than int16 in and out, int32 scale"));
    }
    // TFLM reads as many inputs as the output holds.
    if input.elements() != output.elements() {
        return Err(ctx.invalid("SignalFftAutoScale input and output sizes differ"));
    }
    let p = AutoScaleParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        scale_bits: ctx.output_id(1)?,
        count: output.elements() as u32,
    };
    ctx.set_params(&p)
}

/// TFLM `MaxAbs16`: the running maximum of `|x|` kept in an int16, so that -32768 (whose
/// magnitude does not fit) stores -32768, which any later value then exceeds.
fn max_abs_16(x: &[u8], n: usize) -> i16 {
    let mut max: i16 = 0;
    // TFLM's loop, in order: the quirk depends on where -32768 falls.
    for v in x.chunks_exact(2).take(n) {
        let v = i16::from_le_bytes([v[0], v[1]]);
        if v > max {
            max = v;
        } else if -(v as i32) > max as i32 {
            max = (-(v as i32)) as i16;
        }
    }
    max
}

/// The left shift that brings the largest magnitude up to bit 14: `16 - msb(max) - 1`, at
/// least 0 (with GCC's `msb(0) = 32`, silence gets 0; a maximum of -32768, read as the uint32
/// 0xFFFF8000, also 0).
fn auto_scale_bits(max: i16) -> i32 {
    let msb = super::most_significant_bit_32(max as i32 as u32) as i32;
    (16 - msb - 1).max(0)
}

fn eval_auto_scale(ctx: &mut Eval<'_>) -> Result<()> {
    let p: AutoScaleParams = ctx.params()?;
    let (input, output, bits) = (
        ctx.loc(p.input)?,
        ctx.loc(p.output)?,
        ctx.loc(p.scale_bits)?,
    );
    let (r, [out, bits_out]) = ctx.split([output, bits])?;
    let x = r.get(input)?;
    let n = p.count as usize;
    if x.len() < 2 * n || out.len() < 2 * n || bits_out.len() < 4 {
        return Err(Error::malformed("SignalFftAutoScale buffers"));
    }
    let scale = auto_scale_bits(max_abs_16(x, n));
    // TFLM: every sample multiplied by 2^scale (not shifted: negative values), to int16.
    for (v, o) in x.chunks_exact(2).zip(out.chunks_exact_mut(2)).take(n) {
        let v = i16::from_le_bytes([v[0], v[1]]);
        // input * (1 << scale) in int, stored to int16.
        o.copy_from_slice(&((v as i32).wrapping_mul(1 << scale) as i16).to_le_bytes());
    }
    put(bits_out, 0, scale.to_le_bytes());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// KISS FFT arithmetic, per scalar type
// ---------------------------------------------------------------------------------------------

/// A complex value.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct Cpx<T> {
    r: T,
    i: T,
}

/// KISS FFT's scalar operations (`_kiss_fft_guts.h`) for one build.
trait Scalar: Copy + Default {
    /// Bytes per scalar.
    const SIZE: usize;
    fn load(b: &[u8], i: usize) -> Self;
    fn store(self, b: &mut [u8], i: usize);
    /// `a + b` stored to the scalar type.
    fn add(a: Self, b: Self) -> Self;
    /// `a - b` stored to the scalar type.
    fn sub(a: Self, b: Self) -> Self;
    /// `-a` stored to the scalar type.
    fn neg(a: Self) -> Self;
    /// `S_MUL(a, b)`.
    fn smul(a: Self, b: Self) -> Self;
    /// `C_MUL(a, b)`.
    fn cmul(a: Cpx<Self>, b: Cpx<Self>) -> Cpx<Self>;
    /// `DIVSCALAR(x, k)` (nothing for float).
    fn fixdiv(x: Self, k: i32) -> Self;
    /// `HALF_OF(x)` of a stored scalar.
    fn half(x: Self) -> Self;
    /// `HALF_OF(a + b)` (the sum in the type C's promotions give it).
    fn half_sum(a: Self, b: Self) -> Self;
    /// `HALF_OF(a - b)`.
    fn half_diff(a: Self, b: Self) -> Self;
    /// A twiddle component from `cos` or `sin` of a phase (`KISS_FFT_COS`).
    fn twiddle(c: f64) -> Self;
    /// The scalar as 32 bits (to store twiddles with `push_i32s`), and back.
    fn to_bits(self) -> u32;
}

impl Scalar for i16 {
    const SIZE: usize = 2;
    fn load(b: &[u8], i: usize) -> Self {
        get::<2>(b, i).map_or(0, i16::from_le_bytes)
    }
    fn store(self, b: &mut [u8], i: usize) {
        put(b, i, self.to_le_bytes());
    }
    fn add(a: Self, b: Self) -> Self {
        a.wrapping_add(b)
    }
    fn sub(a: Self, b: Self) -> Self {
        a.wrapping_sub(b)
    }
    fn neg(a: Self) -> Self {
        a.wrapping_neg()
    }
    // sround(smul(a, b)): the int32 product, + 2^14, >> 15, to int16.
    fn smul(a: Self, b: Self) -> Self {
        ((a as i32 * b as i32).wrapping_add(1 << 14) >> 15) as i16
    }
    fn cmul(a: Cpx<Self>, b: Cpx<Self>) -> Cpx<Self> {
        let round = |x: i32| (x.wrapping_add(1 << 14) >> 15) as i16;
        Cpx {
            r: round((a.r as i32 * b.r as i32).wrapping_sub(a.i as i32 * b.i as i32)),
            i: round((a.r as i32 * b.i as i32).wrapping_add(a.i as i32 * b.r as i32)),
        }
    }
    fn fixdiv(x: Self, k: i32) -> Self {
        Self::smul(x, (32767 / k) as i16)
    }
    fn half(x: Self) -> Self {
        x >> 1
    }
    fn half_sum(a: Self, b: Self) -> Self {
        ((a as i32 + b as i32) >> 1) as i16
    }
    fn half_diff(a: Self, b: Self) -> Self {
        ((a as i32 - b as i32) >> 1) as i16
    }
    fn twiddle(c: f64) -> Self {
        libm::floor(0.5 + 32767.0 * c) as i16
    }
    fn to_bits(self) -> u32 {
        self as u16 as u32
    }
}

impl Scalar for i32 {
    const SIZE: usize = 4;
    fn load(b: &[u8], i: usize) -> Self {
        get::<4>(b, i).map_or(0, i32::from_le_bytes)
    }
    fn store(self, b: &mut [u8], i: usize) {
        put(b, i, self.to_le_bytes());
    }
    fn add(a: Self, b: Self) -> Self {
        a.wrapping_add(b)
    }
    fn sub(a: Self, b: Self) -> Self {
        a.wrapping_sub(b)
    }
    fn neg(a: Self) -> Self {
        a.wrapping_neg()
    }
    // sround(smul(a, b)): the int64 product, + 2^30, >> 31, to int32.
    fn smul(a: Self, b: Self) -> Self {
        ((a as i64 * b as i64).wrapping_add(1 << 30) >> 31) as i32
    }
    fn cmul(a: Cpx<Self>, b: Cpx<Self>) -> Cpx<Self> {
        let round = |x: i64| (x.wrapping_add(1 << 30) >> 31) as i32;
        Cpx {
            r: round((a.r as i64 * b.r as i64).wrapping_sub(a.i as i64 * b.i as i64)),
            i: round((a.r as i64 * b.i as i64).wrapping_add(a.i as i64 * b.r as i64)),
        }
    }
    fn fixdiv(x: Self, k: i32) -> Self {
        Self::smul(x, i32::MAX / k)
    }
    fn half(x: Self) -> Self {
        x >> 1
    }
    fn half_sum(a: Self, b: Self) -> Self {
        a.wrapping_add(b) >> 1
    }
    fn half_diff(a: Self, b: Self) -> Self {
        a.wrapping_sub(b) >> 1
    }
    fn twiddle(c: f64) -> Self {
        libm::floor(0.5 + 2147483647.0 * c) as i32
    }
    fn to_bits(self) -> u32 {
        self as u32
    }
}

impl Scalar for f32 {
    const SIZE: usize = 4;
    fn load(b: &[u8], i: usize) -> Self {
        get::<4>(b, i).map_or(0.0, f32::from_le_bytes)
    }
    fn store(self, b: &mut [u8], i: usize) {
        put(b, i, self.to_le_bytes());
    }
    fn add(a: Self, b: Self) -> Self {
        a + b
    }
    fn sub(a: Self, b: Self) -> Self {
        a - b
    }
    fn neg(a: Self) -> Self {
        -a
    }
    fn smul(a: Self, b: Self) -> Self {
        a * b
    }
    // Each part one product minus (plus) another, in float (no fused multiply-add).
    fn cmul(a: Cpx<Self>, b: Cpx<Self>) -> Cpx<Self> {
        Cpx {
            r: a.r * b.r - a.i * b.i,
            i: a.r * b.i + a.i * b.r,
        }
    }
    fn fixdiv(x: Self, _k: i32) -> Self {
        x
    }
    // TFLM patches HALF_OF to multiply by a float 0.5.
    fn half(x: Self) -> Self {
        x * 0.5
    }
    fn half_sum(a: Self, b: Self) -> Self {
        (a + b) * 0.5
    }
    fn half_diff(a: Self, b: Self) -> Self {
        (a - b) * 0.5
    }
    fn twiddle(c: f64) -> Self {
        c as f32
    }
    fn to_bits(self) -> u32 {
        self.to_bits()
    }
}

/// Complex element `i` of a buffer of `Cpx<T>`.
#[inline(always)]
fn cget<T: Scalar>(b: &[u8], i: usize) -> Cpx<T> {
    Cpx {
        r: T::load(b, 2 * i),
        i: T::load(b, 2 * i + 1),
    }
}

#[inline(always)]
fn cset<T: Scalar>(b: &mut [u8], i: usize, c: Cpx<T>) {
    c.r.store(b, 2 * i);
    c.i.store(b, 2 * i + 1);
}

#[inline(always)]
fn cadd<T: Scalar>(a: Cpx<T>, b: Cpx<T>) -> Cpx<T> {
    Cpx {
        r: T::add(a.r, b.r),
        i: T::add(a.i, b.i),
    }
}

#[inline(always)]
fn csub<T: Scalar>(a: Cpx<T>, b: Cpx<T>) -> Cpx<T> {
    Cpx {
        r: T::sub(a.r, b.r),
        i: T::sub(a.i, b.i),
    }
}

#[inline(always)]
fn cfixdiv<T: Scalar>(c: Cpx<T>, k: i32) -> Cpx<T> {
    Cpx {
        r: T::fixdiv(c.r, k),
        i: T::fixdiv(c.i, k),
    }
}

// ---------------------------------------------------------------------------------------------
// KISS FFT: factoring, butterflies, the complex FFT and the real split
// ---------------------------------------------------------------------------------------------

/// Most (radix, remaining length) pairs a length below 2^31 factors into.
const MAX_FACTORS: usize = 32;

/// KISS FFT's `kf_factor`: powers of 4 first, then 2, then odd numbers 3, 5, 7...; once the
/// candidate passes `floor(sqrt(n))` of the original length the rest is taken as one factor.
/// Returns the (radix, stage length) pairs and their count; `None` when a radix is not 2, 3, 4
/// or 5 (TFLM's build cannot run those) or the length is below 2.
fn factor(n: usize) -> Option<([(u32, u32); MAX_FACTORS], usize)> {
    if n < 2 {
        return None;
    }
    let mut out = [(0u32, 0u32); MAX_FACTORS];
    let mut count = 0;
    let floor_sqrt = {
        let mut s = 0usize;
        while (s + 1) * (s + 1) <= n {
            s += 1;
        }
        s
    };
    let mut p = 4usize;
    let mut n = n;
    loop {
        while !n.is_multiple_of(p) {
            p = match p {
                4 => 2,
                2 => 3,
                _ => p + 2,
            };
            if p > floor_sqrt {
                p = n;
            }
        }
        n /= p;
        if !matches!(p, 2..=5) || count >= MAX_FACTORS {
            return None;
        }
        out[count] = (p as u32, n as u32);
        count += 1;
        if n <= 1 {
            break;
        }
    }
    Some((out, count))
}

/// The complex FFT's twiddles for length `n`: `exp(-2 pi i k / n)`, the phase formed as
/// `-2 * pi * k / n` in double.
///
/// `libm`'s `cos` and `sin` differ from glibc's (the oracle's) in the last bit for about 3% of
/// these phases, but the twiddles rounded from them agree in every type for every length the
/// kernel accepts up to an FFT of 16384 (checked exhaustively against the host's glibc).
fn twiddle<T: Scalar>(k: usize, n: usize) -> Cpx<T> {
    let phase = -2.0 * core::f64::consts::PI * k as f64 / n as f64;
    Cpx {
        r: T::twiddle(libm::cos(phase)),
        i: T::twiddle(libm::sin(phase)),
    }
}

/// `kiss_fftr`'s super twiddles for a complex length `n`: phase `-pi * ((k + 1) / n + 1/2)`.
fn super_twiddle<T: Scalar>(k: usize, n: usize) -> Cpx<T> {
    let phase = -core::f64::consts::PI * ((k + 1) as f64 / n as f64 + 0.5);
    Cpx {
        r: T::twiddle(libm::cos(phase)),
        i: T::twiddle(libm::sin(phase)),
    }
}

/// The complex FFT's fixed data: its twiddles and factors.
struct Plan<'a> {
    tw: &'a [u8],
    factors: &'a [(u32, u32)],
}

/// Radix-2 butterfly (`kf_bfly2`).
fn bfly2<T: Scalar>(out: &mut [u8], at: usize, fstride: usize, plan: &Plan<'_>, m: usize) {
    for k in 0..m {
        let a = cfixdiv(cget::<T>(out, at + k), 2);
        let b = cfixdiv(cget::<T>(out, at + k + m), 2);
        let t = T::cmul(b, cget(plan.tw, k * fstride));
        cset(out, at + k + m, csub(a, t));
        cset(out, at + k, cadd(a, t));
    }
}

/// Radix-4 butterfly (`kf_bfly4`, forward).
fn bfly4<T: Scalar>(out: &mut [u8], at: usize, fstride: usize, plan: &Plan<'_>, m: usize) {
    for k in 0..m {
        let (i0, i1, i2, i3) = (at + k, at + k + m, at + k + 2 * m, at + k + 3 * m);
        let mut f0 = cfixdiv(cget::<T>(out, i0), 4);
        let f1 = cfixdiv(cget::<T>(out, i1), 4);
        let f2 = cfixdiv(cget::<T>(out, i2), 4);
        let f3 = cfixdiv(cget::<T>(out, i3), 4);
        let s0 = T::cmul(f1, cget(plan.tw, k * fstride));
        let s1 = T::cmul(f2, cget(plan.tw, 2 * k * fstride));
        let s2 = T::cmul(f3, cget(plan.tw, 3 * k * fstride));
        let s5 = csub(f0, s1);
        f0 = cadd(f0, s1);
        let s3 = cadd(s0, s2);
        let s4 = csub(s0, s2);
        cset(out, i2, csub(f0, s3));
        f0 = cadd(f0, s3);
        cset(out, i0, f0);
        cset(
            out,
            i1,
            Cpx {
                r: T::add(s5.r, s4.i),
                i: T::sub(s5.i, s4.r),
            },
        );
        cset(
            out,
            i3,
            Cpx {
                r: T::sub(s5.r, s4.i),
                i: T::add(s5.i, s4.r),
            },
        );
    }
}

/// Radix-3 butterfly (`kf_bfly3`, forward).
fn bfly3<T: Scalar>(out: &mut [u8], at: usize, fstride: usize, plan: &Plan<'_>, m: usize) {
    let epi3: Cpx<T> = cget(plan.tw, fstride * m);
    for k in 0..m {
        let (i0, i1, i2) = (at + k, at + k + m, at + k + 2 * m);
        let f0 = cfixdiv(cget::<T>(out, i0), 3);
        let f1 = cfixdiv(cget::<T>(out, i1), 3);
        let f2 = cfixdiv(cget::<T>(out, i2), 3);
        let s1 = T::cmul(f1, cget(plan.tw, k * fstride));
        let s2 = T::cmul(f2, cget(plan.tw, 2 * k * fstride));
        let s3 = cadd(s1, s2);
        let mut s0 = csub(s1, s2);
        let mut m1 = Cpx {
            r: T::sub(f0.r, T::half(s3.r)),
            i: T::sub(f0.i, T::half(s3.i)),
        };
        s0 = Cpx {
            r: T::smul(s0.r, epi3.i),
            i: T::smul(s0.i, epi3.i),
        };
        cset(out, i0, cadd(f0, s3));
        cset(
            out,
            i2,
            Cpx {
                r: T::add(m1.r, s0.i),
                i: T::sub(m1.i, s0.r),
            },
        );
        m1.r = T::sub(m1.r, s0.i);
        m1.i = T::add(m1.i, s0.r);
        cset(out, i1, m1);
    }
}

/// Radix-5 butterfly (`kf_bfly5`, forward). Sums of three terms are formed left to right.
fn bfly5<T: Scalar>(out: &mut [u8], at: usize, fstride: usize, plan: &Plan<'_>, m: usize) {
    let ya: Cpx<T> = cget(plan.tw, fstride * m);
    let yb: Cpx<T> = cget(plan.tw, fstride * 2 * m);
    let sm = T::smul;
    for u in 0..m {
        let idx = [
            at + u,
            at + u + m,
            at + u + 2 * m,
            at + u + 3 * m,
            at + u + 4 * m,
        ];
        let mut f = [Cpx::<T>::default(); 5];
        for (v, &i) in f.iter_mut().zip(&idx) {
            *v = cfixdiv(cget::<T>(out, i), 5);
        }
        let s0 = f[0];
        let s1 = T::cmul(f[1], cget(plan.tw, u * fstride));
        let s2 = T::cmul(f[2], cget(plan.tw, 2 * u * fstride));
        let s3 = T::cmul(f[3], cget(plan.tw, 3 * u * fstride));
        let s4 = T::cmul(f[4], cget(plan.tw, 4 * u * fstride));
        let s7 = cadd(s1, s4);
        let s10 = csub(s1, s4);
        let s8 = cadd(s2, s3);
        let s9 = csub(s2, s3);
        // Fout0->r += scratch[7].r + scratch[8].r: the pair summed first.
        let f0 = Cpx {
            r: T::add(f[0].r, T::add(s7.r, s8.r)),
            i: T::add(f[0].i, T::add(s7.i, s8.i)),
        };
        let s5 = Cpx {
            r: T::add(T::add(s0.r, sm(s7.r, ya.r)), sm(s8.r, yb.r)),
            i: T::add(T::add(s0.i, sm(s7.i, ya.r)), sm(s8.i, yb.r)),
        };
        let s6 = Cpx {
            r: T::add(sm(s10.i, ya.i), sm(s9.i, yb.i)),
            i: T::sub(T::neg(sm(s10.r, ya.i)), sm(s9.r, yb.i)),
        };
        let s11 = Cpx {
            r: T::add(T::add(s0.r, sm(s7.r, yb.r)), sm(s8.r, ya.r)),
            i: T::add(T::add(s0.i, sm(s7.i, yb.r)), sm(s8.i, ya.r)),
        };
        let s12 = Cpx {
            r: T::add(T::neg(sm(s10.i, yb.i)), sm(s9.i, ya.i)),
            i: T::sub(sm(s10.r, yb.i), sm(s9.r, ya.i)),
        };
        cset(out, idx[0], f0);
        cset(out, idx[1], csub(s5, s6));
        cset(out, idx[4], cadd(s5, s6));
        cset(out, idx[2], cadd(s11, s12));
        cset(out, idx[3], csub(s11, s12));
    }
}

/// KISS FFT's `kf_work`: the FFT of `input[f_at], input[f_at + fstride], ...` into
/// `out[at..at + p * m]`, by `p` sub-FFTs of length `m` (recursively, one level per factor)
/// recombined by a radix-`p` butterfly.
fn kf_work<T: Scalar>(
    out: &mut [u8],
    at: usize,
    input: &[u8],
    f_at: usize,
    fstride: usize,
    plan: &Plan<'_>,
    level: usize,
) {
    let Some(&(p, m)) = plan.factors.get(level) else {
        return;
    };
    let (p, m) = (p as usize, m as usize);
    if m == 1 {
        for j in 0..p {
            cset(out, at + j, cget::<T>(input, f_at + j * fstride));
        }
    } else {
        for j in 0..p {
            kf_work::<T>(
                out,
                at + j * m,
                input,
                f_at + j * fstride,
                fstride * p,
                plan,
                level + 1,
            );
        }
    }
    match p {
        2 => bfly2::<T>(out, at, fstride, plan, m),
        3 => bfly3::<T>(out, at, fstride, plan, m),
        4 => bfly4::<T>(out, at, fstride, plan, m),
        _ => bfly5::<T>(out, at, fstride, plan, m),
    }
}

/// `kiss_fftr`: the real FFT of `time` (`2 * ncfft` scalars) into `freq` (`ncfft + 1` complex
/// bins), through the complex FFT of the (even, odd) pairs into `tmp` (`ncfft` complex).
fn kiss_fftr<T: Scalar>(
    time: &[u8],
    tmp: &mut [u8],
    freq: &mut [u8],
    freq_at: usize,
    ncfft: usize,
    plan: &Plan<'_>,
    super_tw: &[u8],
) {
    kf_work::<T>(tmp, 0, time, 0, 1, plan, 0);
    // DC and Nyquist from the first bin: the even sum plus (minus) the odd sum.
    let tdc = cfixdiv(cget::<T>(tmp, 0), 2);
    cset(
        freq,
        freq_at,
        Cpx {
            r: T::add(tdc.r, tdc.i),
            i: T::default(),
        },
    );
    cset(
        freq,
        freq_at + ncfft,
        Cpx {
            r: T::sub(tdc.r, tdc.i),
            i: T::default(),
        },
    );
    for k in 1..=ncfft / 2 {
        let fpk = cfixdiv(cget::<T>(tmp, k), 2);
        let nk: Cpx<T> = cget(tmp, ncfft - k);
        let fpnk = cfixdiv(
            Cpx {
                r: nk.r,
                i: T::neg(nk.i),
            },
            2,
        );
        let f1k = cadd(fpk, fpnk);
        let f2k = csub(fpk, fpnk);
        let tw = T::cmul(f2k, cget(super_tw, k - 1));
        cset(
            freq,
            freq_at + k,
            Cpx {
                r: T::half_sum(f1k.r, tw.r),
                i: T::half_sum(f1k.i, tw.i),
            },
        );
        cset(
            freq,
            freq_at + ncfft - k,
            Cpx {
                r: T::half_diff(f1k.r, tw.r),
                i: T::half_diff(tw.i, f1k.i),
            },
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SignalRfft
// ---------------------------------------------------------------------------------------------

const KIND_I16: u32 = 0;
const KIND_I32: u32 = 1;
const KIND_F32: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RfftParams {
    input: TensorId,
    output: TensorId,
    kind: u32,
    fft_length: u32,
    /// Samples per frame (the input's last dimension), at most `fft_length`.
    input_length: u32,
    /// Frames.
    frames: u32,
    /// Complex bins per output frame (`fft_length / 2 + 1`).
    output_length: u32,
    /// `fft_length / 2` complex twiddles.
    twiddles: ArrayRef,
    /// `fft_length / 4` super twiddles.
    super_twiddles: ArrayRef,
    /// (radix, stage length) pairs, two i32 each.
    factors: ArrayRef,
}

/// Twiddle `k` of an FFT of complex length `n`, as the bits `push_i32s` stores.
type TwiddleFn = fn(usize, usize) -> (u32, u32);

fn prepare_rfft(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("SignalRfft takes one input and one output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    let map = ctx.custom_options()?;
    // TFLM looks `T` up by key, then reads `fft_length` by position.
    let ty = map
        .get(b"T")?
        .and_then(|v| v.as_i64().ok())
        .ok_or(ctx.unsupported("custom options without T"))?;
    let fft_length = option(ctx, &map, 1, "fft_length")?;
    let (kind, dtype) = match ty {
        7 => (KIND_I16, DType::I16),
        2 => (KIND_I32, DType::I32),
        0 => (KIND_F32, DType::F32),
        _ => return Err(ctx.unsupported("a T other than int16, int32 or float32")),
    };
    if input.dtype != dtype || output.dtype != dtype {
        return Err(ctx.unsupported("tensors of a type other than T"));
    }
    if input.shape.rank() != output.shape.rank() || input.shape.rank() == 0 {
        return Err(ctx.invalid("SignalRfft tensor ranks"));
    }
    if fft_length < 4 || fft_length % 2 != 0 {
        return Err(ctx.unsupported("an FFT length that is odd or below 4"));
    }
    let n = fft_length as usize;
    let ncfft = n / 2;
    let (factors, nf) = factor(ncfft)
        .ok_or(ctx.unsupported("an FFT length whose half has prime factors other than 2, 3, 5"))?;
    let rank = input.shape.rank();
    let input_length = input.shape.dim(rank - 1) as usize;
    let output_last = output.shape.dim(rank - 1) as usize;
    if input_length == 0 || input_length > n {
        return Err(ctx.invalid("SignalRfft frame longer than the FFT (or empty)"));
    }
    if output_last != 2 * (ncfft + 1) {
        return Err(ctx.invalid("SignalRfft output frame is not fft_length / 2 + 1 bins"));
    }
    let frames = input.elements() / input_length;
    if output.elements() != frames * output_last {
        return Err(ctx.invalid("SignalRfft input and output frame counts differ"));
    }
    let size = match kind {
        KIND_I16 => 2,
        _ => 4,
    };
    let words = if kind == KIND_I16 { 1 } else { 2 };
    let push = |ctx: &mut Prepare<'_, '_>, count: usize, f: TwiddleFn| {
        ctx.push_i32s(count * words, |w| {
            let (re, im) = f(w / words, ncfft);
            Ok(if words == 1 {
                (re | (im << 16)) as i32
            } else if w % 2 == 0 {
                re as i32
            } else {
                im as i32
            })
        })
    };
    fn bits<T: Scalar>(c: Cpx<T>) -> (u32, u32) {
        (c.r.to_bits(), c.i.to_bits())
    }
    let (tw, stw): (TwiddleFn, TwiddleFn) = match kind {
        KIND_I16 => (
            |k, n| bits(twiddle::<i16>(k, n)),
            |k, n| bits(super_twiddle::<i16>(k, n)),
        ),
        KIND_I32 => (
            |k, n| bits(twiddle::<i32>(k, n)),
            |k, n| bits(super_twiddle::<i32>(k, n)),
        ),
        _ => (
            |k, n| bits(twiddle::<f32>(k, n)),
            |k, n| bits(super_twiddle::<f32>(k, n)),
        ),
    };
    let twiddles = push(ctx, ncfft, tw)?;
    let super_twiddles = push(ctx, ncfft / 2, stw)?;
    let factors = ctx.push_i32s(2 * nf, |w| {
        let (p, m) = factors.get(w / 2).copied().unwrap_or((0, 0));
        Ok(if w % 2 == 0 { p as i32 } else { m as i32 })
    })?;
    // The frame, zero-padded to the FFT length, then the complex FFT's output.
    ctx.request_scratch(n * size + ncfft * 2 * size);
    // About four multiplies per bin per stage.
    ctx.set_macs(
        (frames as u64)
            .saturating_mul(ncfft as u64)
            .saturating_mul(4 * (nf as u64 + 1)),
    );
    let p = RfftParams {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        kind,
        fft_length: n as u32,
        input_length: input_length as u32,
        frames: frames as u32,
        output_length: (ncfft + 1) as u32,
        twiddles,
        super_twiddles,
        factors,
    };
    ctx.set_params(&p)
}

fn run_rfft<T: Scalar>(
    p: &RfftParams,
    x: &[u8],
    out: &mut [u8],
    scratch: &mut [u8],
    plan: &Plan<'_>,
    super_tw: &[u8],
) {
    let (n, len) = (p.fft_length as usize, p.input_length as usize);
    let ncfft = n / 2;
    let (work, tmp) = scratch.split_at_mut(n * T::SIZE);
    // TFLM: frame by frame, the frame copied into the work area and zero-padded, then
    // `kiss_fftr` into the frame's bins.
    for f in 0..p.frames as usize {
        // memcpy the frame, memset the rest of the FFT length to zero.
        let src = x
            .get(f * len * T::SIZE..(f + 1) * len * T::SIZE)
            .unwrap_or(&[]);
        if let Some(dst) = work.get_mut(..src.len()) {
            dst.copy_from_slice(src);
        }
        if let Some(rest) = work.get_mut(src.len()..) {
            rest.fill(0);
        }
        let at = f * p.output_length as usize;
        kiss_fftr::<T>(work, tmp, out, at, ncfft, plan, super_tw);
    }
}

fn eval_rfft(ctx: &mut Eval<'_>) -> Result<()> {
    let p: RfftParams = ctx.params()?;
    let (input, output, scratch) = (ctx.loc(p.input)?, ctx.loc(p.output)?, ctx.scratch());
    let (r, [out, scratch]) = ctx.split([output, scratch])?;
    let x = r.get(input)?;
    let (tw, stw, fac) = (
        r.get(p.twiddles.loc())?,
        r.get(p.super_twiddles.loc())?,
        r.get(p.factors.loc())?,
    );
    let size = if p.kind == KIND_I16 { 2 } else { 4 };
    let (n, ncfft) = (p.fft_length as usize, p.fft_length as usize / 2);
    let frames = p.frames as usize;
    if x.len() < frames * p.input_length as usize * size
        || p.input_length > p.fft_length
        || out.len() < frames * p.output_length as usize * 2 * size
        || p.output_length as usize != ncfft + 1
        || scratch.len() < (n + 2 * ncfft) * size
        || tw.len() < ncfft * 2 * size
        || stw.len() < ncfft / 2 * 2 * size
    {
        return Err(Error::malformed("SignalRfft buffers"));
    }
    let mut factors = [(0u32, 0u32); MAX_FACTORS];
    let nf = (fac.len() / 8).min(MAX_FACTORS);
    for (k, f) in factors.iter_mut().enumerate().take(nf) {
        let p = get::<4>(fac, 2 * k).map_or(0, u32::from_le_bytes);
        let m = get::<4>(fac, 2 * k + 1).map_or(0, u32::from_le_bytes);
        *f = (p, m);
    }
    let plan = Plan {
        tw,
        factors: &factors[..nf],
    };
    match p.kind {
        KIND_I16 => run_rfft::<i16>(&p, x, out, scratch, &plan, stw),
        KIND_I32 => run_rfft::<i32>(&p, x, out, scratch, &plan, stw),
        _ => run_rfft::<f32>(&p, x, out, scratch, &plan, stw),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_scale_quirks() {
        let bytes = |v: &[i16]| -> [u8; 8] {
            let mut b = [0u8; 8];
            for (i, x) in v.iter().enumerate() {
                b[2 * i..2 * i + 2].copy_from_slice(&x.to_le_bytes());
            }
            b
        };
        assert_eq!(max_abs_16(&bytes(&[3, -7, 5, 0]), 4), 7);
        // -32768 stores -32768, then 5 exceeds it.
        assert_eq!(max_abs_16(&bytes(&[-32768, 5, 0, 0]), 4), 5);
        assert_eq!(max_abs_16(&bytes(&[5, -32768, 0, 0]), 2), -32768);
        assert_eq!(
            max_abs_16(&bytes(&[5, -32768, 0, 0]), 3),
            0,
            "and 0 exceeds -32768"
        );
        assert_eq!(auto_scale_bits(0), 0, "GCC msb(0) = 32");
        assert_eq!(auto_scale_bits(1), 14);
        assert_eq!(auto_scale_bits(7), 12);
        assert_eq!(auto_scale_bits(0x4000), 0);
        assert_eq!(auto_scale_bits(-32768), 0);
    }

    #[test]
    fn factors_like_kiss() {
        let f = |n| factor(n).map(|(f, c)| f[..c].to_vec());
        assert_eq!(f(256), Some(vec![(4, 64), (4, 16), (4, 4), (4, 1)]));
        assert_eq!(f(8), Some(vec![(4, 2), (2, 1)]));
        assert_eq!(f(2), Some(vec![(2, 1)]));
        assert_eq!(f(30), Some(vec![(2, 15), (3, 5), (5, 1)]));
        assert_eq!(f(25), Some(vec![(5, 5), (5, 1)]));
        assert_eq!(f(14), None, "radix 7");
        assert_eq!(f(1), None);
    }

    #[test]
    fn twiddles_are_rounded_cosines() {
        let t = twiddle::<i16>(0, 8);
        assert_eq!((t.r, t.i), (32767, 0));
        let t = twiddle::<i16>(2, 8); // -pi/2
        assert_eq!((t.r, t.i), (0, -32767));
        let t = twiddle::<i16>(1, 8); // -pi/4: 32767 * 0.7071 = 23169.8
        assert_eq!((t.r, t.i), (23170, -23170));
    }

    /// The float real FFT against a direct DFT.
    #[test]
    fn float_rfft_matches_dft() {
        for n in [4usize, 8, 12, 20, 30, 48, 64] {
            let ncfft = n / 2;
            let (factors, nf) = factor(ncfft).unwrap();
            let mut tw = vec![0u8; ncfft * 8];
            for k in 0..ncfft {
                cset(&mut tw, k, twiddle::<f32>(k, ncfft));
            }
            let mut stw = vec![0u8; (ncfft / 2).max(1) * 8];
            for k in 0..ncfft / 2 {
                cset(&mut stw, k, super_twiddle::<f32>(k, ncfft));
            }
            let plan = Plan {
                tw: &tw,
                factors: &factors[..nf],
            };
            let x: Vec<f32> = (0..n).map(|i| ((i * 7 + 3) % 11) as f32 - 5.0).collect();
            let time: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
            let mut tmp = vec![0u8; ncfft * 8];
            let mut freq = vec![0u8; (ncfft + 1) * 8];
            kiss_fftr::<f32>(&time, &mut tmp, &mut freq, 0, ncfft, &plan, &stw);
            for k in 0..=ncfft {
                let (mut re, mut im) = (0f64, 0f64);
                for (j, &v) in x.iter().enumerate() {
                    let ph = -2.0 * core::f64::consts::PI * (j * k) as f64 / n as f64;
                    re += v as f64 * ph.cos();
                    im += v as f64 * ph.sin();
                }
                let c: Cpx<f32> = cget(&freq, k);
                assert!(
                    (c.r as f64 - re).abs() < 1e-3,
                    "n {n} bin {k}: {} vs {re}",
                    c.r
                );
                assert!(
                    (c.i as f64 - im).abs() < 1e-3,
                    "n {n} bin {k}: {} vs {im}",
                    c.i
                );
            }
        }
    }

    /// The int16 real FFT of a full-scale cosine at bin 4 of 64: the fixed-point FFT divides by
    /// the length, so the bin holds about 32767 * 64 / 2 / 64 = 16383.
    #[test]
    fn int16_rfft_finds_a_cosine() {
        let n = 64;
        let ncfft = n / 2;
        let (factors, nf) = factor(ncfft).unwrap();
        let mut tw = vec![0u8; ncfft * 4];
        for k in 0..ncfft {
            cset(&mut tw, k, twiddle::<i16>(k, ncfft));
        }
        let mut stw = vec![0u8; ncfft / 2 * 4];
        for k in 0..ncfft / 2 {
            cset(&mut stw, k, super_twiddle::<i16>(k, ncfft));
        }
        let plan = Plan {
            tw: &tw,
            factors: &factors[..nf],
        };
        let time: Vec<u8> = (0..n)
            .flat_map(|j| {
                let v = 32767.0 * (2.0 * core::f64::consts::PI * 4.0 * j as f64 / n as f64).cos();
                (v.round() as i16).to_le_bytes()
            })
            .collect();
        let mut tmp = vec![0u8; ncfft * 4];
        let mut freq = vec![0u8; (ncfft + 1) * 4];
        kiss_fftr::<i16>(&time, &mut tmp, &mut freq, 0, ncfft, &plan, &stw);
        for k in 0..=ncfft {
            let c: Cpx<i16> = cget(&freq, k);
            if k == 4 {
                assert!((c.r as i32 - 16383).abs() < 8, "{c:?}");
            } else {
                assert!(c.r.abs() < 8 && c.i.abs() < 8, "bin {k}: {c:?}");
            }
        }
    }
}
