//! DfuSe memory layout strings: the interface string of each alternate setting of an STM32 in
//! DFU mode, naming a memory and its sectors (ST's UM0424, AN3156). Alternate setting 0 of an
//! STM32F405/F407's ROM bootloader says
//!
//! ```text
//! @Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg
//! ```
//!
//! `@name`, then `/address/` and comma-separated runs `count*size unit type`: unit ` `, `K` or
//! `M`; type a letter `a`-`g` whose bits are readable (1), erasable (2), writable (4).

use alloc::string::String;
use alloc::vec::Vec;

/// A run of equal sectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectorRun {
    /// Address of the first sector.
    pub address: u32,
    /// Number of sectors.
    pub count: u32,
    /// Bytes per sector.
    pub size: u32,
    /// Bits: 1 readable, 2 erasable, 4 writable.
    pub access: u8,
}

impl SectorRun {
    /// Sectors in this run can be erased.
    pub fn erasable(&self) -> bool {
        self.access & 2 != 0
    }
    /// Sectors in this run can be written.
    pub fn writable(&self) -> bool {
        self.access & 4 != 0
    }
    /// Sectors in this run can be read back.
    pub fn readable(&self) -> bool {
        self.access & 1 != 0
    }
}

/// One memory as the device describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLayout {
    /// The memory's name (`Internal Flash`).
    pub name: String,
    /// Its sector runs, in address order.
    pub runs: Vec<SectorRun>,
}

impl MemoryLayout {
    /// Reads a layout string.
    pub fn parse(text: &str) -> Result<MemoryLayout, &'static str> {
        let text = text
            .strip_prefix('@')
            .ok_or("a DfuSe layout starts with @")?;
        let mut parts = text.split('/');
        let name = parts.next().unwrap_or("").trim().into();
        let mut runs = Vec::new();
        while let Some(address) = parts.next() {
            let address = address.trim();
            if address.is_empty() {
                continue;
            }
            let hex = address
                .strip_prefix("0x")
                .or_else(|| address.strip_prefix("0X"))
                .ok_or("a layout address is not 0x...")?;
            let mut at = u32::from_str_radix(hex, 16).map_err(|_| "bad layout address")?;
            let sectors = parts.next().ok_or("a layout address without sectors")?;
            for spec in sectors.split(',') {
                let (count, rest) = spec
                    .trim()
                    .split_once('*')
                    .ok_or("a sector run without *")?;
                let count: u32 = count.trim().parse().map_err(|_| "bad sector count")?;
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let size: u32 = rest[..digits].parse().map_err(|_| "bad sector size")?;
                let tail = &rest.as_bytes()[digits..];
                let (unit, access) = match tail {
                    [unit, access] => (*unit, *access),
                    _ => return Err("bad sector unit or type"),
                };
                let size = match unit {
                    b' ' | b'B' => size,
                    b'K' => size * 1024,
                    b'M' => size * 1024 * 1024,
                    _ => return Err("bad sector unit"),
                };
                if !(b'a'..=b'g').contains(&access) || count == 0 || size == 0 {
                    return Err("bad sector type or an empty run");
                }
                runs.push(SectorRun {
                    address: at,
                    count,
                    size,
                    access: access - b'a' + 1,
                });
                at = at
                    .checked_add(count.checked_mul(size).ok_or("layout overflows")?)
                    .ok_or("layout overflows")?;
            }
        }
        if runs.is_empty() {
            return Err("a layout without sectors");
        }
        Ok(MemoryLayout { name, runs })
    }

    /// Every sector as (address, bytes, run), in order.
    pub fn sectors(&self) -> impl Iterator<Item = (u32, u32, &SectorRun)> + '_ {
        self.runs
            .iter()
            .flat_map(|r| (0..r.count).map(move |i| (r.address + i * r.size, r.size, r)))
    }

    /// Total bytes.
    pub fn bytes(&self) -> u64 {
        self.runs
            .iter()
            .map(|r| r.count as u64 * r.size as u64)
            .sum()
    }

    /// The sector holding `address`.
    pub fn sector_at(&self, address: u32) -> Option<(u32, u32, &SectorRun)> {
        self.sectors()
            .find(|&(start, size, _)| address >= start && address - start < size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stm32f405_internal_flash() {
        let l =
            MemoryLayout::parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg").unwrap();
        assert_eq!(l.name, "Internal Flash");
        assert_eq!(l.bytes(), 1024 * 1024);
        assert_eq!(l.sectors().count(), 12);
        assert_eq!(
            l.sector_at(0x0802_0001).map(|s| (s.0, s.1)),
            Some((0x0802_0000, 128 * 1024))
        );
        assert_eq!(l.sector_at(0x0810_0000), None);
        assert!(l.runs[0].erasable() && l.runs[0].writable() && l.runs[0].readable());
    }

    #[test]
    fn other_memories_and_errors() {
        let otp = MemoryLayout::parse("@OTP Memory /0x1FFF7800/01*512 e,01*016 e").unwrap();
        assert_eq!(otp.runs[1].address, 0x1FFF_7A00);
        assert!(!otp.runs[0].erasable() && otp.runs[0].writable());
        assert!(MemoryLayout::parse("Internal Flash").is_err());
        assert!(MemoryLayout::parse("@x/0x0800/04*016Kz").is_err());
        assert!(MemoryLayout::parse("@x/0x08000000/").is_err());
    }
}
