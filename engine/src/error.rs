//! The engine's one error type: small, `Copy`, no allocation, and enough detail for a person to
//! act on (which op, which tensor, how many bytes).

use core::fmt;

/// Everything that can go wrong loading, planning or running a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The bytes are not a TensorFlow Lite flatbuffer (wrong identifier or too short).
    NotTflite,
    /// The flatbuffer is damaged: an offset or length points outside the file, or a required
    /// field is missing. `what` names the structure being read.
    Malformed {
        /// The structure that could not be read.
        what: &'static str,
    },
    /// The model is a valid flatbuffer but describes something impossible (an op input index
    /// past the tensor list, a shape whose size overflows, a subgraph that calls itself...).
    InvalidModel {
        /// What is wrong, in words.
        what: &'static str,
        /// The subgraph, op or tensor index concerned (meaning given by `what`).
        index: u32,
    },
    /// An operator this engine does not implement, or a newer version of one it does.
    UnsupportedOp {
        /// Builtin operator code (`BuiltinOperator` in the schema); `u16::MAX` for custom ops.
        code: u16,
        /// Operator version from the model's operator code table.
        version: u16,
    },
    /// A custom operator, which the engine does not implement.
    UnsupportedCustomOp {
        /// The custom op's name (first 32 bytes), padded with zeros.
        name: [u8; 32],
    },
    /// An operator this engine knows, used with tensor types or parameters it does not handle.
    UnsupportedParams {
        /// Builtin operator code.
        code: u16,
        /// Op index in its subgraph.
        op: u32,
        /// What is not supported.
        what: &'static str,
    },
    /// A custom operator the engine runs, used with tensor types or parameters it does not
    /// handle.
    UnsupportedCustomParams {
        /// The custom op's name (`SignalRfft`).
        name: &'static str,
        /// Op index in its subgraph.
        op: u32,
        /// What is not supported.
        what: &'static str,
    },
    /// A tensor type the engine cannot hold (strings, complex numbers...).
    UnsupportedType {
        /// Tensor index in its subgraph.
        tensor: u32,
        /// `TensorType` code from the schema.
        dtype: u8,
    },
    /// The arena cannot hold the model's tensors, state and bookkeeping.
    ArenaTooSmall {
        /// Bytes the model needs (exact with the `std` feature; without it, when the arena could
        /// not even hold the planner's bookkeeping, a lower bound).
        needed: usize,
        /// Bytes the caller gave.
        available: usize,
    },
    /// A caller asked for input or output `index` and the model has fewer.
    NoSuchTensor {
        /// The index asked for.
        index: u32,
    },
    /// Data given for a tensor has the wrong size.
    WrongInputSize {
        /// Input index.
        index: u32,
        /// Bytes the tensor holds.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The model is larger than the engine handles: over 65,535 tensors or ops, or an arena
    /// over 1 GiB.
    TooLarge,
}

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub(crate) const fn malformed(what: &'static str) -> Self {
        Error::Malformed { what }
    }
    /// Shorthand for [`Error::InvalidModel`].
    pub(crate) const fn invalid(what: &'static str, index: usize) -> Self {
        Error::InvalidModel {
            what,
            index: index as u32,
        }
    }
}

/// Result with the engine's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NotTflite => write!(f, "not a TensorFlow Lite file"),
            Error::Malformed { what } => write!(f, "malformed model: cannot read {what}"),
            Error::InvalidModel { what, index } => {
                write!(f, "invalid model: {what} (index {index})")
            }
            Error::UnsupportedOp { code, version } => write!(
                f,
                "Op {} v{version} is not supported",
                crate::format::builtin_name(code)
            ),
            Error::UnsupportedCustomOp { name } => {
                let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                let name = core::str::from_utf8(&name[..len]).unwrap_or("?");
                write!(f, "Op {name} (custom) is not supported")
            }
            Error::UnsupportedParams { code, op, what } => write!(
                f,
                "Op {} (op {op}) is not supported with {what}",
                crate::format::builtin_name(code)
            ),
            Error::UnsupportedCustomParams { name, op, what } => {
                write!(f, "Op {name} (op {op}) is not supported with {what}")
            }
            Error::UnsupportedType { tensor, dtype } => write!(
                f,
                "tensor {tensor} has type {} which is not supported",
                crate::tensor::DType::schema_name(dtype)
            ),
            Error::ArenaTooSmall { needed, available } => write!(
                f,
                "needs {} B of arena; {} B available",
                Thousands(needed),
                Thousands(available)
            ),
            Error::NoSuchTensor { index } => write!(f, "the model has no tensor at index {index}"),
            Error::WrongInputSize {
                index,
                expected,
                actual,
            } => write!(f, "input {index} needs {expected} bytes, got {actual}"),
            Error::TooLarge => write!(
                f,
                "model too large (over 65,535 tensors or ops, or over 1 GiB of arena)"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Formats a byte count with thousands separators (85,264), as people read sizes.
pub struct Thousands(pub usize);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n < 1000 {
            return write!(f, "{n}");
        }
        write!(f, "{}", Thousands(n / 1000))?;
        write!(f, ",{:03}", n % 1000)
    }
}
