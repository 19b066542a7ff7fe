//! Reading `.tflite` files: a checked FlatBuffers reader ([`flatbuf`]), typed views of the
//! TFLite schema tables the engine uses ([`schema`]), the schema's operator names
//! ([`opcodes`], generated) and a checked FlexBuffers reader for custom ops' options
//! ([`flexbuffer`]).

pub mod flatbuf;
pub mod flexbuffer;
#[rustfmt::skip]
#[allow(missing_docs)]
mod opcodes;
pub mod schema;

/// The schema name of a builtin operator code (`CONV_2D`), or `UNKNOWN`.
pub fn builtin_name(code: u16) -> &'static str {
    if code == schema::CUSTOM_CODE {
        return "CUSTOM";
    }
    opcodes::BUILTIN_NAMES
        .get(code as usize)
        .copied()
        .unwrap_or("UNKNOWN")
}

/// The builtin code of a schema name (`"CONV_2D"` gives 3).
pub fn builtin_code(name: &str) -> Option<u16> {
    opcodes::BUILTIN_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| i as u16)
}
