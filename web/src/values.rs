//! Reading raw tensor bytes as numbers, dequantizing them, and binning them for a histogram.

use crate::protocol::TensorData;

/// The element values of little-endian `raw` bytes of schema type `dtype`, as `f64`
/// (integers exactly; `None` for a type the page does not read).
pub fn decode(dtype: &str, raw: &[u8]) -> Option<Vec<f64>> {
    fn chunks<const N: usize>(raw: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
        raw.chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            })
            .collect()
    }
    Some(match dtype {
        "INT8" => raw.iter().map(|&b| b as i8 as f64).collect(),
        "UINT8" | "BOOL" => raw.iter().map(|&b| b as f64).collect(),
        "INT16" => chunks::<2>(raw, |a| i16::from_le_bytes(a) as f64),
        "INT32" => chunks::<4>(raw, |a| i32::from_le_bytes(a) as f64),
        "INT64" => chunks::<8>(raw, |a| i64::from_le_bytes(a) as f64),
        "UINT32" => chunks::<4>(raw, |a| u32::from_le_bytes(a) as f64),
        "UINT64" => chunks::<8>(raw, |a| u64::from_le_bytes(a) as f64),
        "FLOAT32" => chunks::<4>(raw, |a| f32::from_le_bytes(a) as f64),
        _ => return None,
    })
}

/// Real values of a tensor: `(q - zero_point) * scale` when quantized, else the raw values.
pub fn dequantize(t: &TensorData) -> Option<Vec<f64>> {
    let raw = decode(&t.dtype, &t.raw)?;
    Some(match (t.scale, t.zero_point) {
        (Some(s), zp) if s > 0.0 && t.dtype != "FLOAT32" => {
            let zp = zp.unwrap_or(0) as f64;
            raw.into_iter().map(|q| (q - zp) * s as f64).collect()
        }
        _ => raw,
    })
}

/// A histogram: `bins` equal-width bins from `min` to `max`.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// Count per bin.
    pub counts: Vec<usize>,
}

/// Bins finite `values` into `bins` bins (an empty histogram when none is finite).
pub fn histogram(values: &[f64], bins: usize) -> Histogram {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let bins = bins.max(1);
    let mut counts = vec![0usize; bins];
    if min > max {
        return Histogram {
            min: 0.0,
            max: 0.0,
            counts,
        };
    }
    let width = (max - min) / bins as f64;
    for v in values.iter().copied().filter(|v| v.is_finite()) {
        let b = if width > 0.0 {
            (((v - min) / width) as usize).min(bins - 1)
        } else {
            0
        };
        counts[b] += 1;
    }
    Histogram { min, max, counts }
}

/// Lowercase hex of `bytes`, two digits a byte, no separator (what the browser tests compare).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_dequantizes_int8() {
        let t = TensorData {
            tensor: 0,
            dtype: "INT8".into(),
            shape: vec![3],
            scale: Some(0.5),
            zero_point: Some(-128),
            raw: vec![0x80, 0x82, 0x7f],
        };
        assert_eq!(decode("INT8", &t.raw), Some(vec![-128.0, -126.0, 127.0]));
        assert_eq!(
            decode("UINT32", &u32::MAX.to_le_bytes()),
            Some(vec![u32::MAX as f64])
        );
        assert_eq!(dequantize(&t), Some(vec![0.0, 1.0, 127.5]));
    }

    #[test]
    fn histogram_puts_max_in_last_bin() {
        let h = histogram(&[0.0, 1.0, 2.0, 3.0, f64::NAN], 3);
        assert_eq!(h.counts, vec![1, 1, 2]);
        assert_eq!((h.min, h.max), (0.0, 3.0));
        assert_eq!(histogram(&[], 4).counts, vec![0; 4]);
        assert_eq!(histogram(&[5.0, 5.0], 2).counts, vec![2, 0]);
    }

    #[test]
    fn hex_is_lowercase_pairs() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
