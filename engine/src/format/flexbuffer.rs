//! A checked reader for FlexBuffers, the schema-less format custom operators keep their
//! parameters in (`Operator.custom_options`): no allocation, and every read bounds-checked, so a
//! damaged buffer is an [`Error`], never a panic or an out-of-range read.
//!
//! The format, briefly: a buffer ends with the root's byte width (last byte) and the root's
//! packed type (the byte before it), preceded by the root value itself. A packed type holds the
//! value's type in its high six bits and, for values reached through an offset, the log2 byte
//! width of the data it points at in its low two bits. Scalars (null, int, uint, float, bool)
//! are stored inline in their parent's width; everything else is an unsigned offset, counted
//! backwards from where it is stored, to the data. Vectors and strings are preceded by their
//! length; an untyped vector (and a map's value vector) is followed by one packed type per
//! element; a map is a value vector preceded by (keys offset, keys byte width, length), its keys
//! a vector of offsets to NUL-terminated strings, sorted.
//!
//! TFLM's kernels read a map's values by position (`FlexbufferWrapper::ElementAsInt32(i)`: the
//! raw integer at slot `i`, whatever its type), its keys sorted alphabetically; [`Map::int`]
//! does the same after checking that slot `i` holds the key the kernel expects and an inline
//! integer, so a buffer TFLM would misread is refused instead.

use crate::error::{Error, Result};

/// The FlexBuffers value types the reader distinguishes (`flexbuffers::Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Type {
    /// `FBT_NULL`
    Null = 0,
    /// `FBT_INT`
    Int = 1,
    /// `FBT_UINT`
    UInt = 2,
    /// `FBT_FLOAT`
    Float = 3,
    /// `FBT_KEY` (a NUL-terminated string without length)
    Key = 4,
    /// `FBT_STRING`
    String = 5,
    /// `FBT_INDIRECT_INT`
    IndirectInt = 6,
    /// `FBT_INDIRECT_UINT`
    IndirectUInt = 7,
    /// `FBT_INDIRECT_FLOAT`
    IndirectFloat = 8,
    /// `FBT_MAP`
    Map = 9,
    /// `FBT_VECTOR` (untyped: each element carries its type)
    Vector = 10,
    /// `FBT_VECTOR_INT`
    VectorInt = 11,
    /// `FBT_VECTOR_UINT`
    VectorUInt = 12,
    /// `FBT_VECTOR_FLOAT`
    VectorFloat = 13,
    /// `FBT_VECTOR_KEY`
    VectorKey = 14,
    /// `FBT_BLOB`
    Blob = 25,
    /// `FBT_BOOL`
    Bool = 26,
    /// `FBT_VECTOR_BOOL`
    VectorBool = 36,
}

impl Type {
    fn from_code(code: u8) -> Option<Type> {
        Some(match code {
            0 => Type::Null,
            1 => Type::Int,
            2 => Type::UInt,
            3 => Type::Float,
            4 => Type::Key,
            5 => Type::String,
            6 => Type::IndirectInt,
            7 => Type::IndirectUInt,
            8 => Type::IndirectFloat,
            9 => Type::Map,
            10 => Type::Vector,
            11 => Type::VectorInt,
            12 => Type::VectorUInt,
            13 => Type::VectorFloat,
            14 => Type::VectorKey,
            25 => Type::Blob,
            26 => Type::Bool,
            36 => Type::VectorBool,
            _ => return None,
        })
    }

    /// The element type of a typed vector.
    fn element(self) -> Option<Type> {
        Some(match self {
            Type::VectorInt => Type::Int,
            Type::VectorUInt => Type::UInt,
            Type::VectorFloat => Type::Float,
            Type::VectorKey => Type::Key,
            Type::VectorBool => Type::Bool,
            _ => return None,
        })
    }
}

fn bad() -> Error {
    Error::malformed("custom options (FlexBuffer)")
}

/// Reads an unsigned little-endian integer of `width` (1, 2, 4 or 8) bytes at `pos`.
fn read_u64(buf: &[u8], pos: usize, width: usize) -> Result<u64> {
    let end = pos.checked_add(width).ok_or_else(bad)?;
    let b = buf.get(pos..end).ok_or_else(bad)?;
    let mut a = [0u8; 8];
    match width {
        1 | 2 | 4 | 8 => a[..width].copy_from_slice(b),
        _ => return Err(bad()),
    }
    Ok(u64::from_le_bytes(a))
}

/// Reads a signed little-endian integer of `width` bytes at `pos` (sign-extended).
fn read_i64(buf: &[u8], pos: usize, width: usize) -> Result<i64> {
    let u = read_u64(buf, pos, width)?;
    let bits = 8 * width as u32;
    Ok(if bits == 64 {
        u as i64
    } else {
        // Shift the sign bit up to bit 63 and back (arithmetic shift sign-extends).
        ((u << (64 - bits)) as i64) >> (64 - bits)
    })
}

/// Reads a float of `width` (4 or 8) bytes at `pos`.
fn read_f64(buf: &[u8], pos: usize, width: usize) -> Result<f64> {
    let u = read_u64(buf, pos, width)?;
    match width {
        4 => Ok(f32::from_bits(u as u32) as f64),
        8 => Ok(f64::from_bits(u)),
        _ => Err(bad()),
    }
}

/// Follows the offset stored at `pos` (`width` bytes, counted backwards from `pos`).
fn indirect(buf: &[u8], pos: usize, width: usize) -> Result<usize> {
    let off = read_u64(buf, pos, width)?;
    let off = usize::try_from(off).map_err(|_| bad())?;
    pos.checked_sub(off).ok_or_else(bad)
}

/// One value: where it is stored, in what width, and its type.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'a> {
    buf: &'a [u8],
    /// Where the value (inline) or the offset to it is stored.
    pos: usize,
    /// Width of that slot.
    parent_width: usize,
    /// Width of the data an offset points at.
    byte_width: usize,
    ty: Type,
}

/// The root value of a FlexBuffer.
pub fn root(buf: &[u8]) -> Result<Reference<'_>> {
    let n = buf.len();
    if n < 3 {
        return Err(bad());
    }
    let width = buf[n - 1] as usize;
    let packed = buf[n - 2];
    let pos = (n - 2).checked_sub(width).ok_or_else(bad)?;
    Reference::new(buf, pos, width, packed)
}

impl<'a> Reference<'a> {
    fn new(buf: &'a [u8], pos: usize, parent_width: usize, packed: u8) -> Result<Self> {
        if !matches!(parent_width, 1 | 2 | 4 | 8) {
            return Err(bad());
        }
        let ty = Type::from_code(packed >> 2).ok_or_else(bad)?;
        Ok(Reference {
            buf,
            pos,
            parent_width,
            byte_width: 1 << (packed & 3),
            ty,
        })
    }

    /// The value's type.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Where the data of an offset type starts.
    fn target(&self) -> Result<usize> {
        indirect(self.buf, self.pos, self.parent_width)
    }

    /// The value as a signed integer: ints, uints and bools (inline or indirect) exactly, floats
    /// truncated toward zero; other types are an error.
    pub fn as_i64(&self) -> Result<i64> {
        match self.ty {
            Type::Int => read_i64(self.buf, self.pos, self.parent_width),
            Type::UInt | Type::Bool => {
                read_u64(self.buf, self.pos, self.parent_width).map(|v| v as i64)
            }
            Type::IndirectInt => read_i64(self.buf, self.target()?, self.byte_width),
            Type::IndirectUInt => {
                read_u64(self.buf, self.target()?, self.byte_width).map(|v| v as i64)
            }
            Type::Float | Type::IndirectFloat => self.as_f64().map(|v| v as i64),
            _ => Err(bad()),
        }
    }

    /// The value as a float: floats exactly, integers converted; other types are an error.
    pub fn as_f64(&self) -> Result<f64> {
        match self.ty {
            Type::Float => read_f64(self.buf, self.pos, self.parent_width),
            Type::IndirectFloat => read_f64(self.buf, self.target()?, self.byte_width),
            Type::Int | Type::IndirectInt => self.as_i64().map(|v| v as f64),
            Type::UInt | Type::IndirectUInt | Type::Bool => self.as_u64().map(|v| v as f64),
            _ => Err(bad()),
        }
    }

    /// The value as an unsigned integer (ints reinterpreted, as FlexBuffers' `AsUInt64`).
    pub fn as_u64(&self) -> Result<u64> {
        match self.ty {
            Type::UInt | Type::Bool => read_u64(self.buf, self.pos, self.parent_width),
            Type::IndirectUInt => read_u64(self.buf, self.target()?, self.byte_width),
            _ => self.as_i64().map(|v| v as u64),
        }
    }

    /// The value as a bool: non-zero numbers are true.
    pub fn as_bool(&self) -> Result<bool> {
        self.as_u64().map(|v| v != 0)
    }

    /// The bytes of a key or string (without the terminating NUL).
    pub fn as_str(&self) -> Result<&'a [u8]> {
        let start = self.target()?;
        match self.ty {
            Type::Key => {
                let rest = self.buf.get(start..).ok_or_else(bad)?;
                let len = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
                Ok(&rest[..len])
            }
            Type::String | Type::Blob => {
                let len_at = start.checked_sub(self.byte_width).ok_or_else(bad)?;
                let len = read_u64(self.buf, len_at, self.byte_width)?;
                let len = usize::try_from(len).map_err(|_| bad())?;
                let end = start.checked_add(len).ok_or_else(bad)?;
                self.buf.get(start..end).ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }

    /// The value as a vector (untyped, typed, or a map's values).
    pub fn as_vector(&self) -> Result<Vector<'a>> {
        let element = match self.ty {
            Type::Vector | Type::Map => None,
            t => Some(t.element().ok_or_else(bad)?),
        };
        Vector::at(self.buf, self.target()?, self.byte_width, element)
    }

    /// The value as a map.
    pub fn as_map(&self) -> Result<Map<'a>> {
        if self.ty != Type::Map {
            return Err(bad());
        }
        let values = self.as_vector()?;
        let w = self.byte_width;
        // Before the length: the keys' byte width, and before that the offset to the keys.
        let width_at = values.start.checked_sub(2 * w).ok_or_else(bad)?;
        let keys_width = read_u64(self.buf, width_at, w)?;
        let keys_width = usize::try_from(keys_width).map_err(|_| bad())?;
        let offset_at = width_at.checked_sub(w).ok_or_else(bad)?;
        let keys_start = indirect(self.buf, offset_at, w)?;
        let keys = Vector::at(self.buf, keys_start, keys_width, Some(Type::Key))?;
        if keys.len != values.len {
            return Err(bad());
        }
        Ok(Map { keys, values })
    }
}

/// A vector: `len` elements of `width` bytes from `start`; typed vectors have one element
/// type, untyped ones a packed type byte per element after the elements.
#[derive(Clone, Copy, Debug)]
pub struct Vector<'a> {
    buf: &'a [u8],
    start: usize,
    width: usize,
    len: usize,
    element: Option<Type>,
}

impl<'a> Vector<'a> {
    fn at(buf: &'a [u8], start: usize, width: usize, element: Option<Type>) -> Result<Self> {
        if !matches!(width, 1 | 2 | 4 | 8) {
            return Err(bad());
        }
        let len_at = start.checked_sub(width).ok_or_else(bad)?;
        let len = read_u64(buf, len_at, width)?;
        let len = usize::try_from(len).map_err(|_| bad())?;
        // The elements (and, untyped, their type bytes) must lie within the buffer.
        let body = len.checked_mul(width).ok_or_else(bad)?;
        let types = if element.is_none() { len } else { 0 };
        let end = start
            .checked_add(body)
            .and_then(|e| e.checked_add(types))
            .ok_or_else(bad)?;
        if end > buf.len() {
            return Err(bad());
        }
        Ok(Vector {
            buf,
            start,
            width,
            len,
            element,
        })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty vector.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Element `i`.
    pub fn get(&self, i: usize) -> Result<Reference<'a>> {
        if i >= self.len {
            return Err(bad());
        }
        let pos = self.start + i * self.width;
        match self.element {
            Some(t) => {
                // A typed vector's keys and strings point at data of the vector's own width.
                let packed = ((t as u8) << 2) | self.width.trailing_zeros() as u8;
                Reference::new(self.buf, pos, self.width, packed)
            }
            None => {
                let packed = *self
                    .buf
                    .get(self.start + self.len * self.width + i)
                    .ok_or_else(bad)?;
                Reference::new(self.buf, pos, self.width, packed)
            }
        }
    }

    /// The raw signed integer in slot `i`, whatever its type — TFLM's
    /// `FlexbufferWrapper::ElementAsInt64`.
    pub fn raw_i64(&self, i: usize) -> Result<i64> {
        if i >= self.len {
            return Err(bad());
        }
        read_i64(self.buf, self.start + i * self.width, self.width)
    }
}

/// A map: sorted keys and their values.
#[derive(Clone, Copy, Debug)]
pub struct Map<'a> {
    keys: Vector<'a>,
    values: Vector<'a>,
}

impl<'a> Map<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.values.len
    }

    /// True for an empty map.
    pub fn is_empty(&self) -> bool {
        self.values.len == 0
    }

    /// Key `i` (keys are sorted).
    pub fn key(&self, i: usize) -> Result<&'a [u8]> {
        self.keys.get(i)?.as_str()
    }

    /// Value `i`.
    pub fn value(&self, i: usize) -> Result<Reference<'a>> {
        self.values.get(i)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &[u8]) -> Result<Option<Reference<'a>>> {
        for i in 0..self.len() {
            if self.key(i)? == key {
                return self.value(i).map(Some);
            }
        }
        Ok(None)
    }

    /// The integer at slot `i`, read as TFLM's kernels read it (the raw slot, by position),
    /// after checking that the slot holds `key` and an inline integer or bool. `None` when the
    /// slot is missing or holds something else: the caller refuses the op.
    pub fn int(&self, i: usize, key: &[u8]) -> Option<i64> {
        if i >= self.len() || self.key(i).ok()? != key {
            return None;
        }
        match self.value(i).ok()?.ty() {
            Type::Int | Type::UInt | Type::Bool => self.values.raw_i64(i).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Buffers as TFLM's audio preprocessor model holds them.

    /// `{"shift": 12}`
    const WINDOW: [u8; 16] = [
        0x73, 0x68, 0x69, 0x66, 0x74, 0x00, 0x01, 0x07, 0x01, 0x01, 0x01, 0x0c, 0x04, 0x02, 0x24,
        0x01,
    ];

    /// `{"T": 7, "fft_length": 512}` (values two bytes wide).
    const RFFT: [u8; 31] = [
        0x54, 0x00, 0x66, 0x66, 0x74, 0x5f, 0x6c, 0x65, 0x6e, 0x67, 0x74, 0x68, 0x00, 0x02, 0x0e,
        0x0d, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x07, 0x00, 0x00, 0x02, 0x05, 0x05, 0x06, 0x25,
        0x01,
    ];

    /// `{}`
    const EMPTY: [u8; 7] = [0x00, 0x00, 0x01, 0x00, 0x00, 0x24, 0x01];

    #[test]
    fn reads_a_one_entry_map() {
        let r = root(&WINDOW).unwrap();
        assert_eq!(r.ty(), Type::Map);
        let m = r.as_map().unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m.key(0).unwrap(), b"shift");
        assert_eq!(m.value(0).unwrap().as_i64().unwrap(), 12);
        assert_eq!(m.int(0, b"shift"), Some(12));
        assert_eq!(m.int(0, b"shifts"), None, "the key is checked");
        assert_eq!(m.int(1, b"shift"), None, "the slot is checked");
        assert!(m.get(b"shift").unwrap().is_some());
        assert!(m.get(b"other").unwrap().is_none());
    }

    #[test]
    fn reads_wider_values_by_position_and_by_key() {
        let m = root(&RFFT).unwrap().as_map().unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.key(0).unwrap(), b"T");
        assert_eq!(m.key(1).unwrap(), b"fft_length");
        assert_eq!(m.int(0, b"T"), Some(7));
        assert_eq!(m.int(1, b"fft_length"), Some(512));
        let v = m.get(b"fft_length").unwrap().unwrap();
        assert_eq!(v.as_i64().unwrap(), 512);
        assert_eq!(v.as_f64().unwrap(), 512.0);
    }

    #[test]
    fn reads_an_empty_map() {
        let m = root(&EMPTY).unwrap().as_map().unwrap();
        assert!(m.is_empty());
        assert_eq!(m.int(0, b"x"), None);
    }

    #[test]
    fn sign_extends_and_reads_floats_bools_and_strings() {
        // Root int -2 in one byte: [0xfe, type INT width 1 = 0x04, root width 1].
        assert_eq!(root(&[0xfe, 0x04, 0x01]).unwrap().as_i64().unwrap(), -2);
        // Root uint 0xfffe in two bytes.
        let b = [0xfe, 0xff, 0x08, 0x02];
        let r = root(&b).unwrap();
        assert_eq!(r.as_u64().unwrap(), 0xfffe);
        // Root float 1.5 in four bytes.
        let f = 1.5f32.to_le_bytes();
        let b = [f[0], f[1], f[2], f[3], 0x0e, 0x04];
        let r = root(&b).unwrap();
        assert_eq!(r.as_f64().unwrap(), 1.5);
        assert_eq!(r.as_i64().unwrap(), 1);
        // Root bool true.
        assert!(root(&[0x01, 0x68, 0x01]).unwrap().as_bool().unwrap());
        // Root string "hi": [len 2, 'h', 'i', 0, offset 3, STRING width 1 = 0x14, 1].
        let s = [0x02, b'h', b'i', 0x00, 0x03, 0x14, 0x01];
        assert_eq!(root(&s).unwrap().as_str().unwrap(), b"hi");
    }

    #[test]
    fn reads_typed_and_untyped_vectors() {
        // Typed int vector [1, -1, 3] (width 1): [len, 1, 0xff, 3, offset 3, VECTOR_INT 0x2c, 1].
        let b = [0x03, 0x01, 0xff, 0x03, 0x03, 0x2c, 0x01];
        let v = root(&b).unwrap().as_vector().unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v.get(1).unwrap().as_i64().unwrap(), -1);
        assert_eq!(v.get(2).unwrap().as_i64().unwrap(), 3);
        assert!(v.get(3).is_err());
        // Untyped vector [5, true]: [len 2, 5, 1, INT 0x04, BOOL 0x68, offset 4, VECTOR 0x28, 1].
        let b = [0x02, 0x05, 0x01, 0x04, 0x68, 0x04, 0x28, 0x01];
        let v = root(&b).unwrap().as_vector().unwrap();
        assert_eq!(v.get(0).unwrap().as_i64().unwrap(), 5);
        assert_eq!(v.get(1).unwrap().ty(), Type::Bool);
    }

    #[test]
    fn damaged_buffers_are_errors() {
        assert!(root(&[]).is_err());
        assert!(root(&[0x01]).is_err());
        // Root width 3 is not a width.
        assert!(root(&[0, 0, 0, 0x04, 0x03]).is_err());
        // Root width larger than the buffer.
        assert!(root(&[0x04, 0x08]).is_err());
        // Unknown type code 63.
        assert!(root(&[0x00, 0xfc, 0x01]).is_err());
        // A map whose offset points before the buffer.
        assert!(root(&[0x20, 0x24, 0x01]).unwrap().as_map().is_err());
        // A vector whose length runs past the end.
        assert!(root(&[0x7f, 0x01, 0x01, 0x2c, 0x01])
            .unwrap()
            .as_vector()
            .is_err());
        // Every truncation of a valid buffer fails cleanly (or reads something else), never
        // panics; so does every single-byte corruption.
        for n in 0..RFFT.len() {
            if let Ok(r) = root(&RFFT[..n]) {
                if let Ok(m) = r.as_map() {
                    for i in 0..m.len() {
                        let _ = m.key(i);
                        let _ = m.value(i).and_then(|v| v.as_i64());
                    }
                }
            }
        }
        for i in 0..RFFT.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut b = RFFT;
                b[i] = v;
                if let Ok(m) = root(&b).and_then(|r| r.as_map()) {
                    for k in 0..m.len().min(4) {
                        let _ = m.key(k);
                        let _ = m.int(k, b"T");
                        let _ = m.value(k).and_then(|v| v.as_str());
                    }
                }
            }
        }
    }
}
