//! A firmware template: the firmware's flash contents with an empty model slot, and where the
//! slot and the arena are. The CLI and the page embed one per board (made at build time from
//! the firmware's ELF, see [`crate::elf`]) and patch a model into it.
//!
//! Blob layout (little-endian):
//!
//! | offset | size | field |
//! | ---: | ---: | --- |
//! | 0 | 4 | magic `TMLF` |
//! | 4 | 2 | version (1) |
//! | 6 | 2 | header length (64) |
//! | 8 | 4 | load address of the code (the flash origin) |
//! | 12 | 4 | code length |
//! | 16 | 4 | CRC-32 of the code |
//! | 20 | 4 | model slot address |
//! | 24 | 4 | model slot capacity in bytes |
//! | 28 | 4 | arena capacity: SRAM bytes the firmware leaves for the arena |
//! | 32 | 32 | board name, NUL-padded |
//! | 64 | … | the code |

use crate::board::Board;
use crate::crc32::crc32;
use crate::DeployError;

/// `TMLF`: TinyML firmware template.
pub const MAGIC: [u8; 4] = *b"TMLF";
const HEADER: usize = 64;

/// A checked template, borrowing its blob.
#[derive(Clone, Copy, Debug)]
pub struct Template<'a> {
    /// The board it was built for.
    pub board: &'static Board,
    /// Where `code` goes in flash.
    pub load_address: u32,
    /// The firmware's flash contents (vector table, code, read-only data, initial RAM data).
    pub code: &'a [u8],
    /// Address of the model slot.
    pub slot_address: u32,
    /// Bytes the model slot can hold.
    pub slot_capacity: u32,
    /// Bytes of SRAM the firmware leaves for the arena.
    pub arena_capacity: u32,
}

impl<'a> Template<'a> {
    /// Reads a template blob.
    pub fn parse(blob: &'a [u8]) -> Result<Template<'a>, DeployError> {
        let bad = DeployError::BadTemplate;
        let header = blob.get(..HEADER).ok_or(bad("shorter than its header"))?;
        if header[..4] != MAGIC {
            return Err(bad("no TMLF magic"));
        }
        if header[4..8] != [1, 0, HEADER as u8, 0] {
            return Err(bad("unknown version"));
        }
        let word = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let name_bytes = &header[32..64];
        let name_len = name_bytes.iter().position(|&b| b == 0).unwrap_or(32);
        let name = core::str::from_utf8(&name_bytes[..name_len]).map_err(|_| bad("board name"))?;
        let board = Board::by_name(name).ok_or(bad("unknown board"))?;
        let code = blob
            .get(HEADER..)
            .filter(|c| c.len() == word(12) as usize)
            .ok_or(bad("code length"))?;
        if crc32(code) != word(16) {
            return Err(bad("code CRC-32"));
        }
        let t = Template {
            board,
            load_address: word(8),
            code,
            slot_address: word(20),
            slot_capacity: word(24),
            arena_capacity: word(28),
        };
        let code_end = t.load_address as u64 + code.len() as u64;
        let slot_end = t.slot_address as u64 + t.slot_capacity as u64;
        let flash_end = board.flash_origin as u64 + board.flash_bytes as u64;
        if t.load_address != board.flash_origin
            || code_end > t.slot_address as u64
            || slot_end > flash_end
        {
            return Err(bad("code or slot outside the board's flash"));
        }
        Ok(t)
    }

    /// The blob for these fields (build scripts write it; tests build small ones).
    #[cfg(feature = "alloc")]
    pub fn to_blob(&self) -> alloc::vec::Vec<u8> {
        let mut blob = alloc::vec![0u8; HEADER];
        blob[..4].copy_from_slice(&MAGIC);
        blob[4..8].copy_from_slice(&[1, 0, HEADER as u8, 0]);
        for (at, v) in [
            (8, self.load_address),
            (12, self.code.len() as u32),
            (16, crc32(self.code)),
            (20, self.slot_address),
            (24, self.slot_capacity),
            (28, self.arena_capacity),
        ] {
            blob[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        let name = self.board.name.as_bytes();
        blob[32..32 + name.len().min(32)].copy_from_slice(&name[..name.len().min(32)]);
        blob.extend_from_slice(self.code);
        blob
    }

    /// The firmware with `slot` in its model slot, after checking that the slot fits the flash
    /// and the model's arena fits the SRAM left for it.
    #[cfg(feature = "alloc")]
    pub fn patch(
        &self,
        slot: &crate::slot::SlotSpec<'_>,
    ) -> Result<crate::image::FlashImage, DeployError> {
        if slot.arena_bytes > self.arena_capacity {
            return Err(DeployError::SramTooSmall {
                board: self.board.name,
                needed: slot.arena_bytes as usize,
                available: self.arena_capacity as usize,
                sram: self.board.sram_bytes as usize,
            });
        }
        let bytes = slot.build();
        if bytes.len() > self.slot_capacity as usize {
            return Err(DeployError::FlashTooSmall {
                board: self.board.name,
                needed: bytes.len(),
                available: self.slot_capacity as usize,
                flash: self.board.flash_bytes as usize,
            });
        }
        Ok(crate::image::FlashImage {
            board: self.board,
            segments: alloc::vec![
                crate::image::Segment {
                    address: self.load_address,
                    data: self.code.to_vec(),
                },
                crate::image::Segment {
                    address: self.slot_address,
                    data: bytes,
                },
            ],
        })
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::board::STM32F411_BLACKPILL;
    use crate::slot::{SlotSpec, TensorDesc};
    use alloc::string::ToString;

    fn template(code: &[u8]) -> Template<'_> {
        Template {
            board: &STM32F411_BLACKPILL,
            load_address: 0x0800_0000,
            code,
            slot_address: 0x0800_0100,
            slot_capacity: 1024,
            arena_capacity: 4096,
        }
    }

    fn spec(model: &[u8], arena_bytes: u32) -> SlotSpec<'_> {
        let desc = TensorDesc {
            dtype: 9,
            rank: 1,
            bytes: 4,
            scale: 1.0,
            zero_point: 0,
            dims: [4, 0, 0, 0, 0, 0],
        };
        SlotSpec {
            model,
            arena_bytes,
            inputs: alloc::vec![desc],
            outputs: alloc::vec![desc],
            input: None,
        }
    }

    #[test]
    fn blob_round_trip() {
        let code = [7u8; 200];
        let blob = template(&code).to_blob();
        let t = Template::parse(&blob).unwrap();
        assert_eq!(t.code, &code[..]);
        assert_eq!(
            (t.slot_address, t.slot_capacity, t.arena_capacity),
            (0x0800_0100, 1024, 4096)
        );
        assert_eq!(t.board.name, "stm32f411-blackpill");
        let mut bad = blob.clone();
        bad[100] ^= 1;
        assert_eq!(
            Template::parse(&bad).unwrap_err(),
            DeployError::BadTemplate("code CRC-32")
        );
        // Code running into the slot is refused.
        let long = [0u8; 300];
        assert!(Template::parse(&template(&long).to_blob()).is_err());
    }

    #[test]
    fn patch_places_the_slot_and_refuses_what_does_not_fit() {
        let code = [1u8; 16];
        let t = template(&code);
        let image = t.patch(&spec(&[5; 100], 4096)).unwrap();
        assert_eq!(image.segments[0].address, 0x0800_0000);
        assert_eq!(image.segments[1].address, 0x0800_0100);
        assert_eq!(&image.segments[1].data[..4], b"TMLS");
        let bin = image.contiguous();
        assert_eq!(
            bin[16], 0xFF,
            "the gap between code and slot is erased flash"
        );
        assert_eq!(
            image.sectors_touched(),
            alloc::vec![(0x0800_0000, 16 * 1024)]
        );

        let flash = t.patch(&spec(&[5; 1000], 10)).unwrap_err();
        assert!(matches!(
            flash,
            DeployError::FlashTooSmall {
                needed: 1128,
                available: 1024,
                ..
            }
        ));
        assert_eq!(
            flash.to_string(),
            "the model does not fit stm32f411-blackpill's flash: its slot needs 1,128 B but the \
             firmware leaves 1,024 B of the 524,288 B flash for it"
        );
        let sram = t.patch(&spec(&[5; 10], 4097)).unwrap_err();
        assert_eq!(
            sram.to_string(),
            "the model does not fit stm32f411-blackpill's SRAM: its arena needs 4,097 B but the \
             firmware leaves 4,096 B of the 131,072 B SRAM for it"
        );
    }
}
