//! CAST: element-wise `static_cast` between the types TFLM micro's `cast.cc` handles — from
//! int8, int16, int32, uint32, float32 or bool to int8, int16, int32, uint32 or float32.
//!
//! Integer to integer wraps (two's complement truncation or sign extension, as C++ converts);
//! integer to float rounds to nearest even. Float to integer truncates toward zero; out of range
//! it is undefined in C++, and the oracle (PyPI `tflite-micro` on x86-64) saturates, with NaN
//! giving 0 — exactly Rust's `as`, which the kernel uses (pinned by conformance cases).

use bytemuck::{Pod, Zeroable};

use super::{Eval, Prepare, Registration, TensorId};
use crate::error::{Error, Result};
use crate::tensor::DType;

/// CAST. Version 2 adds uint32, 3 int8; 4 and up are uint16, float16/64, int4, bfloat16, types
/// the engine does not hold.
pub const CAST: Registration = Registration {
    code: 53,
    max_version: 3,
    prepare,
    eval,
    aliases_input: false,
};

const T_I8: u32 = 0;
const T_I16: u32 = 1;
const T_I32: u32 = 2;
const T_U32: u32 = 3;
const T_F32: u32 = 4;
const T_BOOL: u32 = 5;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    input: TensorId,
    output: TensorId,
    from: u32,
    to: u32,
    count: u32,
}

fn type_code(d: DType) -> Option<u32> {
    Some(match d {
        DType::I8 => T_I8,
        DType::I16 => T_I16,
        DType::I32 => T_I32,
        DType::U32 => T_U32,
        DType::F32 => T_F32,
        DType::Bool => T_BOOL,
        _ => return None,
    })
}

fn size(t: u32) -> usize {
    match t {
        T_I8 | T_BOOL => 1,
        T_I16 => 2,
        _ => 4,
    }
}

fn prepare(ctx: &mut Prepare<'_, '_>) -> Result<()> {
    if ctx.input_count()? != 1 || ctx.output_count()? != 1 {
        return Err(ctx.invalid("CAST takes one input and one output"));
    }
    let input = ctx.input(0)?;
    let output = ctx.output(0)?;
    let from = type_code(input.dtype).ok_or(ctx.unsupported("this input type"))?;
    let to = type_code(output.dtype)
        .filter(|&t| t != T_BOOL)
        .ok_or(ctx.unsupported("this output type"))?;
    // TFLM: MatchingFlatSize of the two shapes.
    if input.elements() != output.elements() {
        return Err(ctx.invalid("CAST input and output sizes differ"));
    }
    let p = Params {
        input: ctx.input_id(0)?,
        output: ctx.output_id(0)?,
        from,
        to,
        count: output.elements() as u32,
    };
    ctx.set_params(&p)
}

/// A value on its way through a cast: integers exactly (uint32 and int32 both fit i64), floats
/// as themselves.
#[derive(Clone, Copy)]
enum Value {
    Int(i64),
    Float(f32),
}

/// Element `i` of `b`, of type `t` (a missing element reads as zero; `eval` checks lengths).
#[cfg(test)]
fn load(b: &[u8], t: u32, i: usize) -> Value {
    let n = size(t);
    decode(b.get(n * i..n * i + n).unwrap_or(&[]), t)
}

/// The value in `s` (one element of type `t`, little-endian).
#[inline(always)]
fn decode(s: &[u8], t: u32) -> Value {
    let mut a = [0u8; 4];
    if let (Some(d), Some(src)) = (a.get_mut(..size(t)), s.get(..size(t))) {
        d.copy_from_slice(src);
    }
    match t {
        T_I8 => Value::Int(a[0] as i8 as i64),
        T_BOOL => Value::Int((a[0] != 0) as i64),
        T_I16 => Value::Int(i16::from_le_bytes([a[0], a[1]]) as i64),
        T_I32 => Value::Int(i32::from_le_bytes(a) as i64),
        T_U32 => Value::Int(u32::from_le_bytes(a) as i64),
        _ => Value::Float(f32::from_le_bytes(a)),
    }
}

/// Element `i` of `out` set to `v` as type `t`.
#[cfg(test)]
fn store(out: &mut [u8], t: u32, i: usize, v: Value) {
    let n = size(t);
    if let Some(o) = out.get_mut(n * i..n * i + n) {
        encode(o, t, v);
    }
}

/// `static_cast<To>(v)` written into `o` (one element of type `t`): wrapping for integers,
/// round-to-nearest-even for integer to float, saturating truncation for float to integer (the
/// oracle's behaviour, see the module doc).
#[inline(always)]
fn encode(o: &mut [u8], t: u32, v: Value) {
    let bytes: [u8; 4] = match (t, v) {
        (T_I8, Value::Int(x)) => [x as i8 as u8, 0, 0, 0],
        (T_I8, Value::Float(x)) => [x as i8 as u8, 0, 0, 0],
        (T_I16, Value::Int(x)) => (x as i32 as u32).to_le_bytes(),
        (T_I16, Value::Float(x)) => (x as i16 as u16 as u32).to_le_bytes(),
        (T_I32, Value::Int(x)) => (x as i32).to_le_bytes(),
        (T_I32, Value::Float(x)) => (x as i32).to_le_bytes(),
        (T_U32, Value::Int(x)) => (x as u32).to_le_bytes(),
        (T_U32, Value::Float(x)) => (x as u32).to_le_bytes(),
        // int32 and uint32 round to the nearest float (ties to even), as C++ converts.
        (_, Value::Int(x)) => (x as f32).to_le_bytes(),
        (_, Value::Float(x)) => x.to_le_bytes(),
    };
    if let Some(b) = bytes.get(..o.len()) {
        o.copy_from_slice(b);
    }
}

/// The conversion loop for one (from, to) pair. Generic over both so that each pair compiles
/// to its own tight loop (the type tests fold away): the audio front end casts hundreds of
/// elements several times per window.
fn convert<const F: u32, const T: u32>(x: &[u8], out: &mut [u8], n: usize) {
    for (s, o) in x
        .chunks_exact(size(F))
        .zip(out.chunks_exact_mut(size(T)))
        .take(n)
    {
        encode(o, T, decode(s, F));
    }
}

/// [`convert`] for type codes known at run time: one monomorphic loop per pair.
fn convert_dyn(from: u32, to: u32, x: &[u8], out: &mut [u8], n: usize) {
    macro_rules! to {
        ($f:expr) => {
            match to {
                T_I8 => convert::<{ $f }, T_I8>(x, out, n),
                T_I16 => convert::<{ $f }, T_I16>(x, out, n),
                T_I32 => convert::<{ $f }, T_I32>(x, out, n),
                T_U32 => convert::<{ $f }, T_U32>(x, out, n),
                _ => convert::<{ $f }, T_F32>(x, out, n),
            }
        };
    }
    match from {
        T_I8 => to!(T_I8),
        T_I16 => to!(T_I16),
        T_I32 => to!(T_I32),
        T_U32 => to!(T_U32),
        T_F32 => to!(T_F32),
        _ => to!(T_BOOL),
    }
}

fn eval(ctx: &mut Eval<'_>) -> Result<()> {
    let p: Params = ctx.params()?;
    let (input, output) = (ctx.loc(p.input)?, ctx.loc(p.output)?);
    let (r, [out]) = ctx.split([output])?;
    let x = r.get(input)?;
    let n = p.count as usize;
    if x.len() < n * size(p.from) || out.len() < n * size(p.to) {
        return Err(Error::malformed("CAST buffers"));
    }
    // One conversion per element, in order (std::transform).
    convert_dyn(p.from, p.to, x, out, n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(from: u32, to: u32, x: &[u8]) -> [u8; 4] {
        let mut out = [0u8; 4];
        store(&mut out, to, 0, load(x, from, 0));
        out
    }

    #[test]
    fn integers_wrap() {
        assert_eq!(cast(T_I32, T_I8, &300i32.to_le_bytes())[0], 44);
        assert_eq!(cast(T_I32, T_I8, &(-129i32).to_le_bytes())[0] as i8, 127);
        assert_eq!(
            cast(T_U32, T_I32, &u32::MAX.to_le_bytes()),
            (-1i32).to_le_bytes()
        );
        assert_eq!(
            cast(T_I32, T_U32, &(-5i32).to_le_bytes()),
            (u32::MAX - 4).to_le_bytes()
        );
        assert_eq!(
            cast(T_I16, T_I32, &(-2i16).to_le_bytes()),
            (-2i32).to_le_bytes()
        );
        assert_eq!(cast(T_BOOL, T_I32, &[7]), 1i32.to_le_bytes());
    }

    #[test]
    fn floats_truncate_and_saturate() {
        let f = |v: f32| v.to_le_bytes();
        assert_eq!(cast(T_F32, T_I32, &f(-2.7)), (-2i32).to_le_bytes());
        assert_eq!(cast(T_F32, T_I8, &f(300.5))[0] as i8, 127);
        assert_eq!(cast(T_F32, T_I16, &f(-1e9))[..2], (-32768i16).to_le_bytes());
        assert_eq!(cast(T_F32, T_U32, &f(-1.5)), 0u32.to_le_bytes());
        assert_eq!(cast(T_F32, T_I32, &f(f32::NAN)), 0i32.to_le_bytes());
        // 2^24 + 1 rounds to even.
        assert_eq!(
            cast(T_U32, T_F32, &16_777_217u32.to_le_bytes()),
            16_777_216f32.to_le_bytes()
        );
    }
}
