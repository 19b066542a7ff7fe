//! Tensor element types, shapes and quantization as the engine holds them.

use crate::error::{Error, Result};

/// Largest rank the engine handles (TFLM's kernels go up to 5 or 6 dimensions).
pub const MAX_RANK: usize = 6;

/// Element types the engine can hold in its arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// `FLOAT32`
    F32,
    /// `INT32`
    I32,
    /// `UINT8`
    U8,
    /// `INT64`
    I64,
    /// `BOOL` (one byte)
    Bool,
    /// `INT16`
    I16,
    /// `INT8`
    I8,
    /// `RESOURCE`: a handle to a resource variable; it takes no arena.
    Resource,
    /// `UINT32` (TFLM's Signal ops carry spectra and filterbank energies in it)
    U32,
    /// `UINT64` (the Signal filterbank's accumulators)
    U64,
}

impl DType {
    /// The engine type for a schema `TensorType` code.
    pub fn from_code(code: u8) -> Option<DType> {
        Some(match code {
            0 => DType::F32,
            2 => DType::I32,
            3 => DType::U8,
            4 => DType::I64,
            6 => DType::Bool,
            7 => DType::I16,
            9 => DType::I8,
            12 => DType::U64,
            13 => DType::Resource,
            15 => DType::U32,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::I64 | DType::U64 => 8,
            DType::I16 => 2,
            DType::U8 | DType::I8 | DType::Bool => 1,
            DType::Resource => 0,
        }
    }

    /// The schema's name for this type (`INT8`).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "FLOAT32",
            DType::I32 => "INT32",
            DType::U8 => "UINT8",
            DType::I64 => "INT64",
            DType::Bool => "BOOL",
            DType::I16 => "INT16",
            DType::I8 => "INT8",
            DType::Resource => "RESOURCE",
            DType::U32 => "UINT32",
            DType::U64 => "UINT64",
        }
    }

    /// The schema's name for any `TensorType` code, including ones the engine lacks.
    pub fn schema_name(code: u8) -> &'static str {
        const NAMES: [&str; 19] = [
            "FLOAT32",
            "FLOAT16",
            "INT32",
            "UINT8",
            "INT64",
            "STRING",
            "BOOL",
            "INT16",
            "COMPLEX64",
            "INT8",
            "FLOAT64",
            "COMPLEX128",
            "UINT64",
            "RESOURCE",
            "VARIANT",
            "UINT32",
            "UINT16",
            "INT4",
            "BFLOAT16",
        ];
        NAMES.get(code as usize).copied().unwrap_or("UNKNOWN")
    }
}

/// A tensor shape of at most [`MAX_RANK`] dimensions, stored inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Shape {
    dims: [i32; MAX_RANK],
    rank: u8,
}

impl Shape {
    /// A shape from dimensions; `None` when the rank exceeds [`MAX_RANK`] or a dimension is
    /// negative.
    pub fn new(dims: &[i32]) -> Option<Shape> {
        if dims.len() > MAX_RANK || dims.iter().any(|&d| d < 0) {
            return None;
        }
        let mut s = Shape {
            dims: [0; MAX_RANK],
            rank: dims.len() as u8,
        };
        s.dims[..dims.len()].copy_from_slice(dims);
        Some(s)
    }
    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.rank as usize
    }
    /// The dimensions.
    pub fn dims(&self) -> &[i32] {
        &self.dims[..self.rank as usize]
    }
    /// Dimension `i`, or 1 past the rank (so a `[n]` tensor reads as `[n, 1, ...]` nowhere:
    /// callers index within the rank; this only keeps out-of-rank reads harmless).
    pub fn dim(&self, i: usize) -> i32 {
        if i < self.rank as usize {
            self.dims[i]
        } else {
            1
        }
    }
    /// Number of elements, checked against overflow.
    pub fn elements(&self) -> Option<usize> {
        self.dims()
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
    }
    /// Product of dimensions `[from, to)`.
    pub fn product(&self, from: usize, to: usize) -> usize {
        self.dims()
            .iter()
            .take(to)
            .skip(from)
            .fold(1usize, |acc, &d| acc.saturating_mul(d as usize))
    }
}

/// Per-tensor (or first-channel) quantization parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quant {
    /// Scale of channel 0 (or of the whole tensor).
    pub scale: f32,
    /// Zero point of channel 0.
    pub zero_point: i32,
    /// Number of scales (1 = per-tensor, >1 = per-channel).
    pub channels: u32,
    /// Axis of per-channel quantization.
    pub axis: i32,
}

/// A checked description of one tensor of a model.
#[derive(Clone, Copy, Debug)]
pub struct TensorInfo<'a> {
    /// Subgraph-local index.
    pub index: u32,
    /// Element type.
    pub dtype: DType,
    /// Shape.
    pub shape: Shape,
    /// Size in bytes.
    pub bytes: usize,
    /// Quantization, if the tensor has scales.
    pub quant: Option<Quant>,
    /// Constant data in the model (offset into the model bytes), if any.
    pub data: Option<(usize, usize)>,
    /// True for `is_variable` tensors (persistent state such as SVDF's).
    pub is_variable: bool,
    /// The tensor's name in the model (for people).
    pub name: &'a [u8],
}

impl TensorInfo<'_> {
    /// The tensor's quantization, or an error naming the tensor when it has none or its scale is
    /// zero, negative or not finite: kernels that requantize need a real scale.
    ///
    /// The zero point must also lie in the element type's range (TFLM assumes it does; a
    /// damaged file that breaks the assumption would otherwise overflow kernel arithmetic).
    pub fn require_quant(&self) -> Result<Quant> {
        let q = match self.quant {
            Some(q) if q.scale.is_finite() && q.scale > 0.0 => q,
            _ => {
                return Err(Error::invalid(
                    "tensor lacks a positive quantization scale",
                    self.index as usize,
                ))
            }
        };
        let (lo, hi) = match self.dtype {
            DType::I8 => (-128, 127),
            DType::U8 => (0, 255),
            DType::I16 => (-32768, 32767),
            _ => (-65536, 65536),
        };
        if q.zero_point < lo || q.zero_point > hi {
            return Err(Error::invalid(
                "zero point outside the element type's range",
                self.index as usize,
            ));
        }
        Ok(q)
    }

    /// Scale and zero point if quantized, else `(0.0, 0)` (TFLM's "no quantization").
    pub fn scale_zp(&self) -> (f32, i32) {
        self.quant.map_or((0.0, 0), |q| (q.scale, q.zero_point))
    }

    /// Number of elements.
    pub fn elements(&self) -> usize {
        self.bytes / self.dtype.size().max(1)
    }
}
