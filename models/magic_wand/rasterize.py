"""The magic-wand stroke rasteriser, integer for integer as TFLM's magic_wand example does it
(tflite-micro-arduino-examples, examples/magic_wand/rasterize_stroke.cpp, RasterizeStroke).

A stroke is a list of 2-D points in drawing order, each coordinate an int8 (value / 128 is the
normalised position, y up). The raster is 32x32x3 int8, row-major, y down, background -128. Each
segment between consecutive points is drawn as a 1-pixel DDA line in a colour that encodes time:
red -> green over the first half of the stroke, green -> blue over the second.

All arithmetic is 32-bit C integer arithmetic in 20.12 fixed point (FP = 4096), and C's `/`
truncates toward zero; `_cdiv` below is that division. Python ints do not overflow, but no
intermediate here exceeds int32 for int8 points and a 32x32 raster.

Only the standard library and numpy: models/check_cards.py imports this in CI.
"""
import numpy as np

FP = 4096
WIDTH = 32
HEIGHT = 32
CHANNELS = 3
X_RANGE = 0.6  # a point at +-0.6 (int8 +-77) lands on the raster's edge
Y_RANGE = 0.6
MAX_POINTS = 160  # the example transmits at most 160 points a stroke


def _cdiv(a, b):
    """C's integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _div_fp(a, b):
    if b == 0:
        b = 1
    return _cdiv(a * FP, b)


def _mul_fp(a, b):
    return _cdiv(a * b, FP)


def _float_to_fp(a):
    return int(np.float32(a) * np.float32(FP))  # static_cast<int32_t>(a * kFixedPoint), float math


def _norm_to_coord_fp(a_fp, range_fp, half_size_fp):
    return _mul_fp(_div_fp(a_fp, range_fp), half_size_fp) + half_size_fp


def _round_fp_to_int(a):
    return _cdiv(a + FP // 2, FP)


def rasterize(points, x_range=X_RANGE, y_range=Y_RANGE, width=WIDTH, height=HEIGHT):
    """`points`: a sequence of (x, y) int8 pairs. Returns int8 array (height, width, 3)."""
    out = np.full((height, width, CHANNELS), -128, dtype=np.int8)
    n = len(points)
    if n < 2:
        return out
    half_w, half_h = (width * FP) // 2, (height * FP) // 2
    x_range_fp, y_range_fp = _float_to_fp(x_range), _float_to_fp(y_range)
    t_inc_fp = FP // n
    one_half_fp = FP // 2
    for i in range(n - 1):
        sx, sy = (int(points[i][0]) * FP) // 128, (int(points[i][1]) * FP) // 128  # exact: FP/128 = 32
        ex, ey = (int(points[i + 1][0]) * FP) // 128, (int(points[i + 1][1]) * FP) // 128
        start_x = _norm_to_coord_fp(sx, x_range_fp, half_w)
        start_y = _norm_to_coord_fp(-sy, y_range_fp, half_h)
        end_x = _norm_to_coord_fp(ex, x_range_fp, half_w)
        end_y = _norm_to_coord_fp(-ey, y_range_fp, half_h)
        dx, dy = end_x - start_x, end_y - start_y

        t_fp = i * t_inc_fp
        if t_fp < one_half_fp:
            local_t = _div_fp(t_fp, one_half_fp)
            red = _round_fp_to_int((FP - local_t) * 255) - 128
            green = _round_fp_to_int(local_t * 255) - 128
            blue = -128
        else:
            local_t = _div_fp(t_fp - one_half_fp, one_half_fp)
            red = -128
            green = _round_fp_to_int((FP - local_t) * 255) - 128
            blue = _round_fp_to_int(local_t * 255) - 128
        colour = [min(max(c, -128), 127) for c in (red, green, blue)]

        if abs(dx) > abs(dy):
            length = abs(_round_fp_to_int(dx))
            x_inc = FP if dx > 0 else -FP
            y_inc = _div_fp(dy, dx) if dx > 0 else -_div_fp(dy, dx)
        else:
            length = abs(_round_fp_to_int(dy))
            y_inc = FP if dy > 0 else -FP
            x_inc = _div_fp(dx, dy) if dy > 0 else -_div_fp(dx, dy)
        for k in range(length + 1):
            x = _round_fp_to_int(start_x + k * x_inc)
            y = _round_fp_to_int(start_y + k * y_inc)
            if 0 <= x < width and 0 <= y < height:
                out[y, x] = colour
    return out


def normalise(points_xy_down):
    """The playground's pointer stroke (x right, y down, any units, drawing order) to the int8
    points `rasterize` takes:

    1. keep at most MAX_POINTS points: if there are n > 160, keep indices floor(j * n / 160)
       for j = 0..159;
    2. centre on the bounding box's centre, flip y (so y is up), divide by the bounding box's
       longer side (so the stroke spans -0.5..0.5 on that axis; a stroke with no extent stays 0);
    3. each coordinate to int8: clamp(round_half_away_from_zero(v * 128), -128, 127).
    """
    p = np.asarray(points_xy_down, dtype=np.float64)
    n = len(p)
    if n > MAX_POINTS:
        p = p[(np.arange(MAX_POINTS) * n) // MAX_POINTS]
    lo, hi = p.min(axis=0), p.max(axis=0)
    centre, side = (lo + hi) / 2, max(hi - lo)
    v = (p - centre) / (side if side > 0 else 1.0)
    v[:, 1] = -v[:, 1]
    q = np.sign(v) * np.floor(np.abs(v) * 128 + 0.5)
    return np.clip(q, -128, 127).astype(np.int8)
