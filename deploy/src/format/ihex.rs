//! Intel HEX (I32HEX): at most 16 data bytes a record and never across a 64 KB boundary, an
//! extended linear address record (type 04) whenever the upper 16 address bits change, the
//! start linear address (type 05) from the vector table's reset vector, then end of file.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::image::FlashImage;

fn record(out: &mut String, address: u16, kind: u8, data: &[u8]) {
    let [hi, lo] = address.to_be_bytes();
    let mut sum = (data.len() as u8)
        .wrapping_add(hi)
        .wrapping_add(lo)
        .wrapping_add(kind);
    let _ = write!(out, ":{:02X}{address:04X}{kind:02X}", data.len());
    for &b in data {
        sum = sum.wrapping_add(b);
        let _ = write!(out, "{b:02X}");
    }
    let _ = writeln!(out, "{:02X}", sum.wrapping_neg());
}

/// The image as Intel HEX text.
pub fn write(image: &FlashImage) -> Vec<u8> {
    let mut out = String::new();
    let mut upper = None;
    for s in &image.segments {
        let mut address = s.address;
        let mut rest = &s.data[..];
        while !rest.is_empty() {
            let room = (0x1_0000 - (address & 0xFFFF)) as usize;
            let (part, tail) = rest.split_at(rest.len().min(16).min(room));
            if upper != Some(address >> 16) {
                upper = Some(address >> 16);
                record(&mut out, 0, 0x04, &((address >> 16) as u16).to_be_bytes());
            }
            record(&mut out, address as u16, 0x00, part);
            address += part.len() as u32;
            rest = tail;
        }
    }
    if let Some(reset) = image.segments.first().and_then(|s| s.data.get(4..8)) {
        record(&mut out, 0, 0x05, &[reset[3], reset[2], reset[1], reset[0]]);
    }
    record(&mut out, 0, 0x01, &[]);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::NETDUINOPLUS2;
    use crate::image::Segment;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn records_read_back() {
        let image = FlashImage {
            board: &NETDUINOPLUS2,
            segments: alloc::vec![
                Segment {
                    address: 0x0800_0000,
                    data: alloc::vec![0, 0, 2, 0x20, 0x41, 1, 0, 8]
                },
                Segment {
                    address: 0x0800_FFF8,
                    data: (0..40).collect()
                },
            ],
        };
        let text = String::from_utf8(write(&image)).unwrap();
        // Known lines: the first extended address, the first data record, end of file.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], ":020000040800F2");
        assert_eq!(lines[1], ":0800000000000220410100088C");
        assert_eq!(*lines.last().unwrap(), ":00000001FF");
        // Every record sums to zero; reading them back gives the segments and the entry point.
        let mut upper = 0u32;
        let mut read = alloc::collections::BTreeMap::new();
        let mut entry = None;
        for line in lines {
            let b = hex(&line[1..]);
            assert_eq!(b.iter().fold(0u8, |s, &x| s.wrapping_add(x)), 0, "{line}");
            let (n, addr, kind, data) = (
                b[0] as usize,
                u16::from_be_bytes([b[1], b[2]]),
                b[3],
                &b[4..b.len() - 1],
            );
            assert_eq!(n, data.len());
            match kind {
                0 => {
                    assert!(addr as usize + n <= 0x1_0000, "record crosses 64 KB");
                    for (i, &x) in data.iter().enumerate() {
                        read.insert(upper + addr as u32 + i as u32, x);
                    }
                }
                4 => upper = (u16::from_be_bytes([data[0], data[1]]) as u32) << 16,
                5 => entry = Some(u32::from_be_bytes([data[0], data[1], data[2], data[3]])),
                1 => {}
                _ => panic!("record type {kind}"),
            }
        }
        assert_eq!(entry, Some(0x0800_0141));
        for s in &image.segments {
            for (i, &x) in s.data.iter().enumerate() {
                assert_eq!(read.remove(&(s.address + i as u32)), Some(x));
            }
        }
        assert!(read.is_empty());
    }
}
