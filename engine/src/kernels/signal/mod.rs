//! TFLM's Signal library: the custom ops (`Signal*`) that TFLM's audio front-end models are made
//! of — `audio_preprocessor_int8.tflite`, micro_speech's feature generator, chains window, FFT,
//! energy, mel filterbank, noise reduction, PCAN gain control and log. One file per op family;
//! each kernel mirrors `signal/micro/kernels/*.cc` over `signal/src/*.cc` in TFLM's tree.
//!
//! Their parameters come from a FlexBuffer map in the op's `custom_options`; TFLM reads each by
//! its position among the alphabetically sorted keys, and so does [`option`], after checking the
//! key.

pub mod energy;
pub mod fft;
pub mod filter_bank;
pub mod pcan;
pub mod window;

use super::{Prepare, Registration};
use crate::error::Result;
use crate::format::flexbuffer::Map;
use crate::format::schema::CUSTOM_CODE;

/// A Signal op's registration: a custom op, version 1 (TFLM does not version custom ops).
const fn custom(
    prepare: fn(&mut Prepare<'_, '_>) -> Result<()>,
    eval: fn(&mut super::Eval<'_>) -> Result<()>,
) -> Registration {
    Registration {
        code: CUSTOM_CODE,
        max_version: 1,
        prepare,
        eval,
        aliases_input: false,
    }
}

/// Integer option `key`, at `index` among the sorted keys, read as TFLM's
/// `FlexbufferWrapper::ElementAsInt32` reads it (the raw slot, truncated to 32 bits).
fn option(ctx: &Prepare<'_, '_>, map: &Map<'_>, index: usize, key: &'static str) -> Result<i32> {
    map.int(index, key.as_bytes())
        .map(|v| v as i32)
        .ok_or(ctx.unsupported("custom options missing an integer TFLM expects"))
}

/// TFLM's `MostSignificantBit32` as GCC builds it (`32 - __builtin_clz(x)`): the 1-based index
/// of the highest set bit — and 32 for zero, where the portable version gives 0.
#[inline(always)]
fn most_significant_bit_32(x: u32) -> u32 {
    if x == 0 {
        32
    } else {
        32 - x.leading_zeros()
    }
}

/// Reads element `i` of a little-endian buffer of `N`-byte values.
#[inline(always)]
fn get<const N: usize>(b: &[u8], i: usize) -> Option<[u8; N]> {
    let s = b.get(N * i..N * i + N)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Some(a)
}

/// Writes element `i` of a little-endian buffer of `N`-byte values (nothing when out of range;
/// callers check lengths first).
#[inline(always)]
fn put<const N: usize>(b: &mut [u8], i: usize, v: [u8; N]) {
    if let Some(d) = b.get_mut(N * i..N * i + N) {
        d.copy_from_slice(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msb_like_gcc() {
        assert_eq!(most_significant_bit_32(0), 32);
        assert_eq!(most_significant_bit_32(1), 1);
        assert_eq!(most_significant_bit_32(0x8000_0000), 32);
        assert_eq!(most_significant_bit_32(5), 3);
    }
}
