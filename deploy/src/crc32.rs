//! CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320): zlib's `crc32`, the model slot's
//! checksums, and — without the final inversion — the DFU file suffix's `dwCRC`.

/// One 256-entry table, built at compile time (1 KB of flash on the firmware).
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// Feeds `bytes` into a running register. Start from `0xFFFF_FFFF`; [`crc32`] inverts the end
/// result, the DFU suffix stores the register as it is.
pub fn update(mut register: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        register = TABLE[((register ^ b as u32) & 0xFF) as usize] ^ (register >> 8);
    }
    register
}

/// The CRC-32 of `bytes`, as zlib and Python's `zlib.crc32` compute it.
pub fn crc32(bytes: &[u8]) -> u32 {
    !update(0xFFFF_FFFF, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The CRC catalogue's check value for CRC-32/ISO-HDLC, and zlib.crc32(b"") == 0.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // Feeding in pieces gives the same register.
        let whole = update(!0, b"hello world");
        let parts = update(update(!0, b"hello "), b"world");
        assert_eq!(whole, parts);
    }
}
