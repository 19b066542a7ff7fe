//! The magic-wand stroke: pointer positions to the int8 points of TFLM's magic_wand example, and
//! those points to the 32×32×3 raster its model reads. A port of models/magic_wand/rasterize.py
//! (itself `RasterizeStroke` of tflite-micro-arduino-examples' rasterize_stroke.cpp), operation
//! for operation, so that the page feeds the model exactly what it was trained on: the host test
//! reproduces models/magic_wand/raster_example.json bit for bit.

/// Fixed point of the C++: 20.12.
const FP: i64 = 4096;
/// Raster width, height and channels.
pub const WIDTH: usize = 32;
/// Raster height.
pub const HEIGHT: usize = 32;
/// Colour channels (time as red → green → blue).
pub const CHANNELS: usize = 3;
/// The example transmits at most this many points a stroke.
pub const MAX_POINTS: usize = 160;
/// A normalised coordinate of ±0.6 (int8 ±77) lands on the raster's edge.
const RANGE: f32 = 0.6;

/// The stroke as the model's example sends it: at most [`MAX_POINTS`] points, centred on the
/// bounding box, y up, the longer side scaled to 1, each coordinate as int8 (value × 128).
/// `points` are pointer positions in drawing order, x right, y down, in any unit.
pub fn normalise(points: &[(f64, f64)]) -> Vec<(i8, i8)> {
    let n = points.len();
    let kept: Vec<(f64, f64)> = if n > MAX_POINTS {
        (0..MAX_POINTS)
            .filter_map(|j| points.get(j * n / MAX_POINTS).copied())
            .collect()
    } else {
        points.to_vec()
    };
    let Some(&(x0, y0)) = kept.first() else {
        return Vec::new();
    };
    let (mut lo, mut hi) = ((x0, y0), (x0, y0));
    for &(x, y) in &kept {
        lo = (lo.0.min(x), lo.1.min(y));
        hi = (hi.0.max(x), hi.1.max(y));
    }
    let centre = ((lo.0 + hi.0) / 2.0, (lo.1 + hi.1) / 2.0);
    let side = (hi.0 - lo.0).max(hi.1 - lo.1);
    let side = if side > 0.0 { side } else { 1.0 };
    // numpy: sign(v) * floor(|v| * 128 + 0.5), clipped: round half away from zero.
    let to_i8 = |v: f64| (v.signum() * (v.abs() * 128.0 + 0.5).floor()).clamp(-128.0, 127.0) as i8;
    kept.iter()
        .map(|&(x, y)| {
            let vx = (x - centre.0) / side;
            let vy = -((y - centre.1) / side);
            (to_i8(vx), to_i8(vy))
        })
        .collect()
}

/// C's `/` (truncating toward zero, as Rust's), by 1 when the divisor is 0, in 20.12.
fn div_fp(a: i64, b: i64) -> i64 {
    let b = if b == 0 { 1 } else { b };
    a * FP / b
}

fn mul_fp(a: i64, b: i64) -> i64 {
    a * b / FP
}

fn norm_to_coord_fp(a: i64, range: i64, half_size: i64) -> i64 {
    mul_fp(div_fp(a, range), half_size) + half_size
}

fn round_fp_to_int(a: i64) -> i64 {
    (a + FP / 2) / FP
}

/// The raster of `points` (int8, y up): [`HEIGHT`] rows of [`WIDTH`] pixels of [`CHANNELS`],
/// background -128, each segment a 1-pixel DDA line in a colour that encodes time (red → green
/// over the first half of the stroke, green → blue over the second). Integer arithmetic exactly
/// as the C++ (which is 32-bit; no intermediate exceeds i32 for int8 points, i64 changes nothing).
pub fn rasterize(points: &[(i8, i8)]) -> Vec<i8> {
    let mut out = vec![-128i8; WIDTH * HEIGHT * CHANNELS];
    let n = points.len() as i64;
    if n < 2 {
        return out;
    }
    let (half_w, half_h) = (WIDTH as i64 * FP / 2, HEIGHT as i64 * FP / 2);
    // static_cast<int32_t>(0.6f * 4096): float math, truncated.
    let range_fp = (RANGE * FP as f32) as i64;
    let t_inc = FP / n;
    let one_half = FP / 2;
    for (i, pair) in points.windows(2).enumerate() {
        let [(sx, sy), (ex, ey)] = [pair[0], pair[1]].map(|(x, y)| (x as i64 * 32, y as i64 * 32));
        let start_x = norm_to_coord_fp(sx, range_fp, half_w);
        let start_y = norm_to_coord_fp(-sy, range_fp, half_h);
        let end_x = norm_to_coord_fp(ex, range_fp, half_w);
        let end_y = norm_to_coord_fp(-ey, range_fp, half_h);
        let (dx, dy) = (end_x - start_x, end_y - start_y);

        let t = i as i64 * t_inc;
        let (red, green, blue) = if t < one_half {
            let local = div_fp(t, one_half);
            (
                round_fp_to_int((FP - local) * 255) - 128,
                round_fp_to_int(local * 255) - 128,
                -128,
            )
        } else {
            let local = div_fp(t - one_half, one_half);
            (
                -128,
                round_fp_to_int((FP - local) * 255) - 128,
                round_fp_to_int(local * 255) - 128,
            )
        };
        let colour = [red, green, blue].map(|c| c.clamp(-128, 127) as i8);

        let (length, x_inc, y_inc) = if dx.abs() > dy.abs() {
            let y_inc = if dx > 0 {
                div_fp(dy, dx)
            } else {
                -div_fp(dy, dx)
            };
            (
                round_fp_to_int(dx).abs(),
                if dx > 0 { FP } else { -FP },
                y_inc,
            )
        } else {
            let x_inc = if dy > 0 {
                div_fp(dx, dy)
            } else {
                -div_fp(dx, dy)
            };
            (
                round_fp_to_int(dy).abs(),
                x_inc,
                if dy > 0 { FP } else { -FP },
            )
        };
        for k in 0..=length {
            let x = round_fp_to_int(start_x + k * x_inc);
            let y = round_fp_to_int(start_y + k * y_inc);
            if (0..WIDTH as i64).contains(&x) && (0..HEIGHT as i64).contains(&y) {
                let at = (y as usize * WIDTH + x as usize) * CHANNELS;
                if let Some(px) = out.get_mut(at..at + CHANNELS) {
                    px.copy_from_slice(&colour);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// models/magic_wand/raster_example.json: a synthetic W as the page records it, and what
    /// rasterize.py's `normalise` and `rasterize` make of it (checked in CI by check_cards.py).
    #[test]
    fn the_worked_example_comes_out_bit_for_bit() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/magic_wand/raster_example.json"
        );
        let text = std::fs::read_to_string(path).expect("raster_example.json");
        let ex: serde_json::Value = serde_json::from_str(&text).expect("json");
        let pointer: Vec<(f64, f64)> = ex["pointer_points"]
            .as_array()
            .expect("pointer_points")
            .iter()
            .map(|p| (p[0].as_f64().expect("x"), p[1].as_f64().expect("y")))
            .collect();
        let want_points: Vec<(i8, i8)> = ex["int8_points"]
            .as_array()
            .expect("int8_points")
            .iter()
            .map(|p| {
                (
                    p[0].as_i64().expect("x") as i8,
                    p[1].as_i64().expect("y") as i8,
                )
            })
            .collect();
        let want_raster: Vec<i8> = ex["raster"]
            .as_array()
            .expect("raster")
            .iter()
            .map(|v| v.as_i64().expect("value") as i8)
            .collect();
        let points = normalise(&pointer);
        assert_eq!(points, want_points);
        let raster = rasterize(&points);
        assert_eq!(raster.len(), WIDTH * HEIGHT * CHANNELS);
        assert_eq!(raster, want_raster);
        // Not a blank raster: the example draws, in all three colours.
        assert!(raster.chunks(3).any(|p| p[0] > -128));
        assert!(raster.chunks(3).any(|p| p[2] > -128));
    }

    #[test]
    fn long_strokes_keep_160_evenly_spaced_points() {
        let pointer: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, (i % 7) as f64)).collect();
        let p = normalise(&pointer);
        assert_eq!(p.len(), MAX_POINTS);
        // Points 0, 6, 12, ... of 1000 (floor(j * 1000 / 160)); the x extent is the longer side.
        assert_eq!(p[0].0, -64);
        assert_eq!(p[1].0, to_i8_ref((6.0 - 499.5) / 999.0));
    }

    fn to_i8_ref(v: f64) -> i8 {
        (v.signum() * (v.abs() * 128.0 + 0.5).floor()) as i8
    }

    #[test]
    fn a_dot_or_nothing_draws_nothing_and_a_still_stroke_does_not_divide_by_zero() {
        let blank = vec![-128i8; WIDTH * HEIGHT * CHANNELS];
        assert_eq!(rasterize(&[]), blank);
        assert_eq!(rasterize(&[(3, 4)]), blank);
        assert!(normalise(&[]).is_empty());
        assert_eq!(normalise(&[(5.0, 5.0), (5.0, 5.0)]), vec![(0, 0), (0, 0)]);
        // Two identical points: one pixel at the centre, red (the first half of the stroke).
        let r = rasterize(&[(0, 0), (0, 0)]);
        let lit: Vec<usize> = (0..WIDTH * HEIGHT).filter(|&i| r[i * 3] > -128).collect();
        assert_eq!(lit, vec![16 * WIDTH + 16]);
        assert_eq!(&r[lit[0] * 3..lit[0] * 3 + 3], &[127, -128, -128]);
    }

    #[test]
    fn y_is_up_in_points_and_down_in_the_raster() {
        // A horizontal line near the top (y = +0.5) lights a row above the centre.
        let r = rasterize(&[(-40, 64), (40, 64)]);
        let rows: Vec<usize> = (0..HEIGHT)
            .filter(|&y| (0..WIDTH).any(|x| r[(y * WIDTH + x) * 3] > -128))
            .collect();
        assert_eq!(rows.len(), 1);
        assert!(rows[0] < HEIGHT / 2, "{rows:?}");
    }
}
