//! A flash image: what to write where. Every export format is a way of writing one.

use alloc::vec::Vec;

use crate::board::Board;

/// Bytes to write at an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Flash address of the first byte.
    pub address: u32,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Segment {
    /// One past the last address.
    pub fn end(&self) -> u32 {
        self.address + self.data.len() as u32
    }
}

/// A firmware image with its model: segments in increasing address order, not overlapping.
#[derive(Clone, Debug)]
pub struct FlashImage {
    /// The board it is for.
    pub board: &'static Board,
    /// What to write, in address order.
    pub segments: Vec<Segment>,
}

impl FlashImage {
    /// First address written.
    pub fn start(&self) -> u32 {
        self.segments
            .first()
            .map_or(self.board.flash_origin, |s| s.address)
    }

    /// One past the last address written.
    pub fn end(&self) -> u32 {
        self.segments
            .last()
            .map_or(self.board.flash_origin, Segment::end)
    }

    /// The flash contents from [`start`](Self::start) to [`end`](Self::end), gaps left
    /// erased (`0xFF`): a raw `.bin` for 0x0800_0000.
    pub fn contiguous(&self) -> Vec<u8> {
        let start = self.start();
        let mut out = alloc::vec![0xFFu8; (self.end() - start) as usize];
        for s in &self.segments {
            let at = (s.address - start) as usize;
            out[at..at + s.data.len()].copy_from_slice(&s.data);
        }
        out
    }

    /// The flash sectors any segment touches, as (address, bytes): what a flasher erases.
    pub fn sectors_touched(&self) -> Vec<(u32, u32)> {
        self.board
            .sector_list()
            .filter(|&(a, n)| {
                self.segments
                    .iter()
                    .any(|s| !s.data.is_empty() && s.address < a + n && a < s.end())
            })
            .collect()
    }
}
