//! Typed, checked views of the TFLite schema tables (`schema.fbs`) that the engine reads.
//!
//! Field slots follow the order of fields in `schema.fbs`; a union takes two slots (its type tag,
//! then its value). Every accessor returns `Result`, because every read is checked.

use super::flatbuf::{Table, Vector};
use crate::error::{Error, Result};

/// Builtin code of the `CUSTOM` operator.
pub const CUSTOM_CODE: u16 = 32;
/// `deprecated_builtin_code` value meaning "look at `builtin_code`".
const PLACEHOLDER_FOR_GREATER_OP_CODES: i32 = 127;

/// The root `Model` table.
#[derive(Clone, Copy, Debug)]
pub struct ModelTable<'a>(pub Table<'a>);

impl<'a> ModelTable<'a> {
    /// Schema version (3 for every current file).
    pub fn version(&self) -> Result<u32> {
        self.0.u32(0, 0)
    }
    /// `operator_codes`.
    pub fn operator_codes(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(1, 4, "operator codes")
    }
    /// `subgraphs`.
    pub fn subgraphs(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(2, 4, "subgraphs")
    }
    /// `description`.
    pub fn description(&self) -> Result<Option<&'a [u8]>> {
        self.0.bytes_str(3, "model description")
    }
    /// `buffers`.
    pub fn buffers(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(4, 4, "buffers")
    }
    /// `metadata`.
    pub fn metadata(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(6, 4, "metadata")
    }
    /// Subgraph `i`.
    pub fn subgraph(&self, i: usize) -> Result<SubGraphTable<'a>> {
        self.subgraphs()?.table(i, "subgraph").map(SubGraphTable)
    }
    /// Operator code `i`.
    pub fn operator_code(&self, i: usize) -> Result<OperatorCodeTable<'a>> {
        self.operator_codes()?
            .table(i, "operator code")
            .map(OperatorCodeTable)
    }
}

/// An `OperatorCode`.
#[derive(Clone, Copy, Debug)]
pub struct OperatorCodeTable<'a>(pub Table<'a>);

impl<'a> OperatorCodeTable<'a> {
    /// The builtin code, resolving the deprecated 8-bit field as TFLite does
    /// (`GetBuiltinCode`: the larger of the two).
    pub fn builtin_code(&self) -> Result<u16> {
        let deprecated = self.0.i8(0, 0)? as i32;
        let code = self.0.i32(3, 0)?;
        let code = if deprecated == PLACEHOLDER_FOR_GREATER_OP_CODES {
            code
        } else {
            code.max(deprecated)
        };
        u16::try_from(code).map_err(|_| Error::malformed("operator code"))
    }
    /// `custom_code`.
    pub fn custom_code(&self) -> Result<Option<&'a [u8]>> {
        self.0.bytes_str(1, "custom code")
    }
    /// `version` (default 1).
    pub fn version(&self) -> Result<u16> {
        let v = self.0.i32(2, 1)?;
        Ok(v.clamp(0, u16::MAX as i32) as u16)
    }
}

/// A `SubGraph`.
#[derive(Clone, Copy, Debug)]
pub struct SubGraphTable<'a>(pub Table<'a>);

impl<'a> SubGraphTable<'a> {
    /// `tensors`.
    pub fn tensors(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(0, 4, "tensors")
    }
    /// `inputs` (tensor indices).
    pub fn inputs(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(1, 4, "subgraph inputs")
    }
    /// `outputs` (tensor indices).
    pub fn outputs(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(2, 4, "subgraph outputs")
    }
    /// `operators`.
    pub fn operators(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(3, 4, "operators")
    }
    /// `name`.
    pub fn name(&self) -> Result<Option<&'a [u8]>> {
        self.0.bytes_str(4, "subgraph name")
    }
    /// Tensor `i`.
    pub fn tensor(&self, i: usize) -> Result<TensorTable<'a>> {
        self.tensors()?.table(i, "tensor").map(TensorTable)
    }
    /// Operator `i`.
    pub fn operator(&self, i: usize) -> Result<OperatorTable<'a>> {
        self.operators()?.table(i, "operator").map(OperatorTable)
    }
}

/// A `Tensor`.
#[derive(Clone, Copy, Debug)]
pub struct TensorTable<'a>(pub Table<'a>);

impl<'a> TensorTable<'a> {
    /// `shape`.
    pub fn shape(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(0, 4, "tensor shape")
    }
    /// `type` (a `TensorType` code).
    pub fn dtype(&self) -> Result<u8> {
        self.0.u8(1, 0)
    }
    /// `buffer` index (0 is the empty sentinel buffer).
    pub fn buffer(&self) -> Result<u32> {
        self.0.u32(2, 0)
    }
    /// `name`.
    pub fn name(&self) -> Result<Option<&'a [u8]>> {
        self.0.bytes_str(3, "tensor name")
    }
    /// `quantization`.
    pub fn quantization(&self) -> Result<Option<QuantizationTable<'a>>> {
        Ok(self.0.table(4, "quantization")?.map(QuantizationTable))
    }
    /// `is_variable`.
    pub fn is_variable(&self) -> Result<bool> {
        self.0.bool(5, false)
    }
    /// True when the tensor is sparse (`sparsity` present), which the engine does not support.
    pub fn is_sparse(&self) -> Result<bool> {
        Ok(self.0.table(6, "sparsity")?.is_some())
    }
}

/// A `QuantizationParameters`.
#[derive(Clone, Copy, Debug)]
pub struct QuantizationTable<'a>(pub Table<'a>);

impl<'a> QuantizationTable<'a> {
    /// `scale`.
    pub fn scale(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(2, 4, "quantization scale")
    }
    /// `zero_point`.
    pub fn zero_point(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(3, 8, "quantization zero point")
    }
    /// `quantized_dimension`.
    pub fn quantized_dimension(&self) -> Result<i32> {
        self.0.i32(6, 0)
    }
}

/// An `Operator`.
#[derive(Clone, Copy, Debug)]
pub struct OperatorTable<'a>(pub Table<'a>);

impl<'a> OperatorTable<'a> {
    /// `opcode_index`.
    pub fn opcode_index(&self) -> Result<u32> {
        self.0.u32(0, 0)
    }
    /// `inputs` (tensor indices, -1 for an omitted optional input).
    pub fn inputs(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(1, 4, "op inputs")
    }
    /// `outputs`.
    pub fn outputs(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(2, 4, "op outputs")
    }
    /// `intermediates`.
    pub fn intermediates(&self) -> Result<Vector<'a>> {
        self.0.vector_or_empty(8, 4, "op intermediates")
    }
    /// `builtin_options_type` (a `BuiltinOptions` union tag).
    pub fn builtin_options_type(&self) -> Result<u8> {
        self.0.u8(3, 0)
    }
    /// `builtin_options`, whatever its type; kernels read fields by slot.
    pub fn builtin_options(&self) -> Result<Option<Table<'a>>> {
        self.0.table(4, "builtin options")
    }
    /// `custom_options` bytes.
    pub fn custom_options(&self) -> Result<Option<&'a [u8]>> {
        Ok(self.0.vector(5, 1, "custom options")?.map(|v| v.bytes()))
    }
}

/// A `Buffer`.
#[derive(Clone, Copy, Debug)]
pub struct BufferTable<'a>(pub Table<'a>);

impl<'a> BufferTable<'a> {
    /// `data`, inline in the flatbuffer.
    pub fn data(&self) -> Result<Option<Vector<'a>>> {
        self.0.vector(0, 1, "buffer data")
    }
    /// `offset` (from the start of the file) and `size`, the form used by files over 2 GB and
    /// by converters that append buffers after the flatbuffer.
    pub fn offset_size(&self) -> Result<(u64, u64)> {
        Ok((self.0.u64(1, 0)?, self.0.u64(2, 0)?))
    }
}

/// A `Metadata` entry.
#[derive(Clone, Copy, Debug)]
pub struct MetadataTable<'a>(pub Table<'a>);

impl<'a> MetadataTable<'a> {
    /// `name`.
    pub fn name(&self) -> Result<Option<&'a [u8]>> {
        self.0.bytes_str(0, "metadata name")
    }
    /// `buffer` index.
    pub fn buffer(&self) -> Result<u32> {
        self.0.u32(1, 0)
    }
}
