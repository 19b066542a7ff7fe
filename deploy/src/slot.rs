//! The model slot: the flash region the firmware reads its model from.
//!
//! The firmware template is built once, with the slot left empty (erased flash, `0xFF`); an
//! export writes a header, the `.tflite` bytes and optionally one input into the slot. The
//! firmware checks the header and both CRCs before it trusts a byte, so a half-written or stale
//! slot is an error message, not a crash.
//!
//! Layout, all integers little-endian, offsets from the start of the slot:
//!
//! | offset | size | field |
//! | ---: | ---: | --- |
//! | 0 | 4 | magic `TMLS` |
//! | 4 | 2 | format version ([`VERSION`]) |
//! | 6 | 2 | header length in bytes (multiple of 16; the model starts here) |
//! | 8 | 4 | model length |
//! | 12 | 4 | model CRC-32 |
//! | 16 | 4 | input offset (multiple of 16; 0 when no input is carried) |
//! | 20 | 4 | input length |
//! | 24 | 4 | input CRC-32 |
//! | 28 | 4 | arena bytes the model needs (as the host's engine measured it) |
//! | 32 | 1 | input count *i* |
//! | 33 | 1 | output count *o* |
//! | 34 | 2 | flags (none defined yet; 0) |
//! | 36 | 4 | reserved (0) |
//! | 40 | 40 × (*i* + *o*) | tensor descriptions, inputs then outputs ([`TensorDesc`]) |
//! | … | 4 | CRC-32 of every header byte before it |
//!
//! then zero padding to the header length, the model, zero padding to the input offset, and
//! the input (all model inputs back to back, in order). CRC-32 is zlib's.

use crate::crc32::crc32;

/// `TMLS`: TinyML slot.
pub const MAGIC: [u8; 4] = *b"TMLS";
/// The slot format this crate writes and reads.
pub const VERSION: u16 = 1;
/// Bytes of the header before the tensor descriptions.
const FIXED: usize = 40;
/// Bytes of one tensor description.
pub const DESC_BYTES: usize = 40;
/// Most inputs plus outputs a slot describes (the header stays under 2 KB).
pub const MAX_TENSORS: usize = 32;
/// Largest rank a description holds (the engine's `MAX_RANK`).
pub const MAX_RANK: usize = 6;
/// Alignment of the model and the input inside the slot (and of the slot itself): flatbuffers
/// ask for 16 at most.
pub const ALIGN: usize = 16;

/// Why a slot cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotError {
    /// The slot is erased flash: nothing has been exported into this image.
    Empty,
    /// The slot does not start with `TMLS`.
    BadMagic,
    /// A slot format this firmware does not read.
    UnsupportedVersion {
        /// The version found.
        version: u16,
    },
    /// A length or offset points past the slot's region, or fields contradict each other.
    OutOfBounds {
        /// Which field.
        what: &'static str,
    },
    /// A CRC-32 does not match: the slot was damaged or only partly written.
    CrcMismatch {
        /// `header`, `model` or `input`.
        what: &'static str,
        /// CRC-32 stored in the header.
        stored: u32,
        /// CRC-32 of the bytes present.
        computed: u32,
    },
}

impl core::fmt::Display for SlotError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            SlotError::Empty => write!(
                f,
                "the model slot is empty (erased flash): export a model into this image"
            ),
            SlotError::BadMagic => write!(f, "the model slot does not start with TMLS"),
            SlotError::UnsupportedVersion { version } => write!(
                f,
                "the model slot has format version {version}; this firmware reads version {VERSION}"
            ),
            SlotError::OutOfBounds { what } => {
                write!(f, "the model slot's {what} lies outside the slot")
            }
            SlotError::CrcMismatch {
                what,
                stored,
                computed,
            } => write!(
                f,
                "the model slot's {what} CRC-32 is {computed:08x}, the header says {stored:08x}: \
                 the slot is damaged or partly written"
            ),
        }
    }
}

/// One input or output tensor as the slot describes it (for tools reading a board's flash,
/// and for the firmware to check the model against what the host measured).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TensorDesc {
    /// Schema `TensorType` code (9 = INT8, 0 = FLOAT32, ...).
    pub dtype: u8,
    /// Number of dimensions (at most [`MAX_RANK`]).
    pub rank: u8,
    /// Size in bytes.
    pub bytes: u32,
    /// Quantization scale (0 when not quantized).
    pub scale: f32,
    /// Quantization zero point.
    pub zero_point: i32,
    /// Dimensions; entries past `rank` are 0.
    pub dims: [i32; MAX_RANK],
}

impl TensorDesc {
    /// The description of an engine tensor.
    #[cfg(feature = "engine")]
    pub fn from_info(info: &tinyml_engine::TensorInfo<'_>) -> TensorDesc {
        let shape = info.shape.dims();
        let mut dims = [0; MAX_RANK];
        for (d, &s) in dims.iter_mut().zip(shape) {
            *d = s;
        }
        let (scale, zero_point) = info.scale_zp();
        TensorDesc {
            dtype: dtype_code(info.dtype),
            rank: shape.len().min(MAX_RANK) as u8,
            bytes: info.bytes as u32,
            scale,
            zero_point,
            dims,
        }
    }

    /// The description's 40 bytes: dtype, rank, 2 reserved, bytes, scale, zero point, 6 dims.
    pub fn to_bytes(&self) -> [u8; DESC_BYTES] {
        let mut b = [0u8; DESC_BYTES];
        b[0] = self.dtype;
        b[1] = self.rank;
        b[4..8].copy_from_slice(&self.bytes.to_le_bytes());
        b[8..12].copy_from_slice(&self.scale.to_le_bytes());
        b[12..16].copy_from_slice(&self.zero_point.to_le_bytes());
        for (i, d) in self.dims.iter().enumerate() {
            b[16 + 4 * i..20 + 4 * i].copy_from_slice(&d.to_le_bytes());
        }
        b
    }

    /// Reads a description written by [`TensorDesc::to_bytes`].
    pub fn from_bytes(b: &[u8; DESC_BYTES]) -> TensorDesc {
        let mut dims = [0; MAX_RANK];
        for (i, d) in dims.iter_mut().enumerate() {
            *d = i32::from_le_bytes(word(b, 16 + 4 * i));
        }
        TensorDesc {
            dtype: b[0],
            rank: b[1],
            bytes: u32::from_le_bytes(word(b, 4)),
            scale: f32::from_le_bytes(word(b, 8)),
            zero_point: i32::from_le_bytes(word(b, 12)),
            dims,
        }
    }

    /// The dimensions in use.
    pub fn shape(&self) -> &[i32] {
        &self.dims[..(self.rank as usize).min(MAX_RANK)]
    }
}

/// The schema `TensorType` code of an engine type: the inverse of the engine's own
/// `DType::from_code`, so a type the engine learns is described without a change here.
#[cfg(feature = "engine")]
pub fn dtype_code(dtype: tinyml_engine::DType) -> u8 {
    (0..=u8::MAX)
        .find(|&c| tinyml_engine::DType::from_code(c) == Some(dtype))
        .unwrap_or(u8::MAX)
}

/// Four bytes of `b` from `at`; `at + 4 <= b.len()` is the caller's to guarantee (every call
/// site reads a fixed offset inside a header whose length was checked first).
fn word(b: &[u8], at: usize) -> [u8; 4] {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    w
}

/// `n` rounded up to [`ALIGN`].
pub const fn align_up(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// Header length for `tensors` descriptions: fixed part, descriptions, CRC, padding.
pub const fn header_len(tensors: usize) -> usize {
    align_up(FIXED + DESC_BYTES * tensors + 4)
}

/// A checked slot, borrowing the flash region it was read from.
#[derive(Clone, Copy, Debug)]
pub struct Slot<'a> {
    header: &'a [u8],
    /// The `.tflite` bytes.
    pub model: &'a [u8],
    /// The carried input (all model inputs back to back), if any.
    pub input: Option<&'a [u8]>,
    /// Arena bytes the host measured for the model.
    pub arena_bytes: u32,
    /// Number of input descriptions.
    pub input_count: usize,
    /// Number of output descriptions.
    pub output_count: usize,
    /// Bytes from the start of the slot to the end of its last part.
    end: usize,
}

impl<'a> Slot<'a> {
    /// Reads and checks the slot at the start of `region` (the whole reserved flash region:
    /// nothing past it is read).
    pub fn parse(region: &'a [u8]) -> Result<Slot<'a>, SlotError> {
        let fixed = region
            .get(..FIXED)
            .ok_or(SlotError::OutOfBounds { what: "header" })?;
        // Erased flash reads 0xFF; QEMU's flash starts out as zeros.
        if fixed[..4] == [0xFF; 4] || fixed[..4] == [0; 4] {
            return Err(SlotError::Empty);
        }
        if fixed[..4] != MAGIC {
            return Err(SlotError::BadMagic);
        }
        let version = u16::from_le_bytes([fixed[4], fixed[5]]);
        if version != VERSION {
            return Err(SlotError::UnsupportedVersion { version });
        }
        let u32_at = |at: usize| u32::from_le_bytes(word(fixed, at)) as usize;
        let header_bytes = u16::from_le_bytes([fixed[6], fixed[7]]) as usize;
        let (input_count, output_count) = (fixed[32] as usize, fixed[33] as usize);
        let tensors = input_count + output_count;
        if tensors > MAX_TENSORS || header_bytes != header_len(tensors) {
            return Err(SlotError::OutOfBounds {
                what: "header length",
            });
        }
        let header = region
            .get(..header_bytes)
            .ok_or(SlotError::OutOfBounds { what: "header" })?;
        let crc_at = FIXED + DESC_BYTES * tensors;
        let stored = u32::from_le_bytes(word(header, crc_at));
        let computed = crc32(&header[..crc_at]);
        if stored != computed {
            return Err(SlotError::CrcMismatch {
                what: "header",
                stored,
                computed,
            });
        }
        let model = checked_part(region, header_bytes, u32_at(8), "model")?;
        check_crc(model, u32_at(12) as u32, "model")?;
        let (input_offset, input_len) = (u32_at(16), u32_at(20));
        let mut end = header_bytes + model.len();
        let input = if input_offset == 0 {
            None
        } else {
            if input_offset < header_bytes + model.len() || input_offset % ALIGN != 0 {
                return Err(SlotError::OutOfBounds {
                    what: "input offset",
                });
            }
            let input = checked_part(region, input_offset, input_len, "input")?;
            check_crc(input, u32_at(24) as u32, "input")?;
            end = input_offset + input.len();
            Some(input)
        };
        Ok(Slot {
            header,
            model,
            input,
            arena_bytes: u32_at(28) as u32,
            input_count,
            output_count,
            end,
        })
    }

    /// Description of input `i`.
    pub fn input_desc(&self, i: usize) -> Option<TensorDesc> {
        (i < self.input_count).then(|| self.desc(i))
    }

    /// Description of output `i`.
    pub fn output_desc(&self, i: usize) -> Option<TensorDesc> {
        (i < self.output_count).then(|| self.desc(self.input_count + i))
    }

    fn desc(&self, k: usize) -> TensorDesc {
        let mut b = [0u8; DESC_BYTES];
        b.copy_from_slice(&self.header[FIXED + DESC_BYTES * k..FIXED + DESC_BYTES * (k + 1)]);
        TensorDesc::from_bytes(&b)
    }

    /// Bytes from the start of the slot to the end of its last part.
    pub fn len(&self) -> usize {
        self.end
    }

    /// Always false: a parsed slot holds at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }
}

fn checked_part<'a>(
    region: &'a [u8],
    offset: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], SlotError> {
    offset
        .checked_add(len)
        .and_then(|end| region.get(offset..end))
        .ok_or(SlotError::OutOfBounds { what })
}

fn check_crc(bytes: &[u8], stored: u32, what: &'static str) -> Result<(), SlotError> {
    let computed = crc32(bytes);
    if computed == stored {
        Ok(())
    } else {
        Err(SlotError::CrcMismatch {
            what,
            stored,
            computed,
        })
    }
}

/// What goes into a slot.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct SlotSpec<'a> {
    /// The `.tflite` bytes.
    pub model: &'a [u8],
    /// Arena bytes the model needs (`Interpreter::arena_bytes` on the host).
    pub arena_bytes: u32,
    /// Input descriptions, in order.
    pub inputs: alloc::vec::Vec<TensorDesc>,
    /// Output descriptions, in order.
    pub outputs: alloc::vec::Vec<TensorDesc>,
    /// One input to run at boot: every model input back to back.
    pub input: Option<&'a [u8]>,
}

#[cfg(feature = "alloc")]
impl<'a> SlotSpec<'a> {
    /// Describes `model`'s subgraph-0 inputs and outputs with the engine's own reading of it.
    #[cfg(feature = "engine")]
    pub fn from_model(
        model: &tinyml_engine::Model<'a>,
        arena_bytes: usize,
        input: Option<&'a [u8]>,
    ) -> Result<SlotSpec<'a>, crate::DeployError> {
        let describe = |list: tinyml_engine::format::flatbuf::Vector<'_>| {
            (0..list.len())
                .map(|k| {
                    let t = list.i32(k)?;
                    Ok(TensorDesc::from_info(&model.tensor(0, t as usize)?))
                })
                .collect::<Result<alloc::vec::Vec<_>, tinyml_engine::Error>>()
        };
        let inputs = describe(model.inputs(0)?)?;
        let outputs = describe(model.outputs(0)?)?;
        if inputs.len() + outputs.len() > MAX_TENSORS {
            return Err(crate::DeployError::TooManyTensors {
                count: inputs.len() + outputs.len(),
            });
        }
        if let Some(data) = input {
            let expected: usize = inputs.iter().map(|d| d.bytes as usize).sum();
            if data.len() != expected {
                return Err(crate::DeployError::WrongInputSize {
                    expected,
                    actual: data.len(),
                });
            }
        }
        Ok(SlotSpec {
            model: model.bytes(),
            arena_bytes: u32::try_from(arena_bytes).map_err(|_| crate::DeployError::TooLarge)?,
            inputs,
            outputs,
            input,
        })
    }

    /// The slot's bytes: header, model, input.
    pub fn build(&self) -> alloc::vec::Vec<u8> {
        let tensors = self.inputs.len() + self.outputs.len();
        let header_bytes = header_len(tensors);
        let mut out = alloc::vec![0u8; header_bytes];
        out[..4].copy_from_slice(&MAGIC);
        out[4..6].copy_from_slice(&VERSION.to_le_bytes());
        out[6..8].copy_from_slice(&(header_bytes as u16).to_le_bytes());
        out[8..12].copy_from_slice(&(self.model.len() as u32).to_le_bytes());
        out[12..16].copy_from_slice(&crc32(self.model).to_le_bytes());
        let input_offset = align_up(header_bytes + self.model.len());
        if let Some(input) = self.input {
            out[16..20].copy_from_slice(&(input_offset as u32).to_le_bytes());
            out[20..24].copy_from_slice(&(input.len() as u32).to_le_bytes());
            out[24..28].copy_from_slice(&crc32(input).to_le_bytes());
        }
        out[28..32].copy_from_slice(&self.arena_bytes.to_le_bytes());
        out[32] = self.inputs.len() as u8;
        out[33] = self.outputs.len() as u8;
        for (k, d) in self.inputs.iter().chain(&self.outputs).enumerate() {
            out[FIXED + DESC_BYTES * k..FIXED + DESC_BYTES * (k + 1)]
                .copy_from_slice(&d.to_bytes());
        }
        let crc_at = FIXED + DESC_BYTES * tensors;
        let crc = crc32(&out[..crc_at]);
        out[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(self.model);
        if let Some(input) = self.input {
            out.resize(input_offset, 0);
            out.extend_from_slice(input);
        }
        out
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use alloc::vec;

    fn desc(bytes: u32) -> TensorDesc {
        TensorDesc {
            dtype: 9,
            rank: 2,
            bytes,
            scale: 0.5,
            zero_point: -3,
            dims: [1, bytes as i32, 0, 0, 0, 0],
        }
    }

    fn spec<'a>(model: &'a [u8], input: Option<&'a [u8]>) -> SlotSpec<'a> {
        SlotSpec {
            model,
            arena_bytes: 1234,
            inputs: vec![desc(3)],
            outputs: vec![desc(2), desc(5)],
            input,
        }
    }

    #[test]
    fn round_trip() {
        let model = b"\x10\0\0\0TFL3 not really a model";
        let slot = spec(model, Some(b"abc")).build();
        assert_eq!(slot.len() % 16, 3);
        let mut region = slot.clone();
        region.resize(4096, 0xFF);
        let s = Slot::parse(&region).unwrap();
        assert_eq!(s.model, model);
        assert_eq!(s.input, Some(&b"abc"[..]));
        assert_eq!(s.arena_bytes, 1234);
        assert_eq!((s.input_count, s.output_count), (1, 2));
        assert_eq!(s.input_desc(0), Some(desc(3)));
        assert_eq!(s.output_desc(1), Some(desc(5)));
        assert_eq!(s.output_desc(2), None);
        assert_eq!(s.input_desc(0).unwrap().shape(), &[1, 3]);
        assert_eq!(s.len(), slot.len());
        assert_eq!(
            s.model.as_ptr() as usize % 16,
            region.as_ptr() as usize % 16
        );
    }

    #[cfg(feature = "engine")]
    #[test]
    fn dtype_codes_are_the_schema_s() {
        use tinyml_engine::DType;
        assert_eq!(dtype_code(DType::I8), 9);
        assert_eq!(dtype_code(DType::F32), 0);
        assert_eq!(dtype_code(DType::I16), 7);
    }

    #[test]
    fn without_input() {
        let slot = spec(b"model", None).build();
        let s = Slot::parse(&slot).unwrap();
        assert_eq!(s.input, None);
        assert_eq!(s.len(), slot.len());
    }

    #[test]
    fn damage_is_reported() {
        let good = spec(b"model bytes", Some(b"xyz")).build();
        assert_eq!(Slot::parse(&[0xFF; 64]).unwrap_err(), SlotError::Empty);
        assert_eq!(Slot::parse(&[0; 64]).unwrap_err(), SlotError::Empty);
        assert_eq!(Slot::parse(&[1; 64]).unwrap_err(), SlotError::BadMagic);
        assert!(matches!(
            Slot::parse(&good[..20]),
            Err(SlotError::OutOfBounds { .. })
        ));
        assert!(matches!(
            Slot::parse(&good[..good.len() - 1]),
            Err(SlotError::OutOfBounds { what: "input" })
        ));
        // One flipped bit anywhere but the zero padding is caught by one of the three CRCs.
        let header_end = FIXED + DESC_BYTES * 3 + 4;
        let model_end = header_len(3) + b"model bytes".len();
        let input_start = align_up(model_end);
        let padding = |at: usize| {
            (header_end..header_len(3)).contains(&at) || (model_end..input_start).contains(&at)
        };
        for at in (0..good.len()).filter(|&at| !padding(at)) {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            assert!(Slot::parse(&bad).is_err(), "flip at {at} went unnoticed");
        }
        let mut v2 = good.clone();
        v2[4] = 2;
        assert_eq!(
            Slot::parse(&v2).unwrap_err(),
            SlotError::UnsupportedVersion { version: 2 }
        );
    }
}
