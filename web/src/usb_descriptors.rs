//! Reading the USB descriptors a DFU host needs (USB 2.0 ch. 9, DFU 1.1 §4.2): the DFU
//! functional descriptor's `wTransferSize`, and which string names each DFU alternate setting
//! (the DfuSe memory layout). Plain bytes in, so they are tested on the host; the page reads the
//! bytes over WebUSB (`webusb.rs`).

/// Descriptor types.
const INTERFACE: u8 = 0x04;
const STRING: u8 = 0x03;
const DFU_FUNCTIONAL: u8 = 0x21;

/// The descriptors inside a configuration descriptor, as (type, bytes) in order; stops at a
/// malformed length.
fn descriptors(config: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut rest = config;
    std::iter::from_fn(move || {
        let len = *rest.first()? as usize;
        let kind = *rest.get(1)?;
        if len < 2 || len > rest.len() {
            return None;
        }
        let (this, next) = rest.split_at(len);
        rest = next;
        Some((kind, this))
    })
}

/// `wTransferSize` of the first DFU functional descriptor.
pub fn transfer_size(config: &[u8]) -> Option<u16> {
    descriptors(config)
        .find(|&(kind, d)| kind == DFU_FUNCTIONAL && d.len() >= 7)
        .map(|(_, d)| u16::from_le_bytes([d[5], d[6]]))
}

/// `iInterface` (the string index) of `interface`'s alternate setting `alternate`.
pub fn interface_string(config: &[u8], interface: u8, alternate: u8) -> Option<u8> {
    descriptors(config)
        .find(|&(kind, d)| {
            kind == INTERFACE && d.len() >= 9 && d[2] == interface && d[3] == alternate
        })
        .map(|(_, d)| d[8])
        .filter(|&index| index != 0)
}

/// The text of a string descriptor (UTF-16LE after the two header bytes).
pub fn string_text(descriptor: &[u8]) -> Option<String> {
    let len = (*descriptor.first()? as usize).min(descriptor.len());
    if descriptor.get(1) != Some(&STRING) || len < 2 {
        return None;
    }
    let units: Vec<u16> = descriptor[2..len]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The STM32F405 bootloader's configuration descriptor: one interface, four alternate
    /// settings (strings 4..7), then the DFU functional descriptor (wTransferSize 2048).
    fn stm32_config() -> Vec<u8> {
        let mut d = vec![9, 2, 0, 0, 1, 1, 0, 0xc0, 50];
        for alt in 0..4u8 {
            d.extend([9, 4, 0, alt, 0, 0xfe, 1, 2, 4 + alt]);
        }
        d.extend([9, 0x21, 0x0b, 0xff, 0, 0x00, 0x08, 0x1a, 0x01]);
        let total = d.len() as u16;
        d[2..4].copy_from_slice(&total.to_le_bytes());
        d
    }

    #[test]
    fn reads_the_bootloaders_descriptors() {
        let c = stm32_config();
        assert_eq!(transfer_size(&c), Some(2048));
        assert_eq!(interface_string(&c, 0, 0), Some(4));
        assert_eq!(interface_string(&c, 0, 3), Some(7));
        assert_eq!(interface_string(&c, 1, 0), None);
        // Cut short: no functional descriptor, and no panic.
        assert_eq!(transfer_size(&c[..20]), None);
        assert_eq!(transfer_size(&[0, 0, 0]), None);
    }

    #[test]
    fn string_descriptors_are_utf16() {
        let text = "@Internal Flash  /0x08000000/04*016Kg";
        let mut d = vec![0, 3];
        for u in text.encode_utf16() {
            d.extend(u.to_le_bytes());
        }
        d[0] = d.len() as u8;
        assert_eq!(string_text(&d).as_deref(), Some(text));
        assert_eq!(string_text(&[2, 3]).as_deref(), Some(""));
        assert_eq!(string_text(&[4, 2, 0x41, 0]), None);
        assert_eq!(string_text(&[]), None);
    }
}
