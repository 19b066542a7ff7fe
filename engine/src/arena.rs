//! Views of the caller's arena: where a tensor's bytes are ([`Loc`]), fixed-size records kept in
//! the arena, and [`split`], which hands a kernel its output slices mutably and everything else
//! read-only — the borrow checker's proof that a kernel never writes what it reads.

use bytemuck::Pod;

use crate::error::{Error, Result};

/// Where a tensor's bytes live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// No data (an omitted optional tensor, or a zero-sized one).
    None,
    /// Constant data inside the model: `(offset, len)` in the model bytes.
    Model(usize, usize),
    /// Data in the arena: `(offset, len)`.
    Arena(usize, usize),
}

impl Loc {
    /// Byte length.
    pub fn len(&self) -> usize {
        match *self {
            Loc::None => 0,
            Loc::Model(_, l) | Loc::Arena(_, l) => l,
        }
    }
    /// True for zero bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads a record of type `T` stored (unaligned) at `pos`.
pub(crate) fn get<T: Pod>(arena: &[u8], pos: usize) -> Result<T> {
    let bytes = arena
        .get(pos..pos + core::mem::size_of::<T>())
        .ok_or(Error::malformed("engine record"))?;
    Ok(bytemuck::pod_read_unaligned(bytes))
}

/// Writes a record of type `T` at `pos`.
pub(crate) fn put<T: Pod>(arena: &mut [u8], pos: usize, value: &T) -> Result<()> {
    let bytes = arena
        .get_mut(pos..pos + core::mem::size_of::<T>())
        .ok_or(Error::malformed("engine record"))?;
    bytes.copy_from_slice(bytemuck::bytes_of(value));
    Ok(())
}

/// Most mutable outputs one [`split`] hands out.
pub const MAX_OUTPUTS: usize = 4;

/// Read-only access to the model and to every arena byte not handed out mutably.
pub struct Reader<'x> {
    model: &'x [u8],
    segments: [(usize, &'x [u8]); MAX_OUTPUTS + 1],
    count: usize,
}

impl<'x> Reader<'x> {
    /// The bytes at `loc`. Fails if `loc` overlaps an output of the same split (the planner
    /// never lets that happen, so this is a guard, not a path).
    pub fn get(&self, loc: Loc) -> Result<&'x [u8]> {
        match loc {
            Loc::None => Ok(&[]),
            Loc::Model(off, len) => self
                .model
                .get(off..off + len)
                .ok_or(Error::malformed("constant tensor data")),
            Loc::Arena(off, len) => {
                for &(base, seg) in &self.segments[..self.count] {
                    if off >= base && off + len <= base + seg.len() {
                        return Ok(&seg[off - base..off - base + len]);
                    }
                }
                Err(Error::invalid("tensor overlaps an output of its op", off))
            }
        }
    }

    /// The bytes at `loc` as `i8`.
    pub fn i8(&self, loc: Loc) -> Result<&'x [i8]> {
        self.get(loc).map(bytemuck::cast_slice)
    }
}

/// Splits `arena` into the mutable slices `outs` and a [`Reader`] over the rest (and over
/// `model`). Output locations must be in the arena and must not overlap each other.
pub fn split<'x, const N: usize>(
    model: &'x [u8],
    arena: &'x mut [u8],
    outs: [Loc; N],
) -> Result<(Reader<'x>, [&'x mut [u8]; N])> {
    const { assert!(N <= MAX_OUTPUTS) };
    let mut ranges = [(0usize, 0usize); N];
    for (r, loc) in ranges.iter_mut().zip(outs.iter()) {
        *r = match *loc {
            Loc::None => (0, 0),
            Loc::Arena(off, len) => (off, len),
            Loc::Model(..) => return Err(Error::invalid("op writes a constant tensor", 0)),
        };
    }
    // Visit outputs in address order (N is tiny: insertion sort).
    let mut order = [0usize; N];
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    for i in 1..N {
        let mut j = i;
        while j > 0 && ranges[order[j - 1]].0 > ranges[order[j]].0 {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    let mut slots: [Option<&'x mut [u8]>; N] = core::array::from_fn(|_| None);
    let mut reader = Reader {
        model,
        segments: [(0, &[]); MAX_OUTPUTS + 1],
        count: 0,
    };
    let mut rest: &'x mut [u8] = arena;
    let mut base = 0usize;
    for &k in &order {
        let (off, len) = ranges[k];
        if len == 0 {
            slots[k] = Some(&mut []);
            continue;
        }
        if off < base || off + len > base + rest.len() {
            return Err(Error::invalid("op outputs overlap or leave the arena", off));
        }
        let (gap, tail) = core::mem::take(&mut rest).split_at_mut(off - base);
        let (out, tail) = tail.split_at_mut(len);
        reader.segments[reader.count] = (base, gap);
        reader.count += 1;
        slots[k] = Some(out);
        rest = tail;
        base = off + len;
    }
    reader.segments[reader.count] = (base, rest);
    reader.count += 1;
    let outs = slots.map(|s| s.unwrap_or(&mut []));
    Ok((reader, outs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_gives_disjoint_outputs_and_reads_the_rest() {
        let model = [9u8; 4];
        let mut arena = [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        let (r, [a, b]) = split(&model, &mut arena, [Loc::Arena(6, 2), Loc::Arena(1, 2)]).unwrap();
        assert_eq!((&a[..], &b[..]), (&[6u8, 7][..], &[1u8, 2][..]));
        assert_eq!(r.get(Loc::Arena(3, 3)).unwrap(), &[3, 4, 5]);
        assert_eq!(r.get(Loc::Arena(8, 2)).unwrap(), &[8, 9]);
        assert_eq!(r.get(Loc::Model(1, 2)).unwrap(), &[9, 9]);
        assert!(r.get(Loc::Arena(5, 2)).is_err(), "overlaps output a");
        a[0] = 60;
        b[1] = 20;
        assert_eq!(arena, [0, 1, 20, 3, 4, 5, 60, 7, 8, 9]);
    }

    #[test]
    fn split_rejects_overlapping_or_constant_outputs() {
        let mut arena = [0u8; 10];
        assert!(split(&[], &mut arena, [Loc::Arena(0, 4), Loc::Arena(3, 2)]).is_err());
        assert!(split(&[], &mut arena, [Loc::Arena(8, 4)]).is_err());
        assert!(split(&[0u8; 4], &mut arena, [Loc::Model(0, 2)]).is_err());
    }
}
