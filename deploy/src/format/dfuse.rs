//! ST's DfuSe file format (UM0391): the `DfuSe` prefix, one target (alternate setting 0, the
//! internal flash) holding one element per segment, and the standard DFU 1.1 suffix whose
//! `dwCRC` is the CRC-32 register over every byte before it, not inverted. dfu-util's
//! `dfu-suffix -c` and `dfu-util -D` read it; the suffix names the ROM bootloader's USB IDs.

use alloc::vec::Vec;

use crate::crc32;
use crate::image::FlashImage;

/// USB vendor ID of the STM32 ROM bootloader (STMicroelectronics).
pub const ST_VID: u16 = 0x0483;
/// USB product ID of the STM32 ROM bootloader in DFU mode.
pub const DFU_PID: u16 = 0xDF11;
/// `bcdDFU` of a DfuSe file: DFU 1.1 with ST's extensions (1.1a).
const BCD_DFUSE: u16 = 0x011A;
/// Bytes of the DFU suffix.
pub const SUFFIX_BYTES: usize = 16;

/// The image as a DfuSe file.
pub fn write(image: &FlashImage) -> Vec<u8> {
    let mut elements = Vec::new();
    for s in &image.segments {
        elements.extend_from_slice(&s.address.to_le_bytes());
        elements.extend_from_slice(&(s.data.len() as u32).to_le_bytes());
        elements.extend_from_slice(&s.data);
    }
    let mut target = Vec::with_capacity(274 + elements.len());
    target.extend_from_slice(b"Target");
    target.push(0); // bAlternateSetting: the internal flash
    target.extend_from_slice(&1u32.to_le_bytes()); // bTargetNamed
    let mut name = [0u8; 255];
    name[..5].copy_from_slice(b"ST...");
    target.extend_from_slice(&name);
    target.extend_from_slice(&(elements.len() as u32).to_le_bytes()); // dwTargetSize
    target.extend_from_slice(&(image.segments.len() as u32).to_le_bytes()); // dwNbElements
    target.extend_from_slice(&elements);

    let mut out = Vec::with_capacity(11 + target.len() + SUFFIX_BYTES);
    out.extend_from_slice(b"DfuSe");
    out.push(0x01); // bVersion
    out.extend_from_slice(&((11 + target.len()) as u32).to_le_bytes()); // DFUImageSize: prefix + targets
    out.push(1); // bTargets
    out.extend_from_slice(&target);
    out.extend_from_slice(&0xFFFFu16.to_le_bytes()); // bcdDevice: any
    out.extend_from_slice(&DFU_PID.to_le_bytes());
    out.extend_from_slice(&ST_VID.to_le_bytes());
    out.extend_from_slice(&BCD_DFUSE.to_le_bytes());
    out.extend_from_slice(b"UFD");
    out.push(SUFFIX_BYTES as u8);
    let crc = crc32::update(0xFFFF_FFFF, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// One element of a DfuSe file: (address, data).
pub type Element<'a> = (u32, &'a [u8]);

/// Reads back the elements of target 0 of a DfuSe file after checking its prefix, suffix
/// and CRC: what a flasher (and the tests) need.
pub fn read(file: &[u8]) -> Result<Vec<Element<'_>>, &'static str> {
    if file.len() < 11 + 274 + SUFFIX_BYTES || &file[..5] != b"DfuSe" || file[5] != 1 {
        return Err("not a DfuSe file");
    }
    let (body, suffix) = file.split_at(file.len() - SUFFIX_BYTES);
    if &suffix[8..12] != b"UFD\x10" {
        return Err("no DFU suffix");
    }
    let stored = u32::from_le_bytes([suffix[12], suffix[13], suffix[14], suffix[15]]);
    if crc32::update(0xFFFF_FFFF, &file[..file.len() - 4]) != stored {
        return Err("DFU suffix CRC mismatch");
    }
    let le = |b: &[u8], at: usize| -> Result<u32, &'static str> {
        b.get(at..at + 4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .ok_or("truncated")
    };
    if le(body, 6)? as usize != body.len() || body[10] == 0 {
        return Err("DFUImageSize or bTargets wrong");
    }
    let target = &body[11..];
    if &target[..6] != b"Target" {
        return Err("no target prefix");
    }
    let count = le(target, 270)?;
    let mut at = 274;
    let mut elements = Vec::new();
    for _ in 0..count {
        let address = le(target, at)?;
        let size = le(target, at + 4)? as usize;
        let data = target
            .get(at + 8..at + 8 + size)
            .ok_or("element past the end")?;
        elements.push((address, data));
        at += 8 + size;
    }
    if at - 274 != le(target, 266)? as usize {
        return Err("dwTargetSize wrong");
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::NETDUINOPLUS2;
    use crate::image::Segment;

    #[test]
    fn round_trip_and_suffix() {
        let image = FlashImage {
            board: &NETDUINOPLUS2,
            segments: alloc::vec![
                Segment {
                    address: 0x0800_0000,
                    data: alloc::vec![1, 2, 3]
                },
                Segment {
                    address: 0x0802_0000,
                    data: alloc::vec![9; 100]
                },
            ],
        };
        let file = write(&image);
        assert_eq!(file.len(), 11 + 274 + 8 + 3 + 8 + 100 + 16);
        let elements = read(&file).unwrap();
        assert_eq!(
            elements,
            alloc::vec![
                (0x0800_0000, &[1u8, 2, 3][..]),
                (0x0802_0000, &[9u8; 100][..])
            ]
        );
        // The suffix as dfu-util reads it: idVendor, idProduct, bcdDFU, signature, length.
        let suffix = &file[file.len() - 16..];
        assert_eq!(
            suffix[..8],
            [0xFF, 0xFF, 0x11, 0xDF, 0x83, 0x04, 0x1A, 0x01]
        );
        let mut bad = file.clone();
        bad[300] ^= 1;
        assert_eq!(read(&bad), Err("DFU suffix CRC mismatch"));
    }
}
