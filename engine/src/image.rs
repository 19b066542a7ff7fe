//! Image preprocessing for 2-D image classifiers: a camera frame or a picture (RGBA8 as a
//! canvas's `ImageData` gives it, RGB8, or 8-bit gray) becomes the model's input tensor —
//! centre crop to the input's aspect ratio, area (box-filter) resize, grayscale or RGB, then
//! the tensor's type and quantization.
//!
//! The page, the CLI (`tinyml image`) and firmware call the same function, so a picture gives
//! the same input bytes everywhere. Everything is integer arithmetic up to the last step, so
//! the bytes do not depend on the platform's floating point:
//!
//! - **Crop**: the largest centred rectangle of the output's aspect ratio,
//!   `cw = floor(h·ow/oh)` when the source is wider than the output (else
//!   `ch = floor(w·oh/ow)`), offset `floor((w − cw)/2)` (likewise vertically).
//! - **Gray**: `77·R + 150·G + 29·B` (ITU-R BT.601 luma in 1/256 steps; the weights sum to 256,
//!   so a gray pixel `(v, v, v)` stays exactly `v`). An RGB channel `v` counts as `256·v`.
//! - **Area resize**: output pixel `(ox, oy)` of an `ow × oh` output averages the crop's pixels
//!   weighted by how much of each it covers. In units where a source pixel is `ow` wide and an
//!   output pixel `cw` wide, source column `sx` spans `[sx·ow, (sx+1)·ow)` and output column
//!   `ox` spans `[ox·cw, (ox+1)·cw)`; the weight is the length of their overlap, an integer
//!   (the same vertically). The weights of one output pixel sum to `cw·ch`, so its exact value
//!   is `S / (256·cw·ch)` for the integer weighted sum `S` (in `u64`; sides are limited to
//!   [`MAX_SIDE`], so it cannot overflow). Upscaling falls out of the same formula.
//! - **Pixel** `p = round(S / (256·cw·ch))`, halves up, in `0..=255`; `255 − p` when inverted
//!   (for white-on-black models such as MNIST fed a dark-on-light picture).
//! - **Encoding** ([`Encoding`]): int8 `q = p − 128`, the convention of TFLM's camera examples
//!   (person_detection's image providers) and of the project's digits card — the pixel range
//!   spans the whole int8 range, whatever the tensor's scale and zero point then say it means;
//!   uint8 `q = p`; float32 `lo + (hi − lo)·p/255`; or, for a model trained on a known float
//!   range, int8/uint8 quantized from that float with the tensor's own scale and zero point,
//!   `q = clamp(round(f / scale) + zero_point)` (f64, halves away from zero as TFLite's
//!   converter rounds).
//!
//! No heap and no panics: every size is checked and an [`ImageError`] says what is wrong.

use core::fmt;

/// How the source pixels are laid out (rows top to bottom, no padding between rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// 4 bytes a pixel, R G B A (a canvas's `ImageData`); alpha is ignored.
    Rgba8,
    /// 3 bytes a pixel, R G B.
    Rgb8,
    /// 1 byte a pixel, gray.
    Gray8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgba8 => 4,
            PixelFormat::Rgb8 => 3,
            PixelFormat::Gray8 => 1,
        }
    }
}

/// A source image: borrowed pixels and their layout.
#[derive(Clone, Copy, Debug)]
pub struct Image<'a> {
    /// `width · height · format.bytes_per_pixel()` bytes.
    pub data: &'a [u8],
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Layout of one pixel.
    pub format: PixelFormat,
}

/// The output's channels (interleaved, HWC, as TFLite's NHWC tensors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channels {
    /// One channel: BT.601 luma.
    Gray,
    /// Three channels: R, G, B.
    Rgb,
}

impl Channels {
    /// Number of channels.
    pub const fn count(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::Rgb => 3,
        }
    }
}

/// How a pixel `p` in `0..=255` becomes a tensor element (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Encoding {
    /// int8 `p − 128`: TFLM's camera examples' convention, the pixel range over the whole
    /// int8 range.
    Int8Shifted,
    /// uint8 `p`.
    UInt8,
    /// float32 (little-endian) `lo + (hi − lo)·p/255`.
    Float32 {
        /// The float of a black pixel.
        lo: f32,
        /// The float of a white pixel.
        hi: f32,
    },
    /// int8 quantized from the float `lo + (hi − lo)·p/255` with the tensor's quantization.
    Int8Quantized {
        /// The tensor's scale.
        scale: f32,
        /// The tensor's zero point.
        zero_point: i32,
        /// The float of a black pixel.
        lo: f32,
        /// The float of a white pixel.
        hi: f32,
    },
    /// uint8 quantized likewise.
    UInt8Quantized {
        /// The tensor's scale.
        scale: f32,
        /// The tensor's zero point.
        zero_point: i32,
        /// The float of a black pixel.
        lo: f32,
        /// The float of a white pixel.
        hi: f32,
    },
}

impl Encoding {
    /// Bytes of one tensor element.
    pub const fn element_bytes(self) -> usize {
        match self {
            Encoding::Float32 { .. } => 4,
            _ => 1,
        }
    }
}

/// What the model wants: its input's height, width, channels and encoding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    /// Output pixels per row.
    pub width: usize,
    /// Output rows.
    pub height: usize,
    /// Gray or RGB.
    pub channels: Channels,
    /// Tensor element type and quantization.
    pub encoding: Encoding,
    /// `255 − p`: light-on-dark models (MNIST) fed dark-on-light pictures.
    pub invert: bool,
}

impl Target {
    /// Bytes of the output tensor.
    pub fn output_bytes(&self) -> Option<usize> {
        self.width
            .checked_mul(self.height)?
            .checked_mul(self.channels.count())?
            .checked_mul(self.encoding.element_bytes())
    }
}

/// The float range a model was trained on, for [`Target::for_input`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PixelRange {
    /// The pixel range spans the tensor's own: int8 `p − 128`, uint8 `p`, float32 `p/255`.
    /// What TFLM's examples and the project's cards do.
    Tensor,
    /// A black pixel is `lo`, a white one `hi`; quantized with the tensor's scale and zero point.
    Float {
        /// The float of a black pixel.
        lo: f32,
        /// The float of a white pixel.
        hi: f32,
    },
}

impl Target {
    /// The target for an image input of `shape` (`[1, H, W, C]`, `[H, W, C]`, `[1, H, W]` or
    /// `[H, W]`, with C 1 or 3) and `dtype`, so that the CLI and the page derive the same one.
    /// `quant` is the tensor's (scale, zero point), needed by [`PixelRange::Float`] for int8
    /// and uint8.
    pub fn for_input(
        shape: &[usize],
        dtype: crate::DType,
        quant: Option<(f32, i32)>,
        range: PixelRange,
        invert: bool,
    ) -> Result<Target, ImageError> {
        let (height, width, c) = match shape {
            [1, h, w, c] | [h, w, c] if *c == 1 || *c == 3 => (*h, *w, *c),
            [1, h, w] | [h, w] => (*h, *w, 1),
            _ => return Err(ImageError::NotAnImage),
        };
        if height < 2 || width < 2 {
            return Err(ImageError::NotAnImage);
        }
        let channels = if c == 3 {
            Channels::Rgb
        } else {
            Channels::Gray
        };
        let encoding = match (dtype, range, quant) {
            (crate::DType::I8, PixelRange::Tensor, _) => Encoding::Int8Shifted,
            (crate::DType::U8, PixelRange::Tensor, _) => Encoding::UInt8,
            (crate::DType::F32, PixelRange::Tensor, _) => Encoding::Float32 { lo: 0.0, hi: 1.0 },
            (crate::DType::F32, PixelRange::Float { lo, hi }, _) => Encoding::Float32 { lo, hi },
            (crate::DType::I8, PixelRange::Float { lo, hi }, Some((scale, zero_point))) => {
                Encoding::Int8Quantized {
                    scale,
                    zero_point,
                    lo,
                    hi,
                }
            }
            (crate::DType::U8, PixelRange::Float { lo, hi }, Some((scale, zero_point))) => {
                Encoding::UInt8Quantized {
                    scale,
                    zero_point,
                    lo,
                    hi,
                }
            }
            _ => return Err(ImageError::NotAnImage),
        };
        Ok(Target {
            width,
            height,
            channels,
            encoding,
            invert,
        })
    }
}

/// Why an image could not be preprocessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The source or the output has no pixels.
    Empty,
    /// The source data is not `width · height · bytes_per_pixel` bytes.
    SourceSize {
        /// Bytes the width, height and format call for.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// The output buffer is not the tensor's size.
    OutputSize {
        /// Bytes the target calls for.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// A dimension so large that sizes overflow.
    TooLarge,
    /// The model's input is not an image: not `[1, H, W, C]` with C 1 or 3 of int8, uint8 or
    /// float32 (or a float range for an unquantized int8/uint8 tensor).
    NotAnImage,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::Empty => write!(f, "the image or the model input has no pixels"),
            ImageError::SourceSize { expected, got } => write!(
                f,
                "the image data is {got} bytes; its width, height and pixel format call for {expected}"
            ),
            ImageError::OutputSize { expected, got } => write!(
                f,
                "the output buffer is {got} bytes; the model input takes {expected}"
            ),
            ImageError::TooLarge => write!(f, "the image is too large"),
            ImageError::NotAnImage => write!(
                f,
                "the model's input is not an image ([1, height, width, 1 or 3] of int8, uint8 or float32)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ImageError {}

/// The largest width or height accepted, source or output: 65,536 pixels. It bounds the
/// arithmetic: a weighted sum is at most `65280 · cw · ch · 2 < 2^50`, far from `u64`'s end.
pub const MAX_SIDE: usize = 1 << 16;

/// A rectangle of the source: left, top, width, height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crop {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

/// The largest centred rectangle of a `width × height` source with the aspect ratio of
/// `out_width × out_height` (see the module's documentation for the rounding).
pub fn centre_crop(
    width: usize,
    height: usize,
    out_width: usize,
    out_height: usize,
) -> Result<Crop, ImageError> {
    if width == 0 || height == 0 || out_width == 0 || out_height == 0 {
        return Err(ImageError::Empty);
    }
    if width > MAX_SIDE || height > MAX_SIDE || out_width > MAX_SIDE || out_height > MAX_SIDE {
        return Err(ImageError::TooLarge);
    }
    let (w, h, ow, oh) = (
        width as u64,
        height as u64,
        out_width as u64,
        out_height as u64,
    );
    // Compare w/h with ow/oh without division: w·oh against h·ow (each under 2^33).
    let (cw, ch) = if w * oh > h * ow {
        ((h * ow / oh).max(1), h)
    } else {
        (w, (w * oh / ow).max(1))
    };
    Ok(Crop {
        x: ((w - cw) / 2) as usize,
        y: ((h - ch) / 2) as usize,
        width: cw as usize,
        height: ch as usize,
    })
}

/// The crop's pixels covered by output pixel `o` of `out` along one axis of `len` crop pixels:
/// the range of source indices and, through `weight`, each one's overlap (see the module's
/// documentation).
fn span(o: u64, out: u64, len: u64) -> (u64, u64) {
    let start = o * len / out;
    let end = ((o + 1) * len).div_ceil(out);
    (start, end.min(len))
}

fn weight(s: u64, o: u64, out: u64, len: u64) -> u64 {
    let lo = (s * out).max(o * len);
    let hi = ((s + 1) * out).min((o + 1) * len);
    hi.saturating_sub(lo)
}

/// Centre-crops `source` to the target's aspect ratio, area-resizes it, converts it to gray
/// or RGB and encodes it into `out` (exactly [`Target::output_bytes`] bytes, HWC).
pub fn preprocess(source: &Image<'_>, target: &Target, out: &mut [u8]) -> Result<(), ImageError> {
    let crop = centre_crop(source.width, source.height, target.width, target.height)?;
    preprocess_region(source, crop, target, out)
}

/// As [`preprocess`], from a given region of the source instead of the centre crop.
pub fn preprocess_region(
    source: &Image<'_>,
    crop: Crop,
    target: &Target,
    out: &mut [u8],
) -> Result<(), ImageError> {
    let bpp = source.format.bytes_per_pixel();
    let expected = source
        .width
        .checked_mul(source.height)
        .and_then(|n| n.checked_mul(bpp))
        .ok_or(ImageError::TooLarge)?;
    if source.data.len() != expected {
        return Err(ImageError::SourceSize {
            expected,
            got: source.data.len(),
        });
    }
    let out_expected = target.output_bytes().ok_or(ImageError::TooLarge)?;
    if out.len() != out_expected {
        return Err(ImageError::OutputSize {
            expected: out_expected,
            got: out.len(),
        });
    }
    if crop.width == 0 || crop.height == 0 || target.width == 0 || target.height == 0 {
        return Err(ImageError::Empty);
    }
    if crop
        .x
        .checked_add(crop.width)
        .is_none_or(|e| e > source.width)
        || crop
            .y
            .checked_add(crop.height)
            .is_none_or(|e| e > source.height)
    {
        return Err(ImageError::TooLarge);
    }
    if source.width > MAX_SIDE
        || source.height > MAX_SIDE
        || target.width > MAX_SIDE
        || target.height > MAX_SIDE
    {
        return Err(ImageError::TooLarge);
    }
    let channels = target.channels.count();
    let size = target.encoding.element_bytes();
    let (ow, oh) = (target.width as u64, target.height as u64);
    let (cw, ch) = (crop.width as u64, crop.height as u64);
    let denominator = 256 * cw * ch;
    let mut elements = out.chunks_exact_mut(size);
    for oy in 0..oh {
        let (y0, y1) = span(oy, oh, ch);
        for ox in 0..ow {
            let (x0, x1) = span(ox, ow, cw);
            let mut sums = [0u64; 3];
            for sy in y0..y1 {
                let wy = weight(sy, oy, oh, ch);
                let row = (crop.y as u64 + sy) as usize * source.width;
                for sx in x0..x1 {
                    let w = wy * weight(sx, ox, ow, cw);
                    let at = (row + crop.x + sx as usize) * bpp;
                    let Some(px) = source.data.get(at..at + bpp) else {
                        return Err(ImageError::TooLarge);
                    };
                    let [r, g, b] = rgb(px, source.format);
                    match target.channels {
                        Channels::Gray => sums[0] += w * (77 * r + 150 * g + 29 * b),
                        Channels::Rgb => {
                            sums[0] += w * 256 * r;
                            sums[1] += w * 256 * g;
                            sums[2] += w * 256 * b;
                        }
                    }
                }
            }
            for &sum in sums.iter().take(channels) {
                // Halves up: floor((2S + D) / 2D).
                let mut p = ((2 * sum + denominator) / (2 * denominator)).min(255) as u8;
                if target.invert {
                    p = 255 - p;
                }
                let Some(element) = elements.next() else {
                    return Err(ImageError::OutputSize {
                        expected: out_expected,
                        got: out_expected,
                    });
                };
                encode(p, target.encoding, element);
            }
        }
    }
    Ok(())
}

fn rgb(px: &[u8], format: PixelFormat) -> [u64; 3] {
    match (format, px) {
        (PixelFormat::Gray8, [v, ..]) => [u64::from(*v); 3],
        (_, [r, g, b, ..]) => [u64::from(*r), u64::from(*g), u64::from(*b)],
        _ => [0; 3],
    }
}

/// Writes pixel `p` as one tensor element (`element` is the element's bytes).
fn encode(p: u8, encoding: Encoding, element: &mut [u8]) {
    let float =
        |lo: f32, hi: f32| f64::from(lo) + (f64::from(hi) - f64::from(lo)) * f64::from(p) / 255.0;
    let quantize = |f: f64, scale: f32, zero_point: i32, min: f64, max: f64| {
        let q = libm::round(f / f64::from(scale)) + f64::from(zero_point);
        // NaN (a zero scale) clamps to min through max(min) of a NaN = min.
        q.max(min).min(max)
    };
    let byte = match encoding {
        Encoding::Int8Shifted => (i16::from(p) - 128) as i8 as u8,
        Encoding::UInt8 => p,
        Encoding::Float32 { lo, hi } => {
            let bytes = (float(lo, hi) as f32).to_le_bytes();
            for (dst, src) in element.iter_mut().zip(bytes) {
                *dst = src;
            }
            return;
        }
        Encoding::Int8Quantized {
            scale,
            zero_point,
            lo,
            hi,
        } => quantize(float(lo, hi), scale, zero_point, -128.0, 127.0) as i8 as u8,
        Encoding::UInt8Quantized {
            scale,
            zero_point,
            lo,
            hi,
        } => quantize(float(lo, hi), scale, zero_point, 0.0, 255.0) as u8,
    };
    if let Some(first) = element.first_mut() {
        *first = byte;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray_target(w: usize, h: usize, encoding: Encoding) -> Target {
        Target {
            width: w,
            height: h,
            channels: Channels::Gray,
            encoding,
            invert: false,
        }
    }

    #[test]
    fn centre_crop_keeps_the_middle() {
        // 640x480 to a square: 480x480 from column 80.
        assert_eq!(
            centre_crop(640, 480, 96, 96),
            Ok(Crop {
                x: 80,
                y: 0,
                width: 480,
                height: 480
            })
        );
        // Tall to wide: 100x300 to 2:1 is 100x50 from row 125.
        assert_eq!(
            centre_crop(100, 300, 2, 1),
            Ok(Crop {
                x: 0,
                y: 125,
                width: 100,
                height: 50
            })
        );
        // 5x4 to a square: 4 columns from floor(1/2) = 0.
        assert_eq!(
            centre_crop(5, 4, 1, 1),
            Ok(Crop {
                x: 0,
                y: 0,
                width: 4,
                height: 4
            })
        );
        assert_eq!(centre_crop(0, 4, 1, 1), Err(ImageError::Empty));
        assert_eq!(centre_crop(usize::MAX, 4, 1, 1), Err(ImageError::TooLarge));
    }

    #[test]
    fn two_by_two_to_one_pixel_averages_with_half_up() {
        // Gray 10, 20, 30, 41: mean 25.25 -> 25.
        let img = Image {
            data: &[10, 20, 30, 41],
            width: 2,
            height: 2,
            format: PixelFormat::Gray8,
        };
        let mut out = [0u8; 1];
        preprocess(&img, &gray_target(1, 1, Encoding::UInt8), &mut out).unwrap();
        assert_eq!(out, [25]);
        // 1, 2: mean 1.5 -> 2 (halves up).
        let img = Image {
            data: &[1, 2],
            width: 2,
            height: 1,
            format: PixelFormat::Gray8,
        };
        preprocess_region(
            &img,
            Crop {
                x: 0,
                y: 0,
                width: 2,
                height: 1,
            },
            &gray_target(1, 1, Encoding::UInt8),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [2]);
    }

    #[test]
    fn three_to_two_weights_overlaps() {
        // A row of 3 to 2 pixels, in units where a source pixel is ow = 2 wide and an output
        // pixel cw = 3: sources span [0,2), [2,4), [4,6); output 0 spans [0,3) (weights 2, 1),
        // output 1 spans [3,6) (weights 1, 2).
        // Values 0, 90, 180: out0 = (0·2 + 90·1)/3 = 30, out1 = (90·1 + 180·2)/3 = 150.
        let img = Image {
            data: &[0, 90, 180],
            width: 3,
            height: 1,
            format: PixelFormat::Gray8,
        };
        let mut out = [0u8; 2];
        preprocess_region(
            &img,
            Crop {
                x: 0,
                y: 0,
                width: 3,
                height: 1,
            },
            &gray_target(2, 1, Encoding::UInt8),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [30, 150]);
    }

    #[test]
    fn upscaling_repeats_pixels() {
        let img = Image {
            data: &[7, 200],
            width: 2,
            height: 1,
            format: PixelFormat::Gray8,
        };
        let mut out = [0u8; 4];
        preprocess_region(
            &img,
            Crop {
                x: 0,
                y: 0,
                width: 2,
                height: 1,
            },
            &gray_target(4, 1, Encoding::UInt8),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [7, 7, 200, 200]);
    }

    #[test]
    fn luma_weights_and_gray_identity() {
        // Pure red: 77·255/256 = 76.7 -> 77; green 150·255/256 = 149.4 -> 149; blue 28.9 -> 29.
        let img = Image {
            data: &[255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 0],
            width: 4,
            height: 1,
            format: PixelFormat::Rgba8,
        };
        let mut out = [0u8; 4];
        preprocess_region(
            &img,
            Crop {
                x: 0,
                y: 0,
                width: 4,
                height: 1,
            },
            &gray_target(4, 1, Encoding::UInt8),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, [77, 149, 29, 9]);
    }

    #[test]
    fn rgb_channels_interleave() {
        let img = Image {
            data: &[1, 2, 3, 5, 6, 7],
            width: 2,
            height: 1,
            format: PixelFormat::Rgb8,
        };
        let mut out = [0u8; 3];
        let target = Target {
            width: 1,
            height: 1,
            channels: Channels::Rgb,
            encoding: Encoding::UInt8,
            invert: false,
        };
        preprocess_region(
            &img,
            Crop {
                x: 0,
                y: 0,
                width: 2,
                height: 1,
            },
            &target,
            &mut out,
        )
        .unwrap();
        // Means 3, 4, 5.
        assert_eq!(out, [3, 4, 5]);
    }

    #[test]
    fn encodings() {
        let img = Image {
            data: &[0, 128, 255, 64],
            width: 4,
            height: 1,
            format: PixelFormat::Gray8,
        };
        let crop = Crop {
            x: 0,
            y: 0,
            width: 4,
            height: 1,
        };
        let mut out = [0u8; 4];
        preprocess_region(
            &img,
            crop,
            &gray_target(4, 1, Encoding::Int8Shifted),
            &mut out,
        )
        .unwrap();
        assert_eq!(out.map(|b| b as i8), [-128, 0, 127, -64]);
        let mut inv = gray_target(4, 1, Encoding::UInt8);
        inv.invert = true;
        preprocess_region(&img, crop, &inv, &mut out).unwrap();
        assert_eq!(out, [255, 127, 0, 191]);
        // MNIST-like quantization: scale 1/255, zero point -128 on [0, 1] gives p - 128.
        let q = Encoding::Int8Quantized {
            scale: 1.0 / 255.0,
            zero_point: -128,
            lo: 0.0,
            hi: 1.0,
        };
        preprocess_region(&img, crop, &gray_target(4, 1, q), &mut out).unwrap();
        assert_eq!(out.map(|b| b as i8), [-128, 0, 127, -64]);
        // Out-of-range floats clamp: [-2, 2] with scale 1/64 saturates both ends.
        let q = Encoding::UInt8Quantized {
            scale: 1.0 / 64.0,
            zero_point: 128,
            lo: -2.0,
            hi: 2.0,
        };
        preprocess_region(&img, crop, &gray_target(4, 1, q), &mut out).unwrap();
        // 0 -> -2 -> -128+128 = 0 clamped; 128 -> 2·128/255·... = 0.00784 -> round(0.502)=1 -> 129;
        // 255 -> 2 -> 256 -> 255; 64 -> -2 + 4·64/255 = -0.996 -> round(-63.75) = -64 -> 64.
        assert_eq!(out, [0, 129, 255, 64]);
        let mut f = [0u8; 16];
        let fl = Encoding::Float32 { lo: -1.0, hi: 1.0 };
        preprocess_region(&img, crop, &gray_target(4, 1, fl), &mut f).unwrap();
        let vals: [f32; 4] = core::array::from_fn(|i| {
            f32::from_le_bytes([f[4 * i], f[4 * i + 1], f[4 * i + 2], f[4 * i + 3]])
        });
        assert_eq!(
            vals,
            [
                -1.0,
                (2.0 * 128.0 / 255.0 - 1.0) as f32,
                1.0,
                (2.0 * 64.0 / 255.0 - 1.0) as f32
            ]
        );
    }

    #[test]
    fn targets_from_input_tensors() {
        let t = Target::for_input(
            &[1, 96, 96, 1],
            crate::DType::I8,
            Some((0.0078, -1)),
            PixelRange::Tensor,
            false,
        );
        assert_eq!(
            t,
            Ok(Target {
                width: 96,
                height: 96,
                channels: Channels::Gray,
                encoding: Encoding::Int8Shifted,
                invert: false
            })
        );
        let t = Target::for_input(
            &[1, 28, 28],
            crate::DType::F32,
            None,
            PixelRange::Tensor,
            true,
        )
        .unwrap();
        assert_eq!(
            (t.width, t.height, t.encoding, t.invert),
            (28, 28, Encoding::Float32 { lo: 0.0, hi: 1.0 }, true)
        );
        let t = Target::for_input(
            &[32, 48, 3],
            crate::DType::U8,
            Some((0.5, 3)),
            PixelRange::Float { lo: -1.0, hi: 1.0 },
            false,
        )
        .unwrap();
        assert_eq!((t.width, t.height, t.channels), (48, 32, Channels::Rgb));
        assert_eq!(
            t.encoding,
            Encoding::UInt8Quantized {
                scale: 0.5,
                zero_point: 3,
                lo: -1.0,
                hi: 1.0
            }
        );
        for bad in [&[1, 1960][..], &[1, 3, 40, 2], &[1, 1, 40, 1]] {
            assert_eq!(
                Target::for_input(bad, crate::DType::I8, None, PixelRange::Tensor, false),
                Err(ImageError::NotAnImage)
            );
        }
        assert_eq!(
            Target::for_input(
                &[1, 8, 8, 1],
                crate::DType::I16,
                None,
                PixelRange::Tensor,
                false
            ),
            Err(ImageError::NotAnImage)
        );
    }

    #[test]
    fn wrong_sizes_are_errors_not_panics() {
        let img = Image {
            data: &[0; 5],
            width: 2,
            height: 2,
            format: PixelFormat::Gray8,
        };
        let mut out = [0u8; 1];
        assert_eq!(
            preprocess(&img, &gray_target(1, 1, Encoding::UInt8), &mut out),
            Err(ImageError::SourceSize {
                expected: 4,
                got: 5
            })
        );
        let img = Image {
            data: &[0; 4],
            width: 2,
            height: 2,
            format: PixelFormat::Gray8,
        };
        let mut out = [0u8; 2];
        assert_eq!(
            preprocess(&img, &gray_target(1, 1, Encoding::UInt8), &mut out),
            Err(ImageError::OutputSize {
                expected: 1,
                got: 2
            })
        );
        let mut out = [0u8; 1];
        assert_eq!(
            preprocess_region(
                &img,
                Crop {
                    x: 1,
                    y: 0,
                    width: 2,
                    height: 2
                },
                &gray_target(1, 1, Encoding::UInt8),
                &mut out
            ),
            Err(ImageError::TooLarge)
        );
    }

    #[test]
    fn a_camera_frame_to_person_detect_size() {
        // 640x480 RGBA with a vertical gradient in the centre square: output row y averages
        // source rows [5y, 5y+5) of the crop, whose gray values are their row numbers mod 256.
        let (w, h) = (640usize, 480usize);
        let mut data = std::vec![0u8; 640 * 480 * 4];
        for (i, px) in data.chunks_exact_mut(4).enumerate() {
            let v = ((i / w) % 256) as u8;
            px.copy_from_slice(&[v, v, v, 255]);
        }
        let img = Image {
            data: &data,
            width: w,
            height: h,
            format: PixelFormat::Rgba8,
        };
        let mut out = [0u8; 96 * 96];
        preprocess(&img, &gray_target(96, 96, Encoding::UInt8), &mut out).unwrap();
        for y in 0..96 {
            let rows: u32 = (5 * y..5 * y + 5).map(|r| (r % 256) as u32).sum();
            let want = ((2 * rows + 5) / 10) as u8;
            assert!(
                out[y * 96..y * 96 + 96].iter().all(|&p| p == want),
                "row {y}"
            );
        }
    }
}
