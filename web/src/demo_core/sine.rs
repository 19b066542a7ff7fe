//! The sine demo's numbers: the evaluation grid and the mean absolute error against sin(x),
//! defined as models/sine/train.py defines them (the card's `evaluation`), so that the figures
//! the page shows are the card's.

/// `np.linspace(0, 2 pi, n).astype(np.float32)`: numpy's linspace in f64 (`i * step`, the last
/// point exactly 2 pi), then rounded to f32, the type the models take.
pub fn grid(n: usize) -> Vec<f32> {
    let stop = std::f64::consts::TAU;
    match n {
        0 => Vec::new(),
        1 => vec![0.0],
        _ => {
            let step = stop / (n - 1) as f64;
            (0..n)
                .map(|i| if i == n - 1 { stop } else { i as f64 * step } as f32)
                .collect()
        }
    }
}

/// Mean |y - sin(x)| over the pairs (0 when empty). sin is taken in f64 of the f32 x the model
/// saw; numpy's float32 sin differs from it in the last bit, far below the 6 decimals shown.
pub fn mae_vs_sin(xs: &[f32], ys: &[f32]) -> f64 {
    let n = xs.len().min(ys.len());
    if n == 0 {
        return 0.0;
    }
    let sum: f64 = xs
        .iter()
        .zip(ys)
        .map(|(&x, &y)| (y as f64 - (x as f64).sin()).abs())
        .sum();
    sum / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_spans_zero_to_two_pi_evenly() {
        let g = grid(1000);
        assert_eq!(g.len(), 1000);
        assert_eq!(g[0], 0.0);
        assert_eq!(g[999], std::f32::consts::TAU);
        // numpy: np.linspace(0, 2*np.pi, 1000).astype(np.float32)[1] == 0.0062894747
        assert_eq!(g[1], 0.006_289_474_7_f32);
        assert!(grid(0).is_empty());
        assert_eq!(grid(1), vec![0.0]);
    }

    #[test]
    fn mae_of_sin_itself_is_zero_and_of_zero_is_two_over_pi() {
        let xs = grid(100_001);
        let exact: Vec<f32> = xs.iter().map(|x| x.sin()).collect();
        assert!(mae_vs_sin(&xs, &exact) < 1e-7);
        let zero = vec![0.0; xs.len()];
        // The mean of |sin| over a period is 2/pi.
        assert!((mae_vs_sin(&xs, &zero) - 2.0 / std::f64::consts::PI).abs() < 1e-4);
        assert_eq!(mae_vs_sin(&[], &[]), 0.0);
    }
}
