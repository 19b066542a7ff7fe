//! UF2 (Microsoft's USB flashing format): 512-byte blocks each carrying 256 bytes for one
//! 256-byte-aligned address, with the family ID flag set so a bootloader refuses an image made
//! for another chip. Partial blocks are filled with `0xFF`, the erased value.

use alloc::vec::Vec;

use crate::image::FlashImage;

const MAGIC_START0: u32 = 0x0A32_4655; // "UF2\n"
const MAGIC_START1: u32 = 0x9E5D_5157;
const MAGIC_END: u32 = 0x0AB1_6F30;
/// `familyID present` flag: word 7 holds the family ID instead of a file size.
const FLAG_FAMILY_ID: u32 = 0x0000_2000;
/// Payload bytes per block.
pub const PAYLOAD: u32 = 256;

/// The image as UF2 blocks for `image.board`'s family.
pub fn write(image: &FlashImage) -> Vec<u8> {
    // Every 256-byte page that any segment touches, with its contents.
    let mut pages: Vec<(u32, [u8; PAYLOAD as usize])> = Vec::new();
    for s in &image.segments {
        for (i, &b) in s.data.iter().enumerate() {
            let address = s.address + i as u32;
            let page = address & !(PAYLOAD - 1);
            if pages.last().map(|p| p.0) != Some(page) {
                pages.push((page, [0xFF; PAYLOAD as usize]));
            }
            if let Some(last) = pages.last_mut() {
                last.1[(address - page) as usize] = b;
            }
        }
    }
    let count = pages.len() as u32;
    let mut out = Vec::with_capacity(pages.len() * 512);
    for (n, (address, data)) in pages.iter().enumerate() {
        for word in [
            MAGIC_START0,
            MAGIC_START1,
            FLAG_FAMILY_ID,
            *address,
            PAYLOAD,
            n as u32,
            count,
            image.board.uf2_family,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(data);
        out.resize(out.len() + 476 - PAYLOAD as usize, 0);
        out.extend_from_slice(&MAGIC_END.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::NETDUINOPLUS2;
    use crate::image::Segment;

    #[test]
    fn blocks() {
        let image = FlashImage {
            board: &NETDUINOPLUS2,
            segments: alloc::vec![
                Segment {
                    address: 0x0800_0000,
                    data: alloc::vec![7; 300]
                },
                Segment {
                    address: 0x0802_0000,
                    data: alloc::vec![8; 10]
                },
            ],
        };
        let uf2 = write(&image);
        assert_eq!(uf2.len(), 3 * 512);
        let word = |block: usize, w: usize| {
            let at = block * 512 + 4 * w;
            u32::from_le_bytes([uf2[at], uf2[at + 1], uf2[at + 2], uf2[at + 3]])
        };
        assert_eq!(
            (word(0, 0), word(0, 1), word(0, 127)),
            (MAGIC_START0, MAGIC_START1, MAGIC_END)
        );
        assert_eq!(
            [word(1, 3), word(1, 5), word(1, 6), word(1, 7)],
            [0x0800_0100, 1, 3, 0x5775_5a57]
        );
        assert_eq!(word(2, 3), 0x0802_0000);
        // Page 1 holds 44 bytes of the segment, then erased flash.
        assert_eq!(uf2[512 + 32 + 43], 7);
        assert_eq!(uf2[512 + 32 + 44], 0xFF);
    }
}
