//! Stage 6: fixed-point natural log, scaled and saturated to `u16` (TFLM `log_scale.c`,
//! `log_lut.c`).
//!
//! `log2(x)` is the position of the top bit plus a 16-bit fraction: the bits below the top one
//! read as `t` in [0, 1), corrected by a 128-segment piecewise-linear table of
//! `log2(1 + t) - t`. It is then multiplied by ln 2 in Q16 and by `2^scale_shift`.

use super::{msb32, FrontendError, Result};

/// Fractional bits of the log (`kLogScaleLog2`).
const LOG_SCALE_LOG2: u32 = 16;
/// `2^LOG_SCALE_LOG2`.
const LOG_SCALE: u32 = 1 << LOG_SCALE_LOG2;
/// log2 of the number of table segments (`kLogSegmentsLog2`).
const LOG_SEGMENTS_LOG2: u32 = 7;
/// ln 2 in Q16 (`kLogCoeff`): 0.693147 * 65536 = 45426.09.
const LOG_COEFF: u64 = 45426;

/// `kLogLut`: `round(65536 * (log2(1 + i/128) - i/128))` for i in 0..=128, and a zero pad (the
/// test below recomputes it).
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

/// Whether to take the log, its output scale and the input's fixed-point correction.
#[derive(Clone)]
pub struct LogScale {
    enabled: bool,
    scale_shift: u32,
    correction_bits: i32,
}

impl LogScale {
    /// Unconfigured.
    pub const EMPTY: LogScale = LogScale {
        enabled: false,
        scale_shift: 0,
        correction_bits: 0,
    };

    /// `LogScalePopulateState`; `correction_bits` is the frontend's input correction (the
    /// value is shifted left by it, or right if negative, before the log).
    pub fn configure(
        &mut self,
        enabled: bool,
        scale_shift: u32,
        correction_bits: i32,
    ) -> Result<()> {
        if scale_shift >= 32 {
            return Err(FrontendError::invalid("log scale_shift must be below 32"));
        }
        if !(-31..=31).contains(&correction_bits) {
            return Err(FrontendError::invalid("log input correction out of range"));
        }
        *self = LogScale {
            enabled,
            scale_shift,
            correction_bits,
        };
        Ok(())
    }

    /// `LogScaleApply`: `output[i]` from `signal[i]`.
    pub fn apply(&self, signal: &[u32], output: &mut [u16]) {
        for (out, &v) in output.iter_mut().zip(signal) {
            let mut value = v;
            if self.enabled {
                // Bits shifted out of the u32 are lost, as in C.
                value = if self.correction_bits < 0 {
                    value >> self.correction_bits.unsigned_abs()
                } else {
                    value << self.correction_bits as u32
                };
                value = if value > 1 {
                    log(value, self.scale_shift)
                } else {
                    0
                };
            }
            *out = value.min(0xFFFF) as u16;
        }
    }
}

/// `Log2FractionPart`: the Q16 fraction of `log2(x)`, `log2x` being its integer part.
fn log2_fraction_part(x: u32, log2x: u32) -> u32 {
    // x - 2^log2x is below 2^31 (x < 2^(log2x + 1)), so it fits the C's int32.
    let mut frac = (i64::from(x) - (1i64 << log2x)) as i32;
    if log2x < LOG_SCALE_LOG2 {
        frac <<= LOG_SCALE_LOG2 - log2x;
    } else {
        frac >>= log2x - LOG_SCALE_LOG2;
    }
    // frac is in [0, 2^16): base_seg is in 0..128 and base_seg + 1 within the table.
    let base_seg = (frac as u32 >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)) as usize;
    let seg_unit = (1u32 << LOG_SCALE_LOG2) >> LOG_SEGMENTS_LOG2;
    let c0 = i32::from(LOG_LUT.get(base_seg).copied().unwrap_or(0));
    let c1 = i32::from(LOG_LUT.get(base_seg + 1).copied().unwrap_or(0));
    let seg_base = (seg_unit as i32).wrapping_mul(base_seg as i32);
    let rel_pos = (c1 - c0).wrapping_mul(frac - seg_base) >> LOG_SCALE_LOG2;
    frac.wrapping_add(c0).wrapping_add(rel_pos) as u32
}

/// TFLM's `Log`: `ln(x) * 2^scale_shift` rounded, for `x > 1`.
fn log(x: u32, scale_shift: u32) -> u32 {
    let integer = msb32(x) - 1;
    let fraction = log2_fraction_part(x, integer);
    let log2 = (integer << LOG_SCALE_LOG2).wrapping_add(fraction);
    let round = LOG_SCALE / 2;
    let loge = ((LOG_COEFF * u64::from(log2) + u64::from(round)) >> LOG_SCALE_LOG2) as u32;
    (loge << scale_shift).wrapping_add(round) >> LOG_SCALE_LOG2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_log2_correction() {
        for (i, &v) in LOG_LUT.iter().take(129).enumerate() {
            let t = i as f64 / 128.0;
            let expect = (65536.0 * (libm::log2(1.0 + t) - t)).round() as u16;
            assert_eq!(v, expect, "{i}");
        }
    }

    #[test]
    fn log_by_hand() {
        // Powers of two are exact in log2: ln(2^k) * 64 = 44.36 k.
        assert_eq!(log(2, 6), 44); // 0.693 * 64 = 44.36
        assert_eq!(log(1024, 6), 444); // 6.93 * 64 = 443.6
        assert_eq!(log(1 << 16, 0), 11); // 11.09
                                         // 3: log2 = 1 + 0.5 + lut correction 0.0850 -> 1.585; ln 3 = 1.0986; * 64 = 70.3
        assert_eq!(log(3, 6), 70);
        for x in [5u32, 77, 1000, 65_535, 1_000_000, u32::MAX] {
            let exact = (x as f64).ln() * 64.0;
            assert!((log(x, 6) as f64 - exact).abs() <= 1.0, "{x}");
        }
    }

    #[test]
    fn apply_corrects_clamps_and_zeroes() {
        let mut ls = LogScale::EMPTY;
        ls.configure(true, 6, 3).unwrap();
        let mut out = [9u16; 4];
        // 0 and 0 << 3 stay 0; 1 << 3 = 8 -> ln 8 * 64 = 133; u32::MAX << 3 wraps.
        ls.apply(&[0, 1, 128, u32::MAX], &mut out);
        assert_eq!(out[..3], [0, log(8, 6) as u16, log(1024, 6) as u16]);
        assert_eq!(out[3], log(u32::MAX << 3, 6) as u16);
        ls.configure(true, 6, -2).unwrap();
        ls.apply(&[4, 7, 8, 0], &mut out);
        assert_eq!(out, [0, 0, log(2, 6) as u16, 0]);
        // Without the log: no correction, saturated to u16.
        ls.configure(false, 6, 3).unwrap();
        ls.apply(&[0, 1, 70_000, 65_535], &mut out);
        assert_eq!(out, [0, 1, 65_535, 65_535]);
        // With the log the result is a u32 shifted right by 16, so it never needs the clamp;
        // a large scale wraps in u32 as in C (ln(2^32) * 2^16 << 16 loses its top bits).
        ls.configure(true, 16, 0).unwrap();
        ls.apply(&[u32::MAX, 0, 0, 0], &mut out);
        assert_eq!(out[0], 0x2EA0);
    }
}
