//! A checked FlatBuffers reader: every offset and length is validated against the buffer before
//! it is followed, so a damaged file becomes an [`Error::Malformed`], never a panic or an
//! out-of-bounds read. It allocates nothing and is lazy: only what is read is checked.
//!
//! Layout reminders (FlatBuffers binary format):
//! - a table starts with an `i32` soffset: `table_pos - soffset` is its vtable;
//! - a vtable is `u16 vtable_len, u16 table_len, u16 field_offset[..]` (0 = field absent);
//! - references to tables, vectors and strings are `u32` uoffsets relative to where they are
//!   stored; a vector is `u32 len` followed by its elements; a string is a byte vector.

use crate::error::{Error, Result};

fn read<const N: usize>(buf: &[u8], pos: usize, what: &'static str) -> Result<[u8; N]> {
    let end = pos.checked_add(N).ok_or(Error::malformed(what))?;
    let bytes = buf.get(pos..end).ok_or(Error::malformed(what))?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

pub(crate) fn read_u16(buf: &[u8], pos: usize, what: &'static str) -> Result<u16> {
    read::<2>(buf, pos, what).map(u16::from_le_bytes)
}
pub(crate) fn read_u32(buf: &[u8], pos: usize, what: &'static str) -> Result<u32> {
    read::<4>(buf, pos, what).map(u32::from_le_bytes)
}
fn read_i32(buf: &[u8], pos: usize, what: &'static str) -> Result<i32> {
    read::<4>(buf, pos, what).map(i32::from_le_bytes)
}

/// Follows the uoffset stored at `pos`.
fn follow(buf: &[u8], pos: usize, what: &'static str) -> Result<usize> {
    let off = read_u32(buf, pos, what)? as usize;
    let target = pos.checked_add(off).ok_or(Error::malformed(what))?;
    if target >= buf.len() {
        return Err(Error::malformed(what));
    }
    Ok(target)
}

/// A table inside a flatbuffer, with its vtable located and bounds-checked.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    buf: &'a [u8],
    pos: usize,
    vtable: usize,
    vtable_len: usize,
    what: &'static str,
}

impl<'a> Table<'a> {
    /// The root table of a buffer.
    pub fn root(buf: &'a [u8], what: &'static str) -> Result<Self> {
        let pos = follow(buf, 0, what)?;
        Self::at(buf, pos, what)
    }

    /// The table at byte `pos` (a position previously returned by [`Table::position`]).
    pub fn at_position(buf: &'a [u8], pos: usize, what: &'static str) -> Result<Self> {
        Self::at(buf, pos, what)
    }

    fn at(buf: &'a [u8], pos: usize, what: &'static str) -> Result<Self> {
        let soffset = read_i32(buf, pos, what)? as i64;
        let vtable = pos as i64 - soffset;
        if vtable < 0 || vtable as u64 >= buf.len() as u64 {
            return Err(Error::malformed(what));
        }
        let vtable = vtable as usize;
        let vtable_len = read_u16(buf, vtable, what)? as usize;
        let table_len = read_u16(buf, vtable + 2, what)? as usize;
        if vtable_len < 4 || !vtable_len.is_multiple_of(2) || vtable + vtable_len > buf.len() {
            return Err(Error::malformed(what));
        }
        if pos + table_len > buf.len() {
            return Err(Error::malformed(what));
        }
        Ok(Table {
            buf,
            pos,
            vtable,
            vtable_len,
            what,
        })
    }

    /// Position of field `slot` (the field's order in the schema, unions counting twice), or
    /// `None` when the field is absent.
    fn field(&self, slot: usize) -> Result<Option<usize>> {
        let entry = 4 + 2 * slot;
        if entry + 2 > self.vtable_len {
            return Ok(None);
        }
        let off = read_u16(self.buf, self.vtable + entry, self.what)? as usize;
        Ok(if off == 0 { None } else { Some(self.pos + off) })
    }

    fn scalar<const N: usize>(&self, slot: usize) -> Result<Option<[u8; N]>> {
        match self.field(slot)? {
            None => Ok(None),
            Some(p) => read::<N>(self.buf, p, self.what).map(Some),
        }
    }

    /// An unsigned byte field.
    pub fn u8(&self, slot: usize, default: u8) -> Result<u8> {
        Ok(self.scalar::<1>(slot)?.map_or(default, |b| b[0]))
    }
    /// A signed byte field.
    pub fn i8(&self, slot: usize, default: i8) -> Result<i8> {
        Ok(self.scalar::<1>(slot)?.map_or(default, |b| b[0] as i8))
    }
    /// A bool field.
    pub fn bool(&self, slot: usize, default: bool) -> Result<bool> {
        Ok(self.scalar::<1>(slot)?.map_or(default, |b| b[0] != 0))
    }
    /// An `int` field.
    pub fn i32(&self, slot: usize, default: i32) -> Result<i32> {
        Ok(self.scalar::<4>(slot)?.map_or(default, i32::from_le_bytes))
    }
    /// A `uint` field.
    pub fn u32(&self, slot: usize, default: u32) -> Result<u32> {
        Ok(self.scalar::<4>(slot)?.map_or(default, u32::from_le_bytes))
    }
    /// A `ulong` field.
    pub fn u64(&self, slot: usize, default: u64) -> Result<u64> {
        Ok(self.scalar::<8>(slot)?.map_or(default, u64::from_le_bytes))
    }
    /// A `float` field.
    pub fn f32(&self, slot: usize, default: f32) -> Result<f32> {
        Ok(self.scalar::<4>(slot)?.map_or(default, f32::from_le_bytes))
    }

    /// A sub-table field.
    pub fn table(&self, slot: usize, what: &'static str) -> Result<Option<Table<'a>>> {
        match self.field(slot)? {
            None => Ok(None),
            Some(p) => Table::at(self.buf, follow(self.buf, p, what)?, what).map(Some),
        }
    }

    /// A vector field.
    pub fn vector(
        &self,
        slot: usize,
        elem_size: usize,
        what: &'static str,
    ) -> Result<Option<Vector<'a>>> {
        match self.field(slot)? {
            None => Ok(None),
            Some(p) => Vector::at(self.buf, follow(self.buf, p, what)?, elem_size, what).map(Some),
        }
    }

    /// A vector field, empty when absent.
    pub fn vector_or_empty(
        &self,
        slot: usize,
        elem_size: usize,
        what: &'static str,
    ) -> Result<Vector<'a>> {
        Ok(self
            .vector(slot, elem_size, what)?
            .unwrap_or(Vector::empty(self.buf, elem_size, what)))
    }

    /// A string field as bytes (the engine never needs it as UTF-8; callers that print it
    /// convert lossily).
    pub fn bytes_str(&self, slot: usize, what: &'static str) -> Result<Option<&'a [u8]>> {
        Ok(self.vector(slot, 1, what)?.map(|v| v.bytes()))
    }

    /// Position of this table in the buffer (stable identity for a table).
    pub fn position(&self) -> usize {
        self.pos
    }
}

/// A vector inside a flatbuffer whose whole extent has been checked.
#[derive(Clone, Copy, Debug)]
pub struct Vector<'a> {
    buf: &'a [u8],
    start: usize,
    len: usize,
    elem_size: usize,
    what: &'static str,
}

impl<'a> Vector<'a> {
    fn at(buf: &'a [u8], pos: usize, elem_size: usize, what: &'static str) -> Result<Self> {
        let len = read_u32(buf, pos, what)? as usize;
        let start = pos + 4;
        let bytes = len.checked_mul(elem_size).ok_or(Error::malformed(what))?;
        let end = start.checked_add(bytes).ok_or(Error::malformed(what))?;
        if end > buf.len() {
            return Err(Error::malformed(what));
        }
        Ok(Vector {
            buf,
            start,
            len,
            elem_size,
            what,
        })
    }

    fn empty(buf: &'a [u8], elem_size: usize, what: &'static str) -> Self {
        Vector {
            buf,
            start: 0,
            len: 0,
            elem_size,
            what,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when the vector has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The raw bytes of the elements (length already checked).
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
            .get(self.start..self.start + self.len * self.elem_size)
            .unwrap_or(&[])
    }
    /// Offset of the first element from the start of the buffer.
    pub fn byte_offset(&self) -> usize {
        self.start
    }

    fn elem<const N: usize>(&self, i: usize) -> Result<[u8; N]> {
        if i >= self.len {
            return Err(Error::malformed(self.what));
        }
        read::<N>(self.buf, self.start + i * self.elem_size, self.what)
    }

    /// Element `i` of an `[int]`.
    pub fn i32(&self, i: usize) -> Result<i32> {
        self.elem::<4>(i).map(i32::from_le_bytes)
    }
    /// Element `i` of a `[long]`.
    pub fn i64(&self, i: usize) -> Result<i64> {
        self.elem::<8>(i).map(i64::from_le_bytes)
    }
    /// Element `i` of a `[float]`.
    pub fn f32(&self, i: usize) -> Result<f32> {
        self.elem::<4>(i).map(f32::from_le_bytes)
    }
    /// Element `i` of a `[ubyte]` or `[bool]`.
    pub fn u8(&self, i: usize) -> Result<u8> {
        self.elem::<1>(i).map(|b| b[0])
    }
    /// Element `i` of a vector of tables.
    pub fn table(&self, i: usize, what: &'static str) -> Result<Table<'a>> {
        if i >= self.len {
            return Err(Error::malformed(what));
        }
        Table::at(self.buf, follow(self.buf, self.start + i * 4, what)?, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-built buffer: root -> table with an int field (slot 0 = 7) and a vector field
    /// (slot 1 = [1, 2]).
    fn sample() -> [u8; 40] {
        let mut b = [0u8; 40];
        b[0..4].copy_from_slice(&12u32.to_le_bytes()); // root uoffset -> table at 12
                                                       // vtable at 4: len 8, table len 12, field0 at +4, field1 at +8
        b[4..6].copy_from_slice(&8u16.to_le_bytes());
        b[6..8].copy_from_slice(&12u16.to_le_bytes());
        b[8..10].copy_from_slice(&4u16.to_le_bytes());
        b[10..12].copy_from_slice(&8u16.to_le_bytes());
        b[12..16].copy_from_slice(&8i32.to_le_bytes()); // soffset: 12 - 8 = 4
        b[16..20].copy_from_slice(&7i32.to_le_bytes());
        b[20..24].copy_from_slice(&4u32.to_le_bytes()); // vector at 24
        b[24..28].copy_from_slice(&2u32.to_le_bytes());
        b[28..32].copy_from_slice(&1i32.to_le_bytes());
        b[32..36].copy_from_slice(&2i32.to_le_bytes());
        b
    }

    #[test]
    fn reads_fields_and_vectors() {
        let b = sample();
        let t = Table::root(&b, "t").unwrap();
        assert_eq!(t.i32(0, 0).unwrap(), 7);
        assert_eq!(t.i32(5, 42).unwrap(), 42, "absent field gives default");
        let v = t.vector(1, 4, "v").unwrap().unwrap();
        assert_eq!((v.len(), v.i32(0).unwrap(), v.i32(1).unwrap()), (2, 1, 2));
        assert!(v.i32(2).is_err());
    }

    #[test]
    fn every_truncation_and_byte_flip_is_an_error_not_a_panic() {
        let b = sample();
        for n in 0..b.len() {
            let t = Table::root(&b[..n], "t");
            if let Ok(t) = t {
                let _ = t.i32(0, 0);
                let _ = t.vector(1, 4, "v").map(|v| v.map(|v| v.i32(1)));
            }
        }
        for i in 0..b.len() {
            for bit in 0..8 {
                let mut m = b;
                m[i] ^= 1 << bit;
                if let Ok(t) = Table::root(&m, "t") {
                    let _ = t.i32(0, 0);
                    let _ = t.vector(1, 4, "v").map(|v| v.map(|v| v.i32(1)));
                }
            }
        }
        let mut huge = b;
        huge[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        let t = Table::root(&huge, "t").unwrap();
        assert_eq!(t.vector(1, 4, "v").unwrap_err(), Error::malformed("v"));
    }
}
