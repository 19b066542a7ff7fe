//! MNIST's IDX files, as a user hands them to the digits demo (gzip'd as distributed, or not):
//! parsed with errors that say which file is wrong and how, because a test set from a stranger's
//! disk is input, not a constant.
//!
//! IDX: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, each
//! dimension as a big-endian u32, then the data, row-major. Images are `idx3` (count × 28 × 28),
//! labels `idx1` (count).

use std::io::Read;

/// Bytes of one MNIST image.
pub const PIXELS: usize = 28 * 28;

/// Labelled 28×28 digits: `images` holds `labels.len()` images of [`PIXELS`] bytes (ink 255 on 0).
#[derive(Clone, Debug, PartialEq)]
pub struct TestSet {
    /// Images back to back.
    pub images: Vec<u8>,
    /// Their digits, 0-9.
    pub labels: Vec<u8>,
}

impl TestSet {
    /// The set from the bytes of an images file and a labels file (each gzip'd or not).
    pub fn from_files(images: &[u8], labels: &[u8]) -> Result<TestSet, String> {
        let images = gunzip_if_needed(images).map_err(|e| format!("images file: {e}"))?;
        let labels = gunzip_if_needed(labels).map_err(|e| format!("labels file: {e}"))?;
        let (dims, pixels) = idx(&images).map_err(|e| format!("images file: {e}"))?;
        let [count, rows, cols] = dims[..] else {
            return Err(format!(
                "images file: {} dimensions; MNIST images have 3 (count, 28, 28){}",
                dims.len(),
                if dims.len() == 1 {
                    " — is this the labels file?"
                } else {
                    ""
                }
            ));
        };
        if (rows, cols) != (28, 28) {
            return Err(format!(
                "images file: images of {rows}×{cols}; the model reads 28×28"
            ));
        }
        let (ldims, labels) = idx(&labels).map_err(|e| format!("labels file: {e}"))?;
        let [lcount] = ldims[..] else {
            return Err(format!(
                "labels file: {} dimensions; MNIST labels have 1{}",
                ldims.len(),
                if ldims.len() == 3 {
                    " — is this the images file?"
                } else {
                    ""
                }
            ));
        };
        if lcount != count {
            return Err(format!(
                "{count} images but {lcount} labels: the files are not a pair"
            ));
        }
        if let Some(bad) = labels.iter().find(|&&l| l > 9) {
            return Err(format!("labels file: label {bad} is not a digit 0-9"));
        }
        debug_assert_eq!(pixels.len(), count * PIXELS);
        Ok(TestSet {
            images: pixels.to_vec(),
            labels: labels.to_vec(),
        })
    }

    /// Every `n`th digit (indices 0, n, 2n, ...): `every(5)` is the split models/digits/train.py
    /// held out of training (`index % 5 == 0`), on which the model card's figures were measured.
    pub fn every(&self, n: usize) -> TestSet {
        let n = n.max(1);
        TestSet {
            images: self
                .images
                .chunks_exact(PIXELS)
                .step_by(n)
                .flatten()
                .copied()
                .collect(),
            labels: self.labels.iter().step_by(n).copied().collect(),
        }
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No digits.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// gzip's magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The file itself, or its decompressed contents if it is gzip'd (as MNIST is distributed).
pub fn gunzip_if_needed(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip file ({e})"))?;
    Ok(out)
}

/// The dimensions and the data of an unsigned-byte IDX file, the data's length checked against
/// the dimensions.
pub fn idx(bytes: &[u8]) -> Result<(Vec<usize>, &[u8]), String> {
    let Some(&[z0, z1, kind, ndim]) = bytes.first_chunk::<4>() else {
        return Err(format!(
            "{} bytes is too short for an IDX file (a 4-byte magic number first)",
            bytes.len()
        ));
    };
    if (z0, z1) != (0, 0) {
        return Err(format!(
            "not an IDX file: it starts {z0:02x} {z1:02x}, an IDX file 00 00 (MNIST: \
             t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzip'd or not)"
        ));
    }
    if kind != 0x08 {
        return Err(format!(
            "IDX data type 0x{kind:02x}; MNIST's is 0x08 (unsigned byte)"
        ));
    }
    let header = 4 + 4 * ndim as usize;
    let sizes = bytes
        .get(4..header)
        .ok_or_else(|| format!("the header says {ndim} dimensions but the file ends first"))?;
    let dims: Vec<usize> = sizes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let want = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or("the dimensions overflow")?;
    let data = &bytes[header..];
    if data.len() != want {
        return Err(format!(
            "the header says {} = {want} bytes of data, the file has {}",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(" × "),
            data.len()
        ));
    }
    Ok((dims, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx_file(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut f = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            f.extend_from_slice(&d.to_be_bytes());
        }
        f.extend_from_slice(data);
        f
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn parses_a_pair_plain_or_gzipped() {
        let pixels: Vec<u8> = (0..2 * PIXELS).map(|i| (i % 251) as u8).collect();
        let images = idx_file(&[2, 28, 28], &pixels);
        let labels = idx_file(&[2], &[7, 1]);
        let want = TestSet {
            images: pixels.clone(),
            labels: vec![7, 1],
        };
        assert_eq!(TestSet::from_files(&images, &labels).unwrap(), want);
        assert_eq!(
            TestSet::from_files(&gzip(&images), &gzip(&labels)).unwrap(),
            want
        );
    }

    #[test]
    fn every_fifth_digit_is_the_held_out_split() {
        let images: Vec<u8> = (0..11 * PIXELS).map(|i| (i / PIXELS) as u8).collect();
        let set = TestSet {
            images,
            labels: (0..11).map(|i| i % 10).collect(),
        };
        let held = set.every(5);
        assert_eq!(held.labels, vec![0, 5, 0]);
        assert_eq!(held.images.len(), 3 * PIXELS);
        assert_eq!(held.images[PIXELS], 5);
        assert_eq!(held.images[2 * PIXELS], 10);
        assert_eq!(set.every(1), set);
        assert_eq!(set.every(0), set);
    }

    #[test]
    fn says_what_is_wrong() {
        let images = idx_file(&[2, 28, 28], &[0; 2 * PIXELS]);
        let labels = idx_file(&[2], &[7, 1]);
        let err = |i: &[u8], l: &[u8]| TestSet::from_files(i, l).unwrap_err();
        assert!(err(b"PK\x03\x04zip", &labels).contains("not an IDX file"));
        assert!(err(&images[..3], &labels).contains("too short"));
        assert!(err(&images[..images.len() - 1], &labels).contains("the file has 1567"));
        assert!(err(&labels, &images).contains("is this the labels file?"));
        assert!(err(&images, &idx_file(&[3], &[1, 2, 3])).contains("2 images but 3 labels"));
        assert!(err(&images, &idx_file(&[2], &[1, 12])).contains("label 12"));
        let small = idx_file(&[1, 14, 14], &[0; 196]);
        assert!(err(&small, &idx_file(&[1], &[0])).contains("14×14"));
        let mut floats = images.clone();
        floats[2] = 0x0d;
        assert!(err(&floats, &labels).contains("0x0d"));
        let mut broken = gzip(&images);
        broken.truncate(broken.len() / 2);
        assert!(err(&broken, &labels).starts_with("images file: not a valid gzip file"));
    }

    /// The real MNIST test digits, when the shared data is present ($TINYML_SHARED or
    /// ../shared beside the repository): 10,000 of them, the first a 7 (as every MNIST reader
    /// knows).
    #[test]
    fn reads_the_real_mnist_test_set_when_present() {
        let shared = std::env::var("TINYML_SHARED")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").into());
        let dir = std::path::Path::new(&shared).join("data/mnist");
        let (Ok(images), Ok(labels)) = (
            std::fs::read(dir.join("t10k-images-idx3-ubyte.gz")),
            std::fs::read(dir.join("t10k-labels-idx1-ubyte.gz")),
        ) else {
            eprintln!("skipped: no MNIST in {}", dir.display());
            return;
        };
        let set = TestSet::from_files(&images, &labels).unwrap();
        assert_eq!(set.len(), 10_000);
        assert_eq!(set.images.len(), 10_000 * PIXELS);
        assert_eq!(&set.labels[..5], &[7, 2, 1, 0, 4]);
        assert_eq!(set.every(5).len(), 2_000);
    }
}
