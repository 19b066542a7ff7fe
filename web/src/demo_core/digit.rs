//! A hand-drawn digit as the digits model expects it: what models/digits/train.py's
//! `preprocess_drawing` does to a drawing (the card's `input.drawing`), step for step, so that a
//! digit drawn on the page reaches the model as the drawings it was checked on did.
//!
//! 1. The strokes are inked with a round brush, binary (no anti-aliasing), as PIL's `ImageDraw`
//!    drew the training script's mouse-like digits ([`render`]).
//! 2. Crop to the ink's bounding box; resize so that the longer side is 20 px keeping the aspect
//!    ratio, with PIL's `Image.BOX` filter (area average) in PIL's own 8-bit fixed point
//!    ([`box_resize`]); place in a 28×28 black frame so that the ink's centre of mass falls on
//!    (14, 14), rounded half to even as numpy rounds, clipped to the frame ([`preprocess`]).

/// The model's input side.
pub const SIDE: usize = 28;
/// The longer side of the digit in the frame (MNIST's 20 px box).
const BOX: usize = 20;

/// A stroke: pointer positions in drawing order, in pixels of the drawing.
pub type Stroke = Vec<(f32, f32)>;

/// The drawing's ink: `width` × `height` bytes, 255 where the brush of `brush` px diameter passed
/// (the pixel's centre within brush / 2 of a stroke's segment or point), 0 elsewhere.
pub fn render(strokes: &[Stroke], width: usize, height: usize, brush: f32) -> Vec<u8> {
    let mut ink = vec![0u8; width * height];
    let r = brush / 2.0;
    for stroke in strokes {
        let segments = stroke
            .windows(2)
            .map(|w| (w[0], w[1]))
            .chain(stroke.first().map(|&p| (p, p)));
        for (a, b) in segments {
            // Only the pixels of the segment's bounding box, widened by the brush.
            let x0 = (a.0.min(b.0) - r).floor().max(0.0) as usize;
            let y0 = (a.1.min(b.1) - r).floor().max(0.0) as usize;
            let x1 = ((a.0.max(b.0) + r).ceil().max(0.0) as usize).min(width);
            let y1 = ((a.1.max(b.1) + r).ceil().max(0.0) as usize).min(height);
            for y in y0..y1 {
                for x in x0..x1 {
                    let p = (x as f32 + 0.5, y as f32 + 0.5);
                    if distance_to_segment(p, a, b) <= r {
                        ink[y * width + x] = 255;
                    }
                }
            }
        }
    }
    ink
}

fn distance_to_segment(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// The 28×28 image (pixels 0..255, ink 255 on 0) the model reads for a drawing of `width` ×
/// `height` ink bytes (> 0 is ink). No ink: a black image.
pub fn preprocess(ink: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; SIDE * SIDE];
    let at = |x: usize, y: usize| ink.get(y * width + x).copied().unwrap_or(0);
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if at(x, y) > 0 {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    if x0 == usize::MAX {
        return out;
    }
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    let crop: Vec<u8> = (y0..=y1)
        .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
        .map(|(x, y)| at(x, y))
        .collect();
    // Python: s = 20.0 / max(h, w); max(1, round(h * s)), round() half to even.
    let s = BOX as f64 / w.max(h) as f64;
    let nh = ((h as f64 * s).round_ties_even() as usize).max(1);
    let nw = ((w as f64 * s).round_ties_even() as usize).max(1);
    let small = box_resize(&crop, w, h, nw, nh);
    // Centre of mass (exact: sums of integers in f64, as numpy's float64 sums of these).
    let total: f64 = small.iter().map(|&v| v as f64).sum();
    let (mut sy, mut sx) = (0.0, 0.0);
    for y in 0..nh {
        for x in 0..nw {
            let v = small[y * nw + x] as f64;
            sy += v * y as f64;
            sx += v * x as f64;
        }
    }
    let (cy, cx) = if total > 0.0 {
        (sy / total, sx / total)
    } else {
        (0.0, 0.0)
    };
    let place = |c: f64, n: usize| -> usize {
        let at = (SIDE as f64 / 2.0 - c).round_ties_even() as i64;
        at.clamp(0, (SIDE - n) as i64) as usize
    };
    let (top, left) = (place(cy, nh), place(cx, nw));
    for y in 0..nh {
        for x in 0..nw {
            out[(top + y) * SIDE + left + x] = small[y * nw + x];
        }
    }
    out
}

/// PIL's fixed point for 8-bit images (Resample.c `PRECISION_BITS`).
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// One output pixel's taps: the first input index and the fixed-point weights.
struct Taps {
    first: usize,
    weights: Vec<i32>,
}

/// Resample.c `precompute_coeffs` with the box filter, then `normalize_coeffs_8bpc`.
fn box_taps(in_size: usize, out_size: usize) -> Vec<Taps> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = 0.5 * filter_scale;
    let box_filter = |x: f64| if x > -0.5 && x <= 0.5 { 1.0 } else { 0.0 };
    (0..out_size)
        .map(|xx| {
            let centre = (xx as f64 + 0.5) * scale;
            // C's (int) truncates; both bounds are clamped to the input.
            let xmin = ((centre - support + 0.5) as i64).max(0) as usize;
            let xmax = ((centre + support + 0.5) as i64).min(in_size as i64).max(0) as usize;
            let raw: Vec<f64> = (xmin..xmax.max(xmin))
                .map(|x| box_filter((x as f64 - centre + 0.5) / filter_scale))
                .collect();
            let sum: f64 = raw.iter().sum();
            let weights = raw
                .iter()
                .map(|&w| {
                    let w = if sum != 0.0 { w / sum } else { w };
                    let f = w * (1u32 << PRECISION_BITS) as f64;
                    (if f < 0.0 { f - 0.5 } else { f + 0.5 }) as i32
                })
                .collect();
            Taps {
                first: xmin,
                weights,
            }
        })
        .collect()
}

/// One 8-bit tap sum with PIL's rounding and clipping (`clip8`).
fn apply(taps: &Taps, sample: impl Fn(usize) -> u8) -> u8 {
    let mut acc: i32 = 1 << (PRECISION_BITS - 1);
    for (k, &w) in taps.weights.iter().enumerate() {
        acc += sample(taps.first + k) as i32 * w;
    }
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// PIL's `Image.resize((out_w, out_h), Image.BOX)` of an 8-bit grayscale image: a horizontal
/// pass (when the width changes) and then a vertical one (when the height does), each rounded
/// to 8 bits as PIL does.
pub fn box_resize(pixels: &[u8], w: usize, h: usize, out_w: usize, out_h: usize) -> Vec<u8> {
    let get = |img: &[u8], stride: usize, x: usize, y: usize| {
        img.get(y * stride + x).copied().unwrap_or(0)
    };
    let horizontal: Vec<u8> = if out_w != w {
        let taps = box_taps(w, out_w);
        (0..h)
            .flat_map(|y| taps.iter().map(move |t| (y, t)))
            .map(|(y, t)| apply(t, |x| get(pixels, w, x, y)))
            .collect()
    } else {
        pixels.to_vec()
    };
    if out_h == h {
        return horizontal;
    }
    let taps = box_taps(h, out_h);
    let mut out = vec![0u8; out_w * out_h];
    for (y, t) in taps.iter().enumerate() {
        for x in 0..out_w {
            out[y * out_w + x] = apply(t, |yy| get(&horizontal, out_w, x, yy));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Centre of mass of a 28×28 image.
    fn centre_of_mass(img: &[u8]) -> (f64, f64) {
        let total: f64 = img.iter().map(|&v| v as f64).sum();
        let (mut sx, mut sy) = (0.0, 0.0);
        for (i, &v) in img.iter().enumerate() {
            sx += v as f64 * (i % SIDE) as f64;
            sy += v as f64 * (i / SIDE) as f64;
        }
        (sx / total, sy / total)
    }

    #[test]
    fn no_ink_is_a_black_image() {
        assert_eq!(preprocess(&[0; 100], 10, 10), vec![0; SIDE * SIDE]);
    }

    #[test]
    fn a_tall_stroke_is_20_px_tall_and_centred() {
        // A 1 drawn near a corner of a 280×280 canvas: a vertical bar.
        let ink = render(&[vec![(40.0, 30.0), (40.0, 150.0)]], 280, 280, 18.0);
        let img = preprocess(&ink, 280, 280);
        let rows: Vec<usize> = (0..SIDE)
            .filter(|y| (0..SIDE).any(|x| img[y * SIDE + x] > 0))
            .collect();
        assert_eq!(rows.len(), 20);
        let (cx, cy) = centre_of_mass(&img);
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "{cx} {cy}"
        );
    }

    #[test]
    fn the_brush_is_round_and_binary() {
        let ink = render(&[vec![(10.0, 10.0)]], 20, 20, 8.0);
        assert!(ink.iter().all(|&v| v == 0 || v == 255));
        // A disc of radius 4: about pi * 16 = 50 pixels.
        let n = ink.iter().filter(|&&v| v > 0).count();
        assert!((44..=56).contains(&n), "{n}");
        assert_eq!(ink[10 * 20 + 10], 255);
        assert_eq!(ink[10 * 20 + 15], 0);
    }

    #[test]
    fn box_resize_averages_areas() {
        // 4×2 -> 2×1: each output the mean of a 2×2 block, rounded to 8 bits after each pass as
        // PIL does: (228 + 253) / 2 -> 241, not the exact 240.5 -> 240 (Pillow 12 says [75, 241]).
        let px = [0, 100, 200, 255, 50, 150, 250, 255];
        assert_eq!(box_resize(&px, 4, 2, 2, 1), vec![75, 241]);
        // Same size: untouched.
        assert_eq!(box_resize(&px, 4, 2, 4, 2), px.to_vec());
    }

    /// PIL itself (Pillow 12), on a deterministic blob: what models/digits/train.py's
    /// `preprocess_drawing` makes of it, hex. Reproduce with:
    ///
    /// ```python
    /// import numpy as np, sys; sys.path.insert(0, "models/digits")
    /// from train import preprocess_drawing
    /// ink = np.zeros((61, 43), np.uint8)
    /// for y in range(61):
    ///     for x in range(43):
    ///         if ((x - 20) ** 2 / 300 + (y - 25) ** 2 / 500 < 1) and ((x * 7 + y * 13) % 11 > 2):
    ///             ink[y, x] = 255
    /// print(preprocess_drawing(ink).tobytes().hex())
    /// ```
    #[test]
    fn matches_pillow_on_a_blob() {
        let (w, h) = (43, 61);
        let mut ink = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f64 - 20.0, y as f64 - 25.0);
                if fx * fx / 300.0 + fy * fy / 500.0 < 1.0 && (x * 7 + y * 13) % 11 > 2 {
                    ink[y * w + x] = 255;
                }
            }
        }
        let got = preprocess(&ink, w, h);
        let hex: String = got.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, PILLOW_BLOB);
    }

    const PILLOW_BLOB: &str = concat!(
        "00000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
        "000000000000000000000040c0aac040400000000000000000000000",
        "00000000000000000055aaaaaaaad5d5aa8080000000000000000000",
        "000000000000000055c0c080ffaac0c080ffc02b0000000000000000",
        "0000000000000000aa80c0ff80d580c0ff80c0800000000000000000",
        "0000000000000000d5c0c0c080d5c0c0c080ffaa4000000000000000",
        "00000000000000d5aad580d5d5aad580d5d580e38000000000000000",
        "00000000000080c0aac0ff80c0aac0ff80c0c0aaff00000000000000",
        "00000000000000ffaac0c080ffaac0c080ffc0aac080000000000000",
        "000000000000ff80d580c0ff80d580c0ff80c0aac0ff000000000000",
        "000000000000aaaac6d5aaaaaac6d5aaaaaad5c6aaaa000000000000",
        "000000000000ffc0aac080ffc0aac080ffc080d580ff000000000000",
        "00000000000080c0aac0ff80c0aac0ff80c0c0aaff80000000000000",
        "00000000000000ffaac0c080ffaac0c080ffc0aac080000000000000",
        "0000000000005580e380d5d580e380d5d580d5aad555000000000000",
        "00000000000000c0aaff80c0c0aaff80c0c0c0d58000000000000000",
        "0000000000000080aac080ffc0aac080ffc080d58000000000000000",
        "000000000000000080c0ff80c0aac0ff80c0c0800000000000000000",
        "000000000000000039aaaaaad5c6aaaaaad5d5390000000000000000",
        "00000000000000000000c0c080d580ffc08040000000000000000000",
        "00000000000000000000004080aaff40400000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000000000000000000000000000",
    );
}
