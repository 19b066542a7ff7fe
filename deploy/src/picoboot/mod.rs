//! Flashing a Raspberry Pi Pico over PICOBOOT, the vendor interface of the RP2040 boot ROM
//! (USB 2e8a:0003, entered by holding BOOTSEL while plugging in; RP2040 datasheet §2.8.5).
//!
//! [`flash`] checks that the device really is an RP2040 boot ROM (its ROM starts with the
//! `Mu\x01` magic), takes exclusive access (the RPI-RP2 drive is locked out, so nothing the
//! operating system writes there can interleave with ours), leaves execute-in-place mode,
//! erases only the 4 KB sectors the image needs, writes 256-byte pages, reads everything back
//! and compares, then reboots the chip into the new image. It talks through a [`Transport`]:
//! WebUSB in the browser, [`sim::SimulatedBootRom`] in tests.
//!
//! The PICOBOOT conversation, one command at a time, over one bulk OUT and one bulk IN
//! endpoint:
//!
//! - the host sends a 32-byte command on OUT: magic `0x431fd10b`, a token, the command id
//!   (bit 7 set: data flows device to host), the argument size, the data length, then up to
//!   16 bytes of arguments;
//! - then the data phase: `dTransferLength` bytes on OUT (`WRITE`) or IN (`READ`);
//! - then the acknowledgement: a zero-length packet in the other direction than the data (IN
//!   for a command without data).
//!
//! A command the device refuses stalls its endpoints; the interface's `GET_COMMAND_STATUS`
//! control request then says why, and `INTERFACE_RESET` (with the host clearing both halts)
//! makes the interface take commands again.

pub mod sim;

use alloc::vec;
use core::fmt;
use core::future::Future;

use crate::image::FlashImage;

pub use crate::dfuse::{block_on, Phase, Progress};

/// Raspberry Pi's USB vendor id.
pub const RPI_VID: u16 = 0x2E8A;
/// The RP2040 boot ROM's product id (the RPI-RP2 drive and PICOBOOT).
pub const RP2040_BOOT_PID: u16 = 0x0003;

/// The udev rule that lets a Linux user (and so the browser) open the RP2040 boot ROM: what to
/// show when WebUSB reports access denied. Put it in `/etc/udev/rules.d/60-rp2040-bootrom.rules`,
/// then `sudo udevadm control --reload` and plug the Pico in again with BOOTSEL held.
pub const LINUX_UDEV_RULE: &str = r#"SUBSYSTEM=="usb", ATTR{idVendor}=="2e8a", ATTR{idProduct}=="0003", MODE="0660", TAG+="uaccess""#;

/// The first word of every PICOBOOT command.
pub const MAGIC: u32 = 0x431F_D10B;
/// Bytes in a command packet.
pub const COMMAND_BYTES: usize = 32;

/// Where the RP2040's flash is mapped (execute in place).
pub const FLASH_START: u32 = 0x1000_0000;
/// The flash's erase unit.
pub const SECTOR_BYTES: u32 = 4096;
/// The flash's programming unit: a WRITE to flash must start and end on one.
pub const PAGE_BYTES: u32 = 256;
/// The RP2040's SRAM, striped banks and the two 4 KB scratch banks.
pub const SRAM_START: u32 = 0x2000_0000;
/// One past the SRAM (264 KB).
pub const SRAM_END: u32 = 0x2004_2000;
/// Where the boot ROM keeps its magic: `'M', 'u', 0x01` then the ROM version.
pub const ROM_MAGIC_ADDRESS: u32 = 0x10;
/// The magic's three bytes (the fourth is the ROM version: 1 on B0, 2 on B1, 3 on B2).
pub const ROM_MAGIC: [u8; 3] = [b'M', b'u', 0x01];

/// Bytes read back per `READ` when verifying.
const READ_CHUNK: usize = 4096;

/// PICOBOOT command ids.
pub mod command {
    /// Lock the RPI-RP2 drive out (argument: 0 no, 1 yes, 2 yes and eject).
    pub const EXCLUSIVE_ACCESS: u8 = 0x01;
    /// Reboot (arguments: PC, SP, delay in ms; PC 0 boots normally).
    pub const REBOOT: u8 = 0x02;
    /// Erase flash (arguments: address, size; both 4096-byte aligned).
    pub const FLASH_ERASE: u8 = 0x03;
    /// Read memory (arguments: address, size); data device to host.
    pub const READ: u8 = 0x84;
    /// Write memory (arguments: address, size); to flash only in whole 256-byte pages of erased
    /// flash: programming only clears bits.
    pub const WRITE: u8 = 0x05;
    /// Leave execute-in-place so the flash takes commands.
    pub const EXIT_XIP: u8 = 0x06;
    /// Back to execute-in-place.
    pub const ENTER_CMD_XIP: u8 = 0x07;
    /// Call code in SRAM (argument: address).
    pub const EXEC: u8 = 0x08;
    /// Point the boot ROM's vectors at SRAM (argument: address).
    pub const VECTORIZE_FLASH: u8 = 0x09;

    /// The argument bytes (`bCmdSize`) a command must carry, or `None` for an unknown command.
    pub fn argument_bytes(id: u8) -> Option<u8> {
        match id {
            EXCLUSIVE_ACCESS => Some(1),
            REBOOT => Some(12),
            FLASH_ERASE | READ | WRITE => Some(8),
            EXIT_XIP | ENTER_CMD_XIP => Some(0),
            EXEC | VECTORIZE_FLASH => Some(4),
            _ => None,
        }
    }
}

/// Control requests to the PICOBOOT interface (vendor type, interface recipient).
pub mod request {
    /// Host to device, no data: un-stall the endpoints and reset the command state.
    pub const INTERFACE_RESET: u8 = 0x41;
    /// Device to host, 16 bytes: the last command's token, status, id and whether it is still
    /// in progress.
    pub const GET_COMMAND_STATUS: u8 = 0x42;
}

/// Status codes in `GET_COMMAND_STATUS` (the RP2040 boot ROM's).
pub mod status {
    /// No error.
    pub const OK: u32 = 0;
    /// Not a command id the boot ROM knows.
    pub const UNKNOWN_CMD: u32 = 1;
    /// `bCmdSize` is wrong for the command.
    pub const INVALID_CMD_LENGTH: u32 = 2;
    /// `dTransferLength` is wrong for the command.
    pub const INVALID_TRANSFER_LENGTH: u32 = 3;
    /// The address range is not memory the command can reach.
    pub const INVALID_ADDRESS: u32 = 4;
    /// Not aligned to the flash's sector (erase) or page (write).
    pub const BAD_ALIGNMENT: u32 = 5;
    /// The RPI-RP2 drive is writing the flash at the same time (take exclusive access).
    pub const INTERLEAVED_WRITE: u32 = 6;
    /// The device is rebooting.
    pub const REBOOTING: u32 = 7;
    /// Anything else.
    pub const UNKNOWN_ERROR: u32 = 8;

    /// A person's name for a status code.
    pub fn name(code: u32) -> &'static str {
        match code {
            OK => "OK",
            UNKNOWN_CMD => "UNKNOWN_CMD (a command it does not know)",
            INVALID_CMD_LENGTH => "INVALID_CMD_LENGTH (wrong argument size)",
            INVALID_TRANSFER_LENGTH => "INVALID_TRANSFER_LENGTH (wrong data length)",
            INVALID_ADDRESS => "INVALID_ADDRESS (outside the memory)",
            BAD_ALIGNMENT => "BAD_ALIGNMENT (not on a sector or page boundary)",
            INTERLEAVED_WRITE => "INTERLEAVED_WRITE (the RPI-RP2 drive is being written)",
            REBOOTING => "REBOOTING",
            _ => "an error",
        }
    }
}

/// A command packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// `dToken`: echoed by `GET_COMMAND_STATUS`.
    pub token: u32,
    /// `bCmdId`.
    pub id: u8,
    /// `bCmdSize`: argument bytes used.
    pub args_len: u8,
    /// `dTransferLength`: bytes in the data phase.
    pub transfer_len: u32,
    /// The arguments (little-endian words).
    pub args: [u8; 16],
}

impl Command {
    /// A command with its arguments as little-endian words.
    pub fn new(id: u8, words: &[u32], transfer_len: u32) -> Command {
        let mut args = [0u8; 16];
        for (slot, w) in args.chunks_exact_mut(4).zip(words) {
            slot.copy_from_slice(&w.to_le_bytes());
        }
        Command {
            token: 0,
            id,
            args_len: command::argument_bytes(id).unwrap_or(0),
            transfer_len,
            args,
        }
    }

    /// Whether the data phase (and so the acknowledgement's opposite) is device to host.
    pub fn is_in(&self) -> bool {
        self.id & 0x80 != 0
    }

    /// Argument word `i` (0..4).
    pub fn word(&self, i: usize) -> u32 {
        match self.args.get(4 * i..4 * i + 4) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// The 32 bytes on the wire.
    pub fn to_bytes(&self) -> [u8; COMMAND_BYTES] {
        let mut b = [0u8; COMMAND_BYTES];
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&self.token.to_le_bytes());
        b[8] = self.id;
        b[9] = self.args_len;
        b[12..16].copy_from_slice(&self.transfer_len.to_le_bytes());
        b[16..32].copy_from_slice(&self.args);
        b
    }

    /// Reads a packet: `None` unless it is 32 bytes starting with the magic.
    pub fn from_bytes(b: &[u8]) -> Option<Command> {
        let b: &[u8; COMMAND_BYTES] = b.try_into().ok()?;
        let word = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if word(0) != MAGIC {
            return None;
        }
        let mut args = [0u8; 16];
        args.copy_from_slice(&b[16..32]);
        Some(Command {
            token: word(4),
            id: b[8],
            args_len: b[9],
            transfer_len: word(12),
            args,
        })
    }
}

/// A `GET_COMMAND_STATUS` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandStatus {
    /// `dToken` of the last command.
    pub token: u32,
    /// `dStatusCode` (see [`status`]).
    pub status: u32,
    /// `bCmdId` of the last command.
    pub id: u8,
    /// `bInProgress`.
    pub in_progress: bool,
}

impl CommandStatus {
    /// Reads the 16 bytes.
    pub fn from_bytes(b: &[u8; 16]) -> CommandStatus {
        CommandStatus {
            token: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            status: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            id: b[8],
            in_progress: b[9] != 0,
        }
    }

    /// The 16 bytes.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&self.token.to_le_bytes());
        b[4..8].copy_from_slice(&self.status.to_le_bytes());
        b[8] = self.id;
        b[9] = self.in_progress as u8;
        b
    }
}

/// The USB side of PICOBOOT: the interface's two bulk endpoints and its two control requests.
///
/// The methods return futures so that the browser's WebUSB (promises) can implement them; the
/// simulated boot ROM answers at once. Nothing here needs the futures to be `Send`.
pub trait Transport {
    /// Why a transfer failed: the device stalled, was unplugged, access was denied...
    type Error: fmt::Debug + fmt::Display;

    /// A transfer on the bulk OUT endpoint (empty: a zero-length packet).
    fn bulk_out(&mut self, data: &[u8]) -> impl Future<Output = Result<(), Self::Error>>;

    /// A transfer on the bulk IN endpoint of up to `buf.len()` bytes; returns how many came
    /// (0: a zero-length packet).
    fn bulk_in(&mut self, buf: &mut [u8]) -> impl Future<Output = Result<usize, Self::Error>>;

    /// A vendor request to the interface, host to device, without data.
    fn control_out(&mut self, request: u8) -> impl Future<Output = Result<(), Self::Error>>;

    /// A vendor request to the interface, device to host; returns how many bytes came.
    fn control_in(
        &mut self,
        request: u8,
        buf: &mut [u8],
    ) -> impl Future<Output = Result<usize, Self::Error>>;

    /// Clears the host's halt on the bulk IN (`true`) or OUT endpoint, as after a stall.
    fn clear_halt(&mut self, endpoint_in: bool) -> impl Future<Output = Result<(), Self::Error>>;
}

/// What the caller read from the device descriptor before flashing.
#[derive(Clone, Copy, Debug)]
pub struct DeviceInfo {
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
}

/// What a flash did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// 4 KB sectors erased.
    pub sectors_erased: usize,
    /// Bytes of the `.bin` (rounded out to whole pages) written and read back.
    pub bytes_written: usize,
    /// 256-byte pages programmed (pages of the `.bin` that are all 0xFF are already erased
    /// and not sent).
    pub pages_written: usize,
    /// PICOBOOT commands sent.
    pub commands: usize,
    /// The boot ROM's version byte (3 on an RP2040 B2).
    pub rom_version: u8,
}

/// Why flashing failed.
#[derive(Debug)]
pub enum FlashError<E> {
    /// The USB transfer failed (unplugged, access denied): see the transport's error.
    Transport(E),
    /// Not an RP2040 boot ROM by its USB ids.
    WrongDevice {
        /// `idVendor` found.
        vendor_id: u16,
        /// `idProduct` found.
        product_id: u16,
    },
    /// PICOBOOT answered but the ROM is not an RP2040's (read at 0x10).
    NotRp2040 {
        /// The four bytes found where the RP2040 ROM has `Mu\x01` and its version.
        found: [u8; 4],
    },
    /// The image is not for the Pico's flash.
    WrongBoard {
        /// The image's board.
        board: &'static str,
    },
    /// The device refused a command.
    Device {
        /// What was being done.
        during: &'static str,
        /// At which address.
        address: u32,
        /// `dStatusCode` from `GET_COMMAND_STATUS`.
        status: u32,
    },
    /// The device answered out of protocol (data where an acknowledgement belongs).
    Protocol {
        /// What was being done.
        during: &'static str,
    },
    /// A byte read back differs from the image.
    Verify {
        /// The first differing address.
        address: u32,
    },
}

impl<E> From<E> for FlashError<E> {
    fn from(e: E) -> Self {
        FlashError::Transport(e)
    }
}

impl<E: fmt::Display> fmt::Display for FlashError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlashError::Transport(e) => write!(f, "{e}"),
            FlashError::WrongDevice {
                vendor_id,
                product_id,
            } => write!(
                f,
                "the device is {vendor_id:04x}:{product_id:04x}, not an RP2040 boot ROM \
                 (2e8a:0003): hold BOOTSEL while plugging the Pico in"
            ),
            FlashError::NotRp2040 { found } => write!(
                f,
                "the device speaks PICOBOOT but is not an RP2040 boot ROM (its ROM reads \
                 {:02x} {:02x} {:02x} {:02x} at 0x10, not 4d 75 01): nothing was erased",
                found[0], found[1], found[2], found[3]
            ),
            FlashError::WrongBoard { board } => write!(
                f,
                "this image is for {board}, not the Pico: choose the board you have"
            ),
            FlashError::Device {
                during,
                address,
                status: code,
            } => write!(
                f,
                "the boot ROM reported {} while {during} at 0x{address:08x}",
                status::name(*code)
            ),
            FlashError::Protocol { during } => {
                write!(f, "the boot ROM answered out of protocol while {during}")
            }
            FlashError::Verify { address } => write!(
                f,
                "reading back differs from the image at 0x{address:08x}: flash again"
            ),
        }
    }
}

/// One PICOBOOT session over a transport.
struct Session<'t, T: Transport> {
    t: &'t mut T,
    token: u32,
    commands: usize,
}

impl<T: Transport> Session<'_, T> {
    /// Clears both halts and resets the interface: a clean start after whatever an earlier,
    /// interrupted session left.
    async fn reset(&mut self) -> Result<(), T::Error> {
        self.t.clear_halt(true).await?;
        self.t.clear_halt(false).await?;
        self.t.control_out(request::INTERFACE_RESET).await
    }

    /// Sends `cmd` with its data phase (`out` for host to device, `in_buf` for device to host)
    /// and takes the acknowledgement. A refused command is explained with
    /// `GET_COMMAND_STATUS` and the interface is reset for the next attempt.
    async fn command(
        &mut self,
        mut cmd: Command,
        out: &[u8],
        in_buf: &mut [u8],
        during: &'static str,
        address: u32,
    ) -> Result<(), FlashError<T::Error>> {
        self.token = self.token.wrapping_add(1);
        cmd.token = self.token;
        self.commands += 1;
        let result = self.exchange(&cmd, out, in_buf, during).await;
        let Err(e) = result else {
            return Ok(());
        };
        if let FlashError::Transport(_) = e {
            // A stall, or the device is gone: ask why; if it cannot answer, it is gone.
            let mut b = [0u8; 16];
            let code = match self.t.control_in(request::GET_COMMAND_STATUS, &mut b).await {
                Ok(16) => CommandStatus::from_bytes(&b),
                _ => return Err(e),
            };
            if self.reset().await.is_err() {
                return Err(e);
            }
            if code.token == cmd.token && code.status != status::OK {
                return Err(FlashError::Device {
                    during,
                    address,
                    status: code.status,
                });
            }
            return Err(e);
        }
        let _ = self.reset().await;
        Err(e)
    }

    async fn exchange(
        &mut self,
        cmd: &Command,
        out: &[u8],
        in_buf: &mut [u8],
        during: &'static str,
    ) -> Result<(), FlashError<T::Error>> {
        self.t.bulk_out(&cmd.to_bytes()).await?;
        if cmd.is_in() {
            let mut got = 0;
            while got < in_buf.len() {
                let n = self.t.bulk_in(&mut in_buf[got..]).await?;
                if n == 0 {
                    return Err(FlashError::Protocol { during });
                }
                got += n;
            }
            // The acknowledgement: a zero-length packet from the host.
            self.t.bulk_out(&[]).await?;
        } else {
            if !out.is_empty() {
                self.t.bulk_out(out).await?;
            }
            let mut ack = [0u8; 64];
            if self.t.bulk_in(&mut ack).await? != 0 {
                return Err(FlashError::Protocol { during });
            }
        }
        Ok(())
    }
}

/// Flashes `image` onto the RP2040 boot ROM behind `transport`: checks the USB ids and the
/// ROM's magic, takes exclusive access, leaves execute-in-place, erases the 4 KB sectors the
/// image's `.bin` spans (no others), writes it in 256-byte pages (the last one padded with
/// erased bytes), reads
/// back and compares, then reboots into the image.
///
/// On any error the interface is reset (halts cleared) when the device is still there, so
/// flashing again from the start is always the way out; nothing is erased before the device
/// has shown it is an RP2040 boot ROM.
pub async fn flash<T: Transport>(
    transport: &mut T,
    device: &DeviceInfo,
    image: &FlashImage,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, FlashError<T::Error>> {
    if (device.vendor_id, device.product_id) != (RPI_VID, RP2040_BOOT_PID) {
        return Err(FlashError::WrongDevice {
            vendor_id: device.vendor_id,
            product_id: device.product_id,
        });
    }
    let board = image.board;
    if board.flash_origin != FLASH_START || board.sector_list().any(|(_, n)| n != SECTOR_BYTES) {
        return Err(FlashError::WrongBoard { board: board.name });
    }
    let flash_end = FLASH_START as u64 + board.flash_bytes as u64;
    if let Some(s) = image
        .segments
        .iter()
        .find(|s| s.address < FLASH_START || s.end() as u64 > flash_end)
    {
        return Err(FlashError::Device {
            during: "checking the image",
            address: s.address,
            status: status::INVALID_ADDRESS,
        });
    }
    let mut session = Session {
        t: transport,
        token: 0,
        commands: 0,
    };
    session.reset().await?;

    let mut magic = [0u8; 4];
    session
        .command(
            Command::new(command::READ, &[ROM_MAGIC_ADDRESS, 4], 4),
            &[],
            &mut magic,
            "reading the ROM's magic",
            ROM_MAGIC_ADDRESS,
        )
        .await?;
    if magic[..3] != ROM_MAGIC {
        return Err(FlashError::NotRp2040 { found: magic });
    }
    session
        .command(
            Command::new(command::EXCLUSIVE_ACCESS, &[1], 0),
            &[],
            &mut [],
            "taking exclusive access",
            0,
        )
        .await?;
    session
        .command(
            Command::new(command::EXIT_XIP, &[], 0),
            &[],
            &mut [],
            "leaving execute-in-place",
            FLASH_START,
        )
        .await?;

    // What goes to the flash is the .bin: from the image's first to its last byte, gaps
    // between the firmware and the model slot erased, so that afterwards the flash holds
    // exactly the exported file and no stale bytes of an earlier firmware sit inside it. The
    // sectors it spans are erased; every other sector is left alone.
    let (start, data) = pages(image);
    let sectors = sectors_spanned(start, data.len());
    for (i, &(address, bytes)) in sectors.iter().enumerate() {
        progress(Progress {
            phase: Phase::Erase,
            done: i,
            total: sectors.len(),
        });
        session
            .command(
                Command::new(command::FLASH_ERASE, &[address, bytes], 0),
                &[],
                &mut [],
                "erasing",
                address,
            )
            .await?;
    }

    let total = data.len();
    let mut pages_written = 0;
    for (i, page) in data.chunks(PAGE_BYTES as usize).enumerate() {
        progress(Progress {
            phase: Phase::Write,
            done: i * PAGE_BYTES as usize,
            total,
        });
        // An all-0xFF page programs nothing on erased flash (the gap before the model slot).
        if page.iter().all(|&b| b == 0xFF) {
            continue;
        }
        let address = start + (i as u32) * PAGE_BYTES;
        session
            .command(
                Command::new(command::WRITE, &[address, PAGE_BYTES], PAGE_BYTES),
                page,
                &mut [],
                "writing",
                address,
            )
            .await?;
        pages_written += 1;
    }

    let mut buf = vec![0u8; READ_CHUNK];
    for (i, chunk) in data.chunks(READ_CHUNK).enumerate() {
        progress(Progress {
            phase: Phase::Verify,
            done: i * READ_CHUNK,
            total,
        });
        let address = start + (i * READ_CHUNK) as u32;
        let got = &mut buf[..chunk.len()];
        session
            .command(
                Command::new(
                    command::READ,
                    &[address, chunk.len() as u32],
                    chunk.len() as u32,
                ),
                &[],
                got,
                "reading back",
                address,
            )
            .await?;
        if let Some(k) = (0..chunk.len()).find(|&k| got[k] != chunk[k]) {
            return Err(FlashError::Verify {
                address: address + k as u32,
            });
        }
    }
    progress(Progress {
        phase: Phase::Verify,
        done: total,
        total,
    });

    // Back to execute-in-place, then a normal boot (PC 0) after 500 ms, as picotool does: the
    // acknowledgement comes first, then the device goes.
    session
        .command(
            Command::new(command::ENTER_CMD_XIP, &[], 0),
            &[],
            &mut [],
            "entering execute-in-place",
            FLASH_START,
        )
        .await?;
    session
        .command(
            Command::new(command::REBOOT, &[0, SRAM_END, 500], 0),
            &[],
            &mut [],
            "rebooting",
            0,
        )
        .await?;
    Ok(Report {
        sectors_erased: sectors.len(),
        bytes_written: total,
        pages_written,
        commands: session.commands,
        rom_version: magic[3],
    })
}

/// The image as the `.bin` holds it, rounded out to whole flash pages: (first address,
/// bytes), gaps between segments and the padding erased (`0xFF`).
pub fn pages(image: &FlashImage) -> (u32, alloc::vec::Vec<u8>) {
    let start = image.start() - image.start() % PAGE_BYTES;
    let end = image.end().div_ceil(PAGE_BYTES) * PAGE_BYTES;
    let mut out = vec![0xFFu8; (end - start) as usize];
    for s in &image.segments {
        let at = (s.address - start) as usize;
        out[at..at + s.data.len()].copy_from_slice(&s.data);
    }
    (start, out)
}

/// The 4 KB sectors from `start` for `len` bytes, as (address, bytes).
fn sectors_spanned(start: u32, len: usize) -> alloc::vec::Vec<(u32, u32)> {
    let first = start - start % SECTOR_BYTES;
    let end = start + len as u32;
    (first..end)
        .step_by(SECTOR_BYTES as usize)
        .map(|a| (a, SECTOR_BYTES))
        .collect()
}
