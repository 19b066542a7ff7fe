//! `tinyml image`: a picture (BMP) as an image model's input tensor, through the engine's image
//! preprocessing (centre crop, area resize, gray or RGB, the input's type and quantization) —
//! the very function the playground's Vision page calls, so tests can compare the bytes.

use std::path::Path;

use anyhow::{bail, Context, Result};
use tinyml_engine::image::{self, Image, PixelFormat, PixelRange, Target};
use tinyml_engine::{Interpreter, Model};

/// Writes the input tensor `model`'s input 0 would get from the BMP `picture` to `output`.
pub fn image(
    picture: &Path,
    model_path: &Path,
    range: Option<(f32, f32)>,
    invert: bool,
    output: &Path,
) -> Result<()> {
    let bytes =
        std::fs::read(picture).with_context(|| format!("cannot read {}", picture.display()))?;
    let bmp = parse_bmp(&bytes).with_context(|| format!("{}", picture.display()))?;
    let model_bytes = crate::read_model(model_path)?;
    let model = Model::load(&model_bytes).with_context(|| format!("{}", model_path.display()))?;
    let mut arena = vec![0u8; Interpreter::arena_bytes(&model)?];
    let interp = Interpreter::new(&model, &mut arena)?;
    let info = interp.input_info(0)?;
    let shape: Vec<usize> = info.shape.dims().iter().map(|&d| d as usize).collect();
    let range = match range {
        Some((lo, hi)) => PixelRange::Float { lo, hi },
        None => PixelRange::Tensor,
    };
    let target = Target::for_input(
        &shape,
        info.dtype,
        info.quant.map(|q| (q.scale, q.zero_point)),
        range,
        invert,
    )
    .with_context(|| format!("{} input 0 {:?}", model_path.display(), shape))?;
    let mut out = vec![0u8; target.output_bytes().unwrap_or(0)];
    let source = Image {
        data: &bmp.rgb,
        width: bmp.width,
        height: bmp.height,
        format: PixelFormat::Rgb8,
    };
    image::preprocess(&source, &target, &mut out)?;
    std::fs::write(output, &out).with_context(|| format!("cannot write {}", output.display()))?;
    crate::emit(&format!(
        "{}x{} picture -> {}x{}x{} {:?} ({} bytes) -> {}\n",
        bmp.width,
        bmp.height,
        target.height,
        target.width,
        target.channels.count(),
        target.encoding,
        out.len(),
        output.display()
    ))
}

/// A decoded BMP: RGB8 rows, top first.
struct Bmp {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

/// Reads an uncompressed Windows BMP (8-bit palettized, 24- or 32-bit; rows bottom-up or
/// top-down), as TFLM's person_detection test images are.
fn parse_bmp(b: &[u8]) -> Result<Bmp> {
    let u16_at = |i: usize| b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    if b.get(0..2) != Some(b"BM") {
        bail!("not a BMP file (no BM header)");
    }
    let (Some(offset), Some(header), Some(w), Some(h), Some(bits), Some(compression)) = (
        u32_at(10),
        u32_at(14),
        u32_at(18),
        u32_at(22),
        u16_at(28),
        u32_at(30),
    ) else {
        bail!("BMP header is truncated");
    };
    if header < 40 {
        bail!("BMP has an old OS/2 header; a Windows BITMAPINFOHEADER is needed");
    }
    // BI_RGB, or BI_BITFIELDS for 32-bit (assumed the usual BGRA masks).
    if compression != 0 && !(compression == 3 && bits == 32) {
        bail!("BMP is compressed (method {compression}); uncompressed BMP is needed");
    }
    let h = h as i32;
    let (height, top_down) = (h.unsigned_abs() as usize, h < 0);
    let width = w as usize;
    if width == 0 || height == 0 || width > 1 << 15 || height > 1 << 15 {
        bail!("BMP is {width}x{height}; 1 to 32768 pixels a side are supported");
    }
    let palette: Vec<[u8; 3]> = if bits == 8 {
        let colours = match u32_at(46) {
            Some(0) | None => 256,
            Some(n) => n.min(256) as usize,
        };
        let start = 14 + header as usize;
        (0..colours)
            .map(|i| {
                b.get(start + 4 * i..start + 4 * i + 3)
                    .map(|p| [p[2], p[1], p[0]])
                    .context("BMP palette is truncated")
            })
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let bpp = match bits {
        8 => 1,
        24 => 3,
        32 => 4,
        other => bail!("BMP has {other} bits a pixel; 8, 24 or 32 are supported"),
    };
    let stride = (width * bpp).div_ceil(4) * 4;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        let row = if top_down { y } else { height - 1 - y };
        let start = offset as usize + row * stride;
        let Some(data) = b.get(start..start + width * bpp) else {
            bail!("BMP pixel data is truncated");
        };
        for px in data.chunks_exact(bpp) {
            match px {
                [i] => {
                    let Some(c) = palette.get(usize::from(*i)) else {
                        bail!("BMP pixel uses colour {i}, beyond the palette");
                    };
                    rgb.extend_from_slice(c);
                }
                [bl, g, r, ..] => rgb.extend_from_slice(&[*r, *g, *bl]),
                _ => {}
            }
        }
    }
    Ok(Bmp { width, height, rgb })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bottom-up 24-bit BMP of `w`x`h` with the given RGB pixels (top row first).
    fn bmp24(w: usize, h: usize, rgb: &[[u8; 3]]) -> Vec<u8> {
        let stride = (w * 3).div_ceil(4) * 4;
        let mut v = Vec::new();
        v.extend_from_slice(b"BM");
        v.extend_from_slice(&((54 + stride * h) as u32).to_le_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&54u32.to_le_bytes());
        v.extend_from_slice(&40u32.to_le_bytes());
        v.extend_from_slice(&(w as u32).to_le_bytes());
        v.extend_from_slice(&(h as u32).to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&24u16.to_le_bytes());
        v.extend_from_slice(&[0; 24]);
        for y in (0..h).rev() {
            let mut row = Vec::new();
            for p in &rgb[y * w..y * w + w] {
                row.extend_from_slice(&[p[2], p[1], p[0]]);
            }
            row.resize(stride, 0);
            v.extend_from_slice(&row);
        }
        v
    }

    #[test]
    fn reads_24_bit_bottom_up_with_row_padding() {
        let px = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]];
        let b = parse_bmp(&bmp24(1, 4, &px)).unwrap();
        assert_eq!((b.width, b.height), (1, 4));
        assert_eq!(b.rgb, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let b = parse_bmp(&bmp24(2, 2, &px)).unwrap();
        assert_eq!(b.rgb, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        let err = |b: &[u8]| format!("{:#}", parse_bmp(b).err().expect("an error"));
        assert!(err(b"PNG").contains("not a BMP"));
        assert!(err(b"BM\0\0").contains("truncated"));
        let mut b = bmp24(2, 2, &[[0; 3]; 4]);
        b.truncate(b.len() - 3);
        assert!(err(&b).contains("truncated"));
        let mut b = bmp24(2, 2, &[[0; 3]; 4]);
        b[30] = 1; // RLE8
        assert!(err(&b).contains("compressed"));
    }

    #[test]
    fn reads_the_person_detection_pictures() {
        // TFLM's 96x96 8-bit gray BMPs: the palette is gray, so the RGB is (v, v, v).
        // `../shared` beside the repository (or `$TINYML_SHARED`, relative to the repository).
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = match std::env::var("TINYML_SHARED") {
            Ok(p) if Path::new(&p).is_absolute() => p.into(),
            Ok(p) => manifest.join("..").join(p),
            Err(_) => manifest.join("../../shared"),
        };
        let path = shared.join("data/person_detection/person.bmp");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("skipped: {} is absent", path.display());
            return;
        };
        let b = parse_bmp(&bytes).unwrap();
        assert_eq!((b.width, b.height, b.rgb.len()), (96, 96, 96 * 96 * 3));
        assert!(b.rgb.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    }
}
