//! A simulated RP2040 boot ROM's PICOBOOT interface: the device [`flash`](super::flash) is
//! tested against, and what the page's browser test plays behind a fake `navigator.usb`.
//!
//! It keeps the Pico's 2 MB flash with the real semantics (erase sets a 4 KB sector to 0xFF;
//! programming works on whole 256-byte pages and can only clear bits, so writing unerased
//! flash reads back wrong), 264 KB of SRAM, the ROM's magic at 0x10, the command packet
//! checks of the boot ROM (magic, argument size, transfer length, addresses, alignment), the
//! command → data → acknowledgement sequence, stalls of both endpoints on a refused command
//! until `INTERFACE_RESET`, the exclusive-access rule (while the operating system writes the
//! RPI-RP2 drive, flash commands without exclusive access are refused as interleaved), and
//! unplugging after a number of transfers.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::{
    command, request, status, Command, CommandStatus, DeviceInfo, Transport, COMMAND_BYTES,
    FLASH_START, PAGE_BYTES, RP2040_BOOT_PID, RPI_VID, SECTOR_BYTES, SRAM_END, SRAM_START,
};

/// Why a simulated transfer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The endpoint is halted (a refused command).
    Stall,
    /// The device is gone: unplugged, or rebooted into the image.
    Disconnected,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Stall => write!(f, "the device stalled the transfer"),
            SimError::Disconnected => write!(f, "the device was disconnected"),
        }
    }
}

/// Where the interface is in a command.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a command packet on OUT.
    Idle,
    /// Taking `WRITE` data on OUT.
    DataOut { cmd: Command, data: Vec<u8> },
    /// Sending `READ` data on IN.
    DataIn { data: Vec<u8>, sent: usize },
    /// Waiting for the host to read the zero-length acknowledgement on IN.
    AckIn { cmd: Command },
    /// Waiting for the host's zero-length acknowledgement on OUT.
    AckOut,
}

/// The simulated boot ROM.
pub struct SimulatedBootRom {
    flash: Vec<u8>,
    sram: Vec<u8>,
    rom_magic: [u8; 4],
    phase: Phase,
    halted: bool,
    last: CommandStatus,
    exclusive: u8,
    xip: bool,
    /// The operating system is writing a UF2 onto the RPI-RP2 drive.
    drive_writing: bool,
    transfers: usize,
    unplug_after: Option<usize>,
    connected: bool,
    /// Flash addresses that erasing cannot set (see `wear_out`).
    worn: Vec<u32>,
    /// Sectors erased so far, by address, in order.
    pub erased: Vec<u32>,
    /// Command ids accepted so far, in order.
    pub commands: Vec<u8>,
    /// (PC, SP, delay) of the reboot the device went to.
    pub rebooted: Option<(u32, u32, u32)>,
}

/// The Pico's flash.
pub const FLASH_BYTES: usize = 2 * 1024 * 1024;

impl Default for SimulatedBootRom {
    fn default() -> Self {
        Self::rp2040()
    }
}

impl SimulatedBootRom {
    /// A Pico in BOOTSEL mode (ROM B2), its flash holding an earlier firmware (0x5A).
    pub fn rp2040() -> SimulatedBootRom {
        SimulatedBootRom {
            flash: vec![0x5A; FLASH_BYTES],
            sram: vec![0; (SRAM_END - SRAM_START) as usize],
            rom_magic: [b'M', b'u', 0x01, 3],
            phase: Phase::Idle,
            halted: false,
            last: CommandStatus {
                token: 0,
                status: status::OK,
                id: 0,
                in_progress: false,
            },
            exclusive: 0,
            xip: true,
            drive_writing: false,
            transfers: 0,
            unplug_after: None,
            connected: true,
            worn: Vec::new(),
            erased: Vec::new(),
            commands: Vec::new(),
            rebooted: None,
        }
    }

    /// A device that answers PICOBOOT but whose ROM is not an RP2040's (another chip's magic
    /// at 0x10): what the flasher must refuse before erasing.
    pub fn other_chip(magic: [u8; 4]) -> SimulatedBootRom {
        SimulatedBootRom {
            rom_magic: magic,
            ..Self::rp2040()
        }
    }

    /// What a host reads from the device descriptor.
    pub fn info(&self) -> DeviceInfo {
        DeviceInfo {
            vendor_id: RPI_VID,
            product_id: RP2040_BOOT_PID,
        }
    }

    /// The whole flash (from 0x1000_0000).
    pub fn flash(&self) -> &[u8] {
        &self.flash
    }

    /// Makes the flash byte at `address` wear out: erasing leaves it 0x00, as a dead cell
    /// would, so a write needing a 1 there reads back wrong.
    pub fn wear_out(&mut self, address: u32) {
        self.worn.push(address);
    }

    /// Transfers (bulk and control) answered so far.
    pub fn transfers(&self) -> usize {
        self.transfers
    }

    /// Whether the device is still on the bus.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// The operating system starts (`true`) or stops writing the RPI-RP2 drive.
    pub fn set_drive_writing(&mut self, writing: bool) {
        self.drive_writing = writing;
    }

    /// Unplugs the device after `n` more transfers: later ones fail with `Disconnected`.
    pub fn unplug_after(&mut self, n: usize) {
        self.unplug_after = Some(self.transfers + n);
    }

    /// Plugs it back in with BOOTSEL held: a fresh USB session, the flash as it was left.
    pub fn replug(&mut self) {
        self.connected = true;
        self.unplug_after = None;
        self.phase = Phase::Idle;
        self.halted = false;
        self.exclusive = 0;
        self.xip = true;
        self.rebooted = None;
    }

    fn enter(&mut self) -> Result<(), SimError> {
        if !self.connected {
            return Err(SimError::Disconnected);
        }
        self.transfers += 1;
        if self.unplug_after.is_some_and(|n| self.transfers > n) {
            self.connected = false;
            return Err(SimError::Disconnected);
        }
        Ok(())
    }

    /// Refuses the current command: both endpoints halt until `INTERFACE_RESET`.
    fn refuse(&mut self, code: u32) -> SimError {
        self.last.status = code;
        self.last.in_progress = false;
        self.halted = true;
        self.phase = Phase::Idle;
        SimError::Stall
    }

    /// The memory `[address, address + len)` as (which, offset), if it is all in one region.
    fn region(&self, address: u32, len: u32) -> Option<(Region, usize)> {
        let end = address.checked_add(len)?;
        let flash_end = FLASH_START + FLASH_BYTES as u32;
        if address >= FLASH_START && end <= flash_end {
            Some((Region::Flash, (address - FLASH_START) as usize))
        } else if address >= SRAM_START && end <= SRAM_END {
            Some((Region::Sram, (address - SRAM_START) as usize))
        } else if end <= 0x4000 {
            Some((Region::Rom, address as usize))
        } else {
            None
        }
    }

    fn rom_byte(&self, at: usize) -> u8 {
        match at.checked_sub(0x10) {
            Some(k) if k < 4 => self.rom_magic[k],
            _ => 0,
        }
    }

    /// Checks a command packet and starts it; `Err` with the status code when refused.
    fn start(&mut self, cmd: Command) -> Result<Phase, u32> {
        let Some(args) = command::argument_bytes(cmd.id) else {
            return Err(status::UNKNOWN_CMD);
        };
        if cmd.args_len != args {
            return Err(status::INVALID_CMD_LENGTH);
        }
        let (address, size) = (cmd.word(0), cmd.word(1));
        let wants_data = matches!(cmd.id, command::READ | command::WRITE);
        if (wants_data && cmd.transfer_len != size) || (!wants_data && cmd.transfer_len != 0) {
            return Err(status::INVALID_TRANSFER_LENGTH);
        }
        let flash_op = |region: Region| region == Region::Flash;
        match cmd.id {
            command::EXCLUSIVE_ACCESS => {
                self.exclusive = cmd.args[0];
                Ok(Phase::AckIn { cmd })
            }
            command::EXIT_XIP => {
                self.xip = false;
                Ok(Phase::AckIn { cmd })
            }
            command::ENTER_CMD_XIP => {
                self.xip = true;
                Ok(Phase::AckIn { cmd })
            }
            command::REBOOT => Ok(Phase::AckIn { cmd }),
            command::EXEC | command::VECTORIZE_FLASH => match self.region(address, 4) {
                Some((Region::Sram, _)) => Ok(Phase::AckIn { cmd }),
                _ => Err(status::INVALID_ADDRESS),
            },
            command::FLASH_ERASE => {
                let Some((Region::Flash, at)) = self.region(address, size) else {
                    return Err(status::INVALID_ADDRESS);
                };
                if address % SECTOR_BYTES != 0 || size % SECTOR_BYTES != 0 {
                    return Err(status::BAD_ALIGNMENT);
                }
                if self.drive_writing && self.exclusive == 0 {
                    return Err(status::INTERLEAVED_WRITE);
                }
                self.flash[at..at + size as usize].fill(0xFF);
                for &w in &self.worn {
                    if (address..address + size).contains(&w) {
                        self.flash[(w - FLASH_START) as usize] = 0;
                    }
                }
                self.erased
                    .extend((address..address + size).step_by(SECTOR_BYTES as usize));
                Ok(Phase::AckIn { cmd })
            }
            command::WRITE => {
                let Some((region, _)) = self.region(address, size) else {
                    return Err(status::INVALID_ADDRESS);
                };
                if region == Region::Rom {
                    return Err(status::INVALID_ADDRESS);
                }
                if flash_op(region) {
                    if address % PAGE_BYTES != 0 || size % PAGE_BYTES != 0 {
                        return Err(status::BAD_ALIGNMENT);
                    }
                    if self.drive_writing && self.exclusive == 0 {
                        return Err(status::INTERLEAVED_WRITE);
                    }
                }
                if size == 0 {
                    return Ok(Phase::AckIn { cmd });
                }
                Ok(Phase::DataOut {
                    cmd,
                    data: Vec::new(),
                })
            }
            command::READ => {
                let Some((region, at)) = self.region(address, size) else {
                    return Err(status::INVALID_ADDRESS);
                };
                let data = match region {
                    Region::Flash => self.flash[at..at + size as usize].to_vec(),
                    Region::Sram => self.sram[at..at + size as usize].to_vec(),
                    Region::Rom => (at..at + size as usize).map(|k| self.rom_byte(k)).collect(),
                };
                if data.is_empty() {
                    return Ok(Phase::AckOut);
                }
                Ok(Phase::DataIn { data, sent: 0 })
            }
            _ => Err(status::UNKNOWN_CMD),
        }
    }

    /// A `WRITE`'s data has all arrived: program it.
    fn program(&mut self, cmd: &Command, data: &[u8]) {
        let address = cmd.word(0);
        match self.region(address, data.len() as u32) {
            Some((Region::Flash, at)) => {
                // Flash programming can only clear bits.
                for (cell, b) in self.flash[at..].iter_mut().zip(data) {
                    *cell &= b;
                }
            }
            Some((Region::Sram, at)) => self.sram[at..at + data.len()].copy_from_slice(data),
            _ => {}
        }
    }

    /// The command is done: record it, and reboot if it was `REBOOT`.
    fn finish(&mut self, cmd: Option<Command>) {
        self.phase = Phase::Idle;
        self.last.in_progress = false;
        if let Some(cmd) = cmd {
            if cmd.id == command::REBOOT {
                // The chip resets after the delay; the USB device goes with it.
                self.rebooted = Some((cmd.word(0), cmd.word(1), cmd.word(2)));
                self.connected = false;
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Region {
    Flash,
    Sram,
    Rom,
}

impl Transport for SimulatedBootRom {
    type Error = SimError;

    async fn bulk_out(&mut self, data: &[u8]) -> Result<(), SimError> {
        self.enter()?;
        if self.halted {
            return Err(SimError::Stall);
        }
        match core::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle => {
                // A packet that is not a command: the boot ROM stalls it.
                let Some(cmd) = Command::from_bytes(data).filter(|_| data.len() == COMMAND_BYTES)
                else {
                    return Err(self.refuse(status::UNKNOWN_ERROR));
                };
                self.last = CommandStatus {
                    token: cmd.token,
                    status: status::OK,
                    id: cmd.id,
                    in_progress: true,
                };
                match self.start(cmd) {
                    Ok(phase) => {
                        self.commands.push(cmd.id);
                        self.phase = phase;
                        // The packet itself was received; a refusal shows on the next transfer.
                        Ok(())
                    }
                    Err(code) => {
                        self.refuse(code);
                        Ok(())
                    }
                }
            }
            Phase::DataOut {
                cmd,
                data: mut data_so_far,
            } => {
                let want = cmd.transfer_len as usize;
                if data.is_empty() || data_so_far.len() + data.len() > want {
                    return Err(self.refuse(status::INVALID_TRANSFER_LENGTH));
                }
                data_so_far.extend_from_slice(data);
                if data_so_far.len() == want {
                    self.program(&cmd, &data_so_far);
                    self.phase = Phase::AckIn { cmd };
                } else {
                    self.phase = Phase::DataOut {
                        cmd,
                        data: data_so_far,
                    };
                }
                Ok(())
            }
            Phase::AckOut if data.is_empty() => {
                self.finish(None);
                Ok(())
            }
            _ => Err(self.refuse(status::UNKNOWN_ERROR)),
        }
    }

    async fn bulk_in(&mut self, buf: &mut [u8]) -> Result<usize, SimError> {
        self.enter()?;
        if self.halted {
            return Err(SimError::Stall);
        }
        match core::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::DataIn { data, sent } => {
                let n = buf.len().min(data.len() - sent);
                buf[..n].copy_from_slice(&data[sent..sent + n]);
                self.phase = if sent + n == data.len() {
                    Phase::AckOut
                } else {
                    Phase::DataIn {
                        data,
                        sent: sent + n,
                    }
                };
                Ok(n)
            }
            Phase::AckIn { cmd } => {
                self.finish(Some(cmd));
                Ok(0)
            }
            other => {
                self.phase = other;
                Err(self.refuse(status::UNKNOWN_ERROR))
            }
        }
    }

    async fn control_out(&mut self, req: u8) -> Result<(), SimError> {
        self.enter()?;
        match req {
            request::INTERFACE_RESET => {
                self.halted = false;
                self.phase = Phase::Idle;
                self.last.in_progress = false;
                Ok(())
            }
            _ => Err(SimError::Stall),
        }
    }

    async fn control_in(&mut self, req: u8, buf: &mut [u8]) -> Result<usize, SimError> {
        self.enter()?;
        match req {
            request::GET_COMMAND_STATUS => {
                let b = self.last.to_bytes();
                let n = buf.len().min(b.len());
                buf[..n].copy_from_slice(&b[..n]);
                Ok(n)
            }
            _ => Err(SimError::Stall),
        }
    }

    async fn clear_halt(&mut self, _endpoint_in: bool) -> Result<(), SimError> {
        // The host's side of the halt; the device's stays until INTERFACE_RESET, as on the
        // RP2040, whose boot ROM re-stalls until the interface is reset.
        self.enter()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{flash, pages, FlashError};
    use super::*;
    use crate::board::PICO;
    use crate::dfuse::block_on;
    use crate::image::{FlashImage, Segment};
    use alloc::string::ToString;

    /// An image like the Pico's export: boot2, vectors and code from 0x1000_0000, then a model
    /// slot further on whose end is not page aligned.
    fn image() -> FlashImage {
        let code: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + i / 256) as u8).collect();
        let slot: Vec<u8> = (0..5_001u32).map(|i| (i ^ 0xA5) as u8).collect();
        FlashImage {
            board: &PICO,
            segments: vec![
                Segment {
                    address: FLASH_START,
                    data: code,
                },
                Segment {
                    address: FLASH_START + 0x1_0000,
                    data: slot,
                },
            ],
        }
    }

    fn run(
        dev: &mut SimulatedBootRom,
        img: &FlashImage,
    ) -> Result<super::super::Report, FlashError<SimError>> {
        let info = dev.info();
        block_on(flash(dev, &info, img, &mut |_| {}))
    }

    #[test]
    fn flashes_end_to_end_and_the_flash_equals_the_image() {
        let mut dev = SimulatedBootRom::rp2040();
        let img = image();
        let mut phases = Vec::new();
        let info = dev.info();
        let report = block_on(flash(&mut dev, &info, &img, &mut |p| phases.push(p.phase))).unwrap();
        // The .bin runs to 0x1_0000 + 5,001 B: sectors 0..=17.
        assert_eq!(report.sectors_erased, 18);
        assert_eq!(dev.erased.len(), 18);
        assert_eq!(dev.erased[17], FLASH_START + 0x1_1000);
        assert_eq!(report.bytes_written, 0x1_0000 + 5_120);
        // 20,000 B of code (79 pages) and 5,001 B of slot (20 pages); the gap is not sent.
        assert_eq!(report.pages_written, 79 + 20);
        assert_eq!(report.rom_version, 3);
        let bin = img.contiguous();
        assert!(dev.flash()[..bin.len()] == bin[..], "flash equals the .bin");
        // The rest of the last sector is erased; sectors past the .bin keep 0x5A.
        assert_eq!(dev.flash()[bin.len()], 0xFF);
        assert_eq!(dev.flash()[0x1_2000], 0x5A);
        assert_eq!(dev.flash()[FLASH_BYTES - 1], 0x5A);
        assert_eq!(dev.rebooted, Some((0, SRAM_END, 500)));
        assert!(!dev.connected());
        assert_eq!(
            &dev.commands[..3],
            &[command::READ, command::EXCLUSIVE_ACCESS, command::EXIT_XIP]
        );
        assert!(phases.contains(&crate::dfuse::Phase::Erase));
        assert_eq!(phases.last(), Some(&crate::dfuse::Phase::Verify));
    }

    fn send(dev: &mut SimulatedBootRom, cmd: Command) -> Result<(), SimError> {
        block_on(dev.bulk_out(&cmd.to_bytes()))?;
        let mut ack = [0u8; 64];
        block_on(dev.bulk_in(&mut ack)).map(|_| ())
    }

    fn last_status(dev: &mut SimulatedBootRom) -> u32 {
        let mut b = [0u8; 16];
        block_on(dev.control_in(request::GET_COMMAND_STATUS, &mut b)).unwrap();
        CommandStatus::from_bytes(&b).status
    }

    #[test]
    fn wrong_alignment_is_refused_with_a_stall_until_the_interface_is_reset() {
        let mut dev = SimulatedBootRom::rp2040();
        let erase = Command::new(command::FLASH_ERASE, &[FLASH_START + 0x800, 4096], 0);
        assert_eq!(send(&mut dev, erase), Err(SimError::Stall));
        assert_eq!(last_status(&mut dev), status::BAD_ALIGNMENT);
        assert_eq!(dev.flash()[0x800], 0x5A, "nothing erased");
        // Still halted: even a good command stalls...
        let ok = Command::new(command::EXIT_XIP, &[], 0);
        assert_eq!(send(&mut dev, ok), Err(SimError::Stall));
        // ...until the interface is reset.
        block_on(dev.control_out(request::INTERFACE_RESET)).unwrap();
        assert_eq!(send(&mut dev, ok), Ok(()));
        // A write that is not whole pages, an address outside the flash, a bad size, an
        // unknown command.
        let cases = [
            (
                Command::new(command::WRITE, &[FLASH_START + 16, 256], 256),
                status::BAD_ALIGNMENT,
            ),
            (
                Command::new(command::WRITE, &[FLASH_START, 100], 100),
                status::BAD_ALIGNMENT,
            ),
            (
                Command::new(command::FLASH_ERASE, &[0x1020_0000, 4096], 0),
                status::INVALID_ADDRESS,
            ),
            (
                Command::new(command::READ, &[FLASH_START, 16], 8),
                status::INVALID_TRANSFER_LENGTH,
            ),
            (
                Command {
                    args_len: 3,
                    ..Command::new(command::EXIT_XIP, &[], 0)
                },
                status::INVALID_CMD_LENGTH,
            ),
            (
                Command {
                    id: 0x42,
                    ..Command::new(command::EXIT_XIP, &[], 0)
                },
                status::UNKNOWN_CMD,
            ),
        ];
        for (cmd, code) in cases {
            assert_eq!(send(&mut dev, cmd), Err(SimError::Stall), "{cmd:?}");
            assert_eq!(last_status(&mut dev), code, "{cmd:?}");
            block_on(dev.control_out(request::INTERFACE_RESET)).unwrap();
        }
        // The flasher rounds a misaligned segment out to whole pages instead.
        let img = FlashImage {
            board: &PICO,
            segments: vec![Segment {
                address: FLASH_START + 0x1010,
                data: vec![0x11; 300],
            }],
        };
        assert_eq!(pages(&img).0, FLASH_START + 0x1000);
        assert_eq!(pages(&img).1.len(), 512);
        run(&mut dev, &img).unwrap();
        assert_eq!(dev.flash()[0x1010], 0x11);
        assert_eq!(dev.flash()[0x100f], 0xFF);
    }

    #[test]
    fn programming_only_clears_bits_so_skipping_the_erase_fails_verification() {
        let mut dev = SimulatedBootRom::rp2040();
        block_on(dev.bulk_out(&Command::new(command::WRITE, &[FLASH_START, 256], 256).to_bytes()))
            .unwrap();
        block_on(dev.bulk_out(&[0x0F; 256])).unwrap();
        let mut ack = [0u8; 1];
        assert_eq!(block_on(dev.bulk_in(&mut ack)), Ok(0));
        assert_eq!(dev.flash()[0], 0x0A);
    }

    #[test]
    fn unplugged_mid_way_then_a_retry_succeeds() {
        let mut dev = SimulatedBootRom::rp2040();
        let img = image();
        dev.unplug_after(60);
        match run(&mut dev, &img) {
            Err(FlashError::Transport(SimError::Disconnected)) => {}
            other => panic!("{other:?}"),
        }
        assert!(
            !dev.erased.is_empty(),
            "it was unplugged after erasing began"
        );
        dev.replug();
        run(&mut dev, &img).unwrap();
        let bin = img.contiguous();
        assert!(dev.flash()[..bin.len()] == bin[..], "flash equals the .bin");
    }

    #[test]
    fn a_stalled_interface_left_by_an_earlier_session_is_reset_first() {
        let mut dev = SimulatedBootRom::rp2040();
        let _ = send(
            &mut dev,
            Command::new(command::FLASH_ERASE, &[FLASH_START + 1, 4096], 0),
        );
        run(&mut dev, &image()).unwrap();
    }

    #[test]
    fn exclusive_access_keeps_the_drive_from_interleaving() {
        let mut dev = SimulatedBootRom::rp2040();
        dev.set_drive_writing(true);
        let erase = Command::new(command::FLASH_ERASE, &[FLASH_START, 4096], 0);
        assert_eq!(send(&mut dev, erase), Err(SimError::Stall));
        assert_eq!(last_status(&mut dev), status::INTERLEAVED_WRITE);
        block_on(dev.control_out(request::INTERFACE_RESET)).unwrap();
        // The flasher takes exclusive access first, so the same state flashes fine.
        run(&mut dev, &image()).unwrap();
    }

    #[test]
    fn not_an_rp2040_rom_is_refused_before_erasing() {
        let mut dev = SimulatedBootRom::other_chip([b'M', b'u', 0x02, 2]);
        match run(&mut dev, &image()) {
            Err(e @ FlashError::NotRp2040 { .. }) => {
                assert!(e.to_string().contains("not an RP2040 boot ROM"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(dev.erased.is_empty());
        let info = DeviceInfo {
            vendor_id: 0x0483,
            product_id: 0xdf11,
        };
        let img = image();
        match block_on(flash(&mut dev, &info, &img, &mut |_| {})) {
            Err(FlashError::WrongDevice { .. }) => {}
            other => panic!("{other:?}"),
        }
        // An STM32 image is refused too.
        let stm = FlashImage {
            board: &crate::board::NETDUINOPLUS2,
            segments: vec![],
        };
        let mut dev = SimulatedBootRom::rp2040();
        match run(&mut dev, &stm) {
            Err(FlashError::WrongBoard {
                board: "netduinoplus2",
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_worn_cell_fails_verification_at_its_address() {
        let mut dev = SimulatedBootRom::rp2040();
        dev.wear_out(FLASH_START + 0x1234);
        match run(&mut dev, &image()) {
            Err(FlashError::Verify { address }) => assert_eq!(address, FLASH_START + 0x1234),
            other => panic!("{other:?}"),
        }
        assert_eq!(dev.rebooted, None, "no reboot into a bad image");
    }

    #[test]
    fn a_refused_command_is_explained_and_the_interface_recovers() {
        use super::super::Session;
        let mut dev = SimulatedBootRom::rp2040();
        let mut session = Session {
            t: &mut dev,
            token: 0,
            commands: 0,
        };
        let bad = Command::new(command::FLASH_ERASE, &[FLASH_START + 0x100, 4096], 0);
        match block_on(session.command(bad, &[], &mut [], "erasing", FLASH_START + 0x100)) {
            Err(e @ FlashError::Device { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("BAD_ALIGNMENT") && text.contains("0x10000100"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        // The session reset the interface: the next command goes through.
        let ok = Command::new(command::EXIT_XIP, &[], 0);
        block_on(session.command(ok, &[], &mut [], "leaving XIP", FLASH_START)).unwrap();
    }

    #[test]
    fn commands_round_trip() {
        let c = Command {
            token: 7,
            ..Command::new(command::READ, &[FLASH_START, 64], 64)
        };
        assert_eq!(Command::from_bytes(&c.to_bytes()), Some(c));
        assert!(c.is_in());
        let mut bad = c.to_bytes();
        bad[0] ^= 1;
        assert_eq!(Command::from_bytes(&bad), None);
        assert_eq!(Command::from_bytes(&bad[..31]), None);
    }
}
