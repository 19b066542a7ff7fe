//! Integer dot products and output clamps shared by the fast kernels (CONV_2D,
//! DEPTHWISE_CONV_2D, FULLY_CONNECTED, the LSTM's gates, SVDF).
//!
//! TFLM's integer kernels sum `(w + w_offset) * (x + x_offset)` in wrapping 32-bit arithmetic.
//! When both offset-adjusted values fit in int16 — always, for int8 data with the offsets a
//! converter writes (the callers check with [`offset_fits`] and run TFLM's plain loop
//! otherwise) — each product is computed here from int16 operands, which is the same
//! 32-bit product, and the sum is the same modulo 2^32 in any order. Written that way the loops
//! are ones LLVM turns into multiply-add pairs (`pmaddwd` on x86, `smlad` on Cortex-M with DSP,
//! `i32x4.dot_i16x8_s` on wasm), several output rows at a time so each input value is loaded
//! once for several rows.

/// Whether `v + offset` stays in int16 for every int8 `v` (so it can be formed in int16).
#[inline]
pub(crate) fn offset_fits(offset: i32) -> bool {
    (-32640..=32640).contains(&offset)
}

/// `sum(a[i] * b[i])` over int16 values, wrapping 32-bit.
#[inline(always)]
pub(crate) fn dot16(a: &[i16], b: &[i16]) -> i32 {
    a.iter()
        .zip(b)
        .fold(0i32, |s, (&x, &y)| s.wrapping_add(x as i32 * y as i32))
}

/// Four [`dot16`]s sharing `a`, so each value of `a` is loaded once for four rows.
#[inline(always)]
pub(crate) fn dot16x4(a: &[i16], b0: &[i16], b1: &[i16], b2: &[i16], b3: &[i16]) -> [i32; 4] {
    let n = a
        .len()
        .min(b0.len())
        .min(b1.len())
        .min(b2.len())
        .min(b3.len());
    let (a, b0, b1, b2, b3) = (&a[..n], &b0[..n], &b1[..n], &b2[..n], &b3[..n]);
    let mut s = [0i32; 4];
    for i in 0..n {
        let x = a[i] as i32;
        s[0] = s[0].wrapping_add(x * b0[i] as i32);
        s[1] = s[1].wrapping_add(x * b1[i] as i32);
        s[2] = s[2].wrapping_add(x * b2[i] as i32);
        s[3] = s[3].wrapping_add(x * b3[i] as i32);
    }
    s
}

/// `sum((w[i] + wo) * x[i])` for int16 `x` (offset-adjusted int8 values, or 16x8 kernels'
/// int16 inputs) and int8 `w`, wrapping 32-bit; `wo` must satisfy [`offset_fits`].
#[inline(always)]
pub(crate) fn dot_i16_i8(x: &[i16], w: &[i8], wo: i16) -> i32 {
    x.iter().zip(w).fold(0i32, |s, (&x, &w)| {
        s.wrapping_add((w as i16).wrapping_add(wo) as i32 * x as i32)
    })
}

/// Four [`dot_i16_i8`]s sharing `x`.
#[inline(always)]
pub(crate) fn dot_i16_i8x4(x: &[i16], w: [&[i8]; 4], wo: i16) -> [i32; 4] {
    let n = x
        .len()
        .min(w[0].len())
        .min(w[1].len())
        .min(w[2].len())
        .min(w[3].len());
    let (x, w0, w1, w2, w3) = (&x[..n], &w[0][..n], &w[1][..n], &w[2][..n], &w[3][..n]);
    let mut s = [0i32; 4];
    for i in 0..n {
        let xv = x[i] as i32;
        s[0] = s[0].wrapping_add((w0[i] as i16).wrapping_add(wo) as i32 * xv);
        s[1] = s[1].wrapping_add((w1[i] as i16).wrapping_add(wo) as i32 * xv);
        s[2] = s[2].wrapping_add((w2[i] as i16).wrapping_add(wo) as i32 * xv);
        s[3] = s[3].wrapping_add((w3[i] as i16).wrapping_add(wo) as i32 * xv);
    }
    s
}

/// Rows `c..c + k` (`k <= 4`) of a row-major int8 matrix with rows of `d` values, each dotted
/// with `x` (offset-adjusted, zero-padded past `d` to `x.len()`, a multiple of 8). A row
/// runs over the padded length when the matrix has the bytes (the padding's zeros cancel the
/// next row's values), so the loops need no scalar tail.
#[inline(always)]
pub(crate) fn rows_dot(x: &[i16], w: &[i8], wo: i16, c: usize, k: usize, d: usize) -> [i32; 4] {
    let run = |r: usize| -> &[i8] {
        let at = r * d;
        w.get(at..at + x.len())
            .or_else(|| w.get(at..at + d))
            .unwrap_or(&[])
    };
    if k == 4 {
        dot_i16_i8x4(x, [run(c), run(c + 1), run(c + 2), run(c + 3)], wo)
    } else {
        let mut s = [0i32; 4];
        for (j, v) in s.iter_mut().enumerate().take(k) {
            *v = dot_i16_i8(x, run(c + j), wo);
        }
        s
    }
}

/// Input values widened per chunk by [`matvec`]: a stack buffer, so no arena is needed.
pub(crate) const CHUNK: usize = 256;
/// A smaller chunk for short inputs, whose buffer is quicker to zero.
pub(crate) const SMALL_CHUNK: usize = 64;

/// Rows of an int8 weight matrix times one input vector, in wrapping 32-bit chunks: for each
/// chunk of at most `N` (a multiple of 8) input positions `k0..k1`, `add(r, s)` receives
/// `s = sum((w[r * depth + k] + wo) * x[k])` over the chunk, for every row `r` in `0..rows`.
/// `fill(k0, buf)` writes the offset-adjusted input values `x[k0..k0 + buf.len()]`
/// (`x + input_offset`, which must fit in int16, as must `w + wo`: see [`offset_fits`]).
///
/// Each chunk of the input is widened once into a buffer zero-padded to a multiple of 8 values;
/// a row's dot product then runs over the padded length, reading a few values of the next row
/// (multiplied by the zero padding) instead of finishing in a scalar loop, except for the
/// matrix's last rows. Rows go four at a time, sharing each input load.
#[inline(always)]
pub(crate) fn matvec<const N: usize>(
    fill: impl Fn(usize, &mut [i16]),
    w: &[i8],
    wo: i16,
    rows: usize,
    depth: usize,
    mut add: impl FnMut(usize, i32),
) {
    let chunk = N & !7;
    if depth == 0 || chunk == 0 || w.len() < rows * depth {
        return;
    }
    let mut buf = [0i16; N];
    let mut k0 = 0;
    while k0 < depth {
        let len = chunk.min(depth - k0);
        let padded = (len + 7) & !7;
        fill(k0, &mut buf[..len]);
        for b in &mut buf[len..padded] {
            *b = 0;
        }
        // A row's run starting at `at`, over the padded length when the matrix has the bytes.
        let run = |at: usize| -> (&[i8], usize) {
            match w.get(at..at + padded) {
                Some(r) => (r, padded),
                None => (&w[at..at + len], len),
            }
        };
        let mut r = 0;
        while r + 4 <= rows {
            let at = r * depth + k0;
            let (w0, n0) = run(at);
            let (w1, n1) = run(at + depth);
            let (w2, n2) = run(at + 2 * depth);
            let (w3, n3) = run(at + 3 * depth);
            let n = n0.min(n1).min(n2).min(n3);
            let s = dot_i16_i8x4(&buf[..n], [w0, w1, w2, w3], wo);
            for (i, v) in s.into_iter().enumerate() {
                add(r + i, v);
            }
            r += 4;
        }
        while r < rows {
            let (wr, n) = run(r * depth + k0);
            add(r, dot_i16_i8(&buf[..n], wr, wo));
            r += 1;
        }
        k0 += len;
    }
}

/// `out[i] = min(max(v[i], lo), hi)` as int8 (TFLM's clamp order), in fixed runs of 8 lanes so
/// that it is vectorised: as scalar `max`/`min` LLVM compiles it to branches, which real
/// activations mispredict.
#[inline(always)]
pub(crate) fn clamp_to_i8(out: &mut [i8], v: &[i32], lo: i32, hi: i32) {
    let mut o8 = out.chunks_exact_mut(8);
    let mut v8 = v.chunks_exact(8);
    for (o, v) in (&mut o8).zip(&mut v8) {
        for l in 0..8 {
            o[l] = v[l].max(lo).min(hi) as i8;
        }
    }
    for (o, &v) in o8.into_remainder().iter_mut().zip(v8.remainder()) {
        *o = v.max(lo).min(hi) as i8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(x: &[i32], xo: i32, w: &[i32], wo: i32) -> i32 {
        x.iter().zip(w).fold(0i32, |s, (&x, &w)| {
            s.wrapping_add(w.wrapping_add(wo).wrapping_mul(x.wrapping_add(xo)))
        })
    }

    /// [`matvec`] gives TFLM's sums for every row, with extreme offsets, depths that are and
    /// are not multiples of 8, and several chunks.
    #[test]
    fn matvec_is_tflm_sums() {
        for (rows, depth, chunk) in [
            (1, 1, 256),
            (5, 13, 64),
            (9, 37, 16),
            (4, 8, 8),
            (7, 300, 256),
        ] {
            let x: Vec<i8> = (0..depth).map(|i| (i * 73 % 256) as u8 as i8).collect();
            let w: Vec<i8> = (0..rows * depth)
                .map(|i| (i * 151 % 256) as u8 as i8)
                .collect();
            let xi: Vec<i32> = x.iter().map(|&v| v as i32).collect();
            for (xo, wo) in [
                (0, 0),
                (128, -127),
                (-32640, 32640),
                (32640, -32640),
                (5, 0),
            ] {
                assert!(offset_fits(xo) && offset_fits(wo));
                let mut acc = vec![0i32; rows];
                let fill = |k0: usize, buf: &mut [i16]| {
                    for (d, &v) in buf.iter_mut().zip(&x[k0..]) {
                        *d = (v as i16).wrapping_add(xo as i16);
                    }
                };
                let add = |r: usize, v: i32| acc[r] = acc[r].wrapping_add(v);
                match chunk {
                    8 => matvec::<8>(fill, &w, wo as i16, rows, depth, add),
                    16 => matvec::<16>(fill, &w, wo as i16, rows, depth, add),
                    64 => matvec::<64>(fill, &w, wo as i16, rows, depth, add),
                    _ => matvec::<256>(fill, &w, wo as i16, rows, depth, add),
                }
                for (r, row) in w.chunks(depth).enumerate() {
                    let wi: Vec<i32> = row.iter().map(|&v| v as i32).collect();
                    assert_eq!(acc[r], plain(&xi, xo, &wi, wo), "{rows}x{depth} row {r}");
                }
            }
        }
        assert!(!offset_fits(32641) && !offset_fits(-32641));
    }

    #[test]
    fn int16_dots_are_tflm_sums() {
        let x: Vec<i16> = (0..29).map(|i| (i * 7919 % 65536) as u16 as i16).collect();
        let w: Vec<i8> = (0..29 * 4).map(|i| (i * 151 % 256) as u8 as i8).collect();
        let rows: Vec<&[i8]> = w.chunks(29).collect();
        let xi: Vec<i32> = x.iter().map(|&v| v as i32).collect();
        for wo in [0, 127, -128] {
            let r = dot_i16_i8x4(&x, [rows[0], rows[1], rows[2], rows[3]], wo as i16);
            for (k, row) in rows.iter().enumerate() {
                let wi: Vec<i32> = row.iter().map(|&v| v as i32).collect();
                assert_eq!(r[k], plain(&xi, 0, &wi, wo));
                assert_eq!(dot_i16_i8(&x, row, wo as i16), plain(&xi, 0, &wi, wo));
            }
        }
    }

    #[test]
    fn clamp_keeps_tflm_order() {
        let v: Vec<i32> = (-20..20).map(|i| i * 10).collect();
        let mut out = vec![0i8; v.len()];
        clamp_to_i8(&mut out, &v, -50, 60);
        for (o, &x) in out.iter().zip(&v) {
            assert_eq!(*o as i32, x.clamp(-50, 60));
        }
    }
}
