//! Quantizing inputs and reading outputs the way the training scripts did (models/check_cards.py
//! `quantize`/`dequantize`), and the scores of a classifier over a test set.

use crate::protocol::TensorData;
use crate::values;

/// `clamp(round(x / scale) + zero_point, -128, 127)` in `f32`, rounding half to even: numpy's
/// `np.round(x / np.float32(scale))` on float32 data, which made the cards' figures.
pub fn quantize_i8(x: f32, scale: f32, zero_point: i32) -> i8 {
    let q = (x / scale).round_ties_even() + zero_point as f32;
    q.clamp(-128.0, 127.0) as i8
}

/// `(q - zero_point) * scale` in `f32`, as the cards' postprocessing says.
pub fn dequantize_i8(q: i8, scale: f32, zero_point: i32) -> f32 {
    (q as f32 - zero_point as f32) * scale
}

/// The real values of one output tensor's `raw` bytes, of the type and quantization `t` says
/// (`t.raw` is ignored: a batch answer carries the bytes of many samples, the tensor none).
pub fn real_values(t: &TensorData, raw: &[u8]) -> Vec<f64> {
    let tensor = TensorData {
        raw: raw.to_vec(),
        ..t.clone()
    };
    values::dequantize(&tensor).unwrap_or_default()
}

/// The index of the largest score (the first on ties, as numpy's `argmax`); `None` when empty.
pub fn argmax(scores: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &s) in scores.iter().enumerate() {
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((i, s));
        }
    }
    best.map(|(i, _)| i)
}

/// A classifier's results on a labelled test set.
#[derive(Clone, Debug, PartialEq)]
pub struct Confusion {
    /// `matrix[true][predicted]` counts.
    pub matrix: Vec<Vec<u32>>,
}

impl Confusion {
    /// Scores a batch's outputs: `outputs` holds one output tensor per sample (`bytes_each`
    /// bytes, read as `tensor` says), `labels` the true class of each sample in order.
    pub fn of_batch(
        tensor: &TensorData,
        outputs: &[u8],
        bytes_each: usize,
        labels: &[u8],
        classes: usize,
    ) -> Result<Confusion, String> {
        if bytes_each == 0 || outputs.len() != bytes_each * labels.len() {
            return Err(format!(
                "{} B of outputs is not {} samples of {bytes_each} B",
                outputs.len(),
                labels.len()
            ));
        }
        let mut matrix = vec![vec![0u32; classes]; classes];
        for (sample, &label) in outputs.chunks_exact(bytes_each).zip(labels) {
            let scores = real_values(tensor, sample);
            let predicted = argmax(&scores).ok_or("the model's output has no values")?;
            let row = matrix
                .get_mut(label as usize)
                .ok_or_else(|| format!("label {label} is not one of the {classes} classes"))?;
            let cell = row.get_mut(predicted).ok_or_else(|| {
                format!("the model scores {} classes, not {classes}", scores.len())
            })?;
            *cell += 1;
        }
        Ok(Confusion { matrix })
    }

    /// Samples counted.
    pub fn total(&self) -> u32 {
        self.matrix.iter().flatten().sum()
    }

    /// Samples on the diagonal.
    pub fn correct(&self) -> u32 {
        self.matrix
            .iter()
            .enumerate()
            .filter_map(|(i, row)| row.get(i))
            .sum()
    }

    /// Top-1 accuracy (0 when empty).
    pub fn accuracy(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            n => self.correct() as f64 / n as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int8_scores() -> TensorData {
        TensorData {
            tensor: 0,
            dtype: "INT8".into(),
            shape: vec![1, 3],
            scale: Some(1.0 / 256.0),
            zero_point: Some(-128),
            raw: Vec::new(),
        }
    }

    #[test]
    fn quantize_rounds_half_to_even_and_clamps() {
        assert_eq!(quantize_i8(0.5, 1.0, 0), 0);
        assert_eq!(quantize_i8(1.5, 1.0, 0), 2);
        assert_eq!(quantize_i8(-2.5, 1.0, 0), -2);
        assert_eq!(quantize_i8(1000.0, 1.0, 0), 127);
        assert_eq!(quantize_i8(-1000.0, 1.0, 0), -128);
        // The sine model's input: x = 0 is the zero point, 2 pi is 255 steps of 0.0246 above it.
        let s = 0.024_615_94_f32;
        assert_eq!(quantize_i8(0.0, s, -128), -128);
        assert_eq!(quantize_i8(std::f32::consts::TAU, s, -128), 127);
    }

    #[test]
    fn dequantize_inverts_quantize_to_half_a_step() {
        let (s, zp) = (0.007_953, 0);
        for i in -100..100 {
            let x = i as f32 * 0.0099;
            let back = dequantize_i8(quantize_i8(x, s, zp), s, zp);
            assert!((back - x).abs() <= s / 2.0 + 1e-6, "{x} -> {back}");
        }
    }

    #[test]
    fn argmax_takes_the_first_of_equal_scores() {
        assert_eq!(argmax(&[0.1, 0.7, 0.7, 0.2]), Some(1));
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[-3.0]), Some(0));
    }

    #[test]
    fn a_confusion_matrix_counts_true_rows_and_predicted_columns() {
        // Three samples of three int8 scores: predicts 0, 2, 2 for labels 0, 1, 2.
        let outputs = [127u8, 0x80, 0x80, 0x80, 0, 10, 0x80, 0x80, 5];
        let c = Confusion::of_batch(&int8_scores(), &outputs, 3, &[0, 1, 2], 3).unwrap();
        assert_eq!(c.matrix, vec![vec![1, 0, 0], vec![0, 0, 1], vec![0, 0, 1]]);
        assert_eq!((c.correct(), c.total()), (2, 3));
        assert!((c.accuracy() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_confusion_matrix_refuses_mismatched_sizes_and_labels() {
        let t = int8_scores();
        assert!(Confusion::of_batch(&t, &[0; 8], 3, &[0, 1, 2], 3).is_err());
        let e = Confusion::of_batch(&t, &[0; 3], 3, &[7], 3).unwrap_err();
        assert!(e.contains("label 7"), "{e}");
    }
}
