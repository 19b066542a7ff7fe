//! Just enough of ELF32 (little-endian, as `thumbv7em-none-eabihf` links) to turn the firmware's
//! linked ELF into a [`Template`]: the loadable bytes at their flash (load) addresses, and the
//! linker symbols that say where the model slot and the arena are. Build scripts run it.

use alloc::vec::Vec;

use crate::board::Board;
use crate::template::Template;
use crate::DeployError;

/// The linker symbols a firmware ELF must define (the firmware's `memory.x`).
pub const SLOT_START: &str = "__model_slot_start";
/// End of the model slot region.
pub const SLOT_END: &str = "__model_slot_end";
/// Start of the arena: cortex-m-rt's `__sheap`, the first free RAM byte after `.uninit`.
pub const ARENA_START: &str = "__sheap";
/// End of the arena region.
pub const ARENA_END: &str = "__arena_end";

/// A parsed ELF file.
pub struct Elf<'a> {
    bytes: &'a [u8],
}

fn bad(what: &'static str) -> DeployError {
    DeployError::BadElf(what)
}

impl<'a> Elf<'a> {
    /// Checks the identification: 32-bit, little-endian, ARM.
    pub fn parse(bytes: &'a [u8]) -> Result<Elf<'a>, DeployError> {
        if bytes.len() < 52 || bytes[..4] != *b"\x7fELF" || bytes[4] != 1 || bytes[5] != 1 {
            return Err(bad("not a 32-bit little-endian ELF file"));
        }
        let elf = Elf { bytes };
        if elf.u16(18)? != 40 {
            return Err(bad("not an ARM ELF file"));
        }
        Ok(elf)
    }

    fn u16(&self, at: usize) -> Result<u16, DeployError> {
        self.bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or(bad("truncated"))
    }

    fn u32(&self, at: usize) -> Result<u32, DeployError> {
        self.bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(bad("truncated"))
    }

    /// The loadable bytes: (load address, file bytes) of every `PT_LOAD` segment with file
    /// contents, in address order. `.bss` and `.uninit` have none; `.data` loads at its flash
    /// copy's address.
    pub fn load_segments(&self) -> Result<Vec<(u32, &'a [u8])>, DeployError> {
        let (phoff, phentsize, phnum) = (
            self.u32(28)? as usize,
            self.u16(42)? as usize,
            self.u16(44)? as usize,
        );
        let mut out = Vec::new();
        for i in 0..phnum {
            let ph = phoff + i * phentsize;
            let (kind, offset, paddr, filesz) = (
                self.u32(ph)?,
                self.u32(ph + 4)?,
                self.u32(ph + 12)?,
                self.u32(ph + 16)?,
            );
            if kind != 1 || filesz == 0 {
                continue;
            }
            let data = self
                .bytes
                .get(offset as usize..offset as usize + filesz as usize)
                .ok_or(bad("segment past the end of the file"))?;
            out.push((paddr, data));
        }
        out.sort_by_key(|&(a, _)| a);
        Ok(out)
    }

    /// The value of the symbol `name` from the symbol table.
    pub fn symbol(&self, name: &str) -> Result<u32, DeployError> {
        let (shoff, shentsize, shnum) = (
            self.u32(32)? as usize,
            self.u16(46)? as usize,
            self.u16(48)? as usize,
        );
        for i in 0..shnum {
            let sh = shoff + i * shentsize;
            if self.u32(sh + 4)? != 2 {
                continue; // not SHT_SYMTAB
            }
            let (offset, size, link) = (
                self.u32(sh + 16)? as usize,
                self.u32(sh + 20)? as usize,
                self.u32(sh + 24)? as usize,
            );
            let strtab = self.u32(shoff + link * shentsize + 16)? as usize;
            for s in (offset..offset + size).step_by(16) {
                let name_at = strtab + self.u32(s)? as usize;
                let tail = self
                    .bytes
                    .get(name_at..)
                    .ok_or(bad("symbol name past the end"))?;
                let len = tail
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(bad("unterminated symbol name"))?;
                if &tail[..len] == name.as_bytes() {
                    return self.u32(s + 4);
                }
            }
        }
        Err(DeployError::MissingSymbol(match name {
            SLOT_START => SLOT_START,
            SLOT_END => SLOT_END,
            ARENA_START => ARENA_START,
            ARENA_END => ARENA_END,
            _ => "a symbol",
        }))
    }
}

/// The template blob for a firmware ELF linked for `board`.
pub fn template_from_elf(elf_bytes: &[u8], board: &'static Board) -> Result<Vec<u8>, DeployError> {
    let elf = Elf::parse(elf_bytes)?;
    let origin = board.flash_origin;
    let mut code = Vec::new();
    for (address, data) in elf.load_segments()? {
        let at = address
            .checked_sub(origin)
            .ok_or(bad("a segment loads below the flash"))? as usize;
        if at < code.len() {
            return Err(bad("overlapping segments"));
        }
        code.resize(at, 0xFF);
        code.extend_from_slice(data);
    }
    let slot_start = elf.symbol(SLOT_START)?;
    let slot_end = elf.symbol(SLOT_END)?;
    let arena_start = elf.symbol(ARENA_START)?;
    let arena_end = elf.symbol(ARENA_END)?;
    let template = Template {
        board,
        load_address: origin,
        code: &code,
        slot_address: slot_start,
        slot_capacity: slot_end
            .checked_sub(slot_start)
            .ok_or(bad("slot ends before it starts"))?,
        arena_capacity: arena_end
            .checked_sub(arena_start)
            .ok_or(bad("arena ends before it starts"))?,
    };
    let blob = template.to_blob();
    // The same checks the CLI and the page will make when they read it.
    Template::parse(&blob)?;
    Ok(blob)
}
