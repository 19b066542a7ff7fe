//! Flashing over USB DFU with ST's DfuSe extensions, as the STM32 ROM bootloader speaks it
//! (USB 0483:df11, entered with BOOT0 high; DFU 1.1 and ST's AN3156).
//!
//! [`flash`] reads the device's memory layout, erases only the sectors the image touches,
//! downloads in `wTransferSize` blocks polling the status after each, reads everything back
//! and compares, then leaves DFU mode so the board runs the new firmware. It talks through a
//! [`Transport`]: WebUSB in the browser, [`sim::SimulatedDevice`] in tests.
//!
//! The DfuSe conversation, one request at a time:
//!
//! - `DNLOAD` block 0 carries a command: `0x21 addr` sets the address pointer, `0x41 addr` erases
//!   the sector holding `addr`. Block `n >= 2` carries data for `pointer + (n - 2) × wTransferSize`.
//!   A zero-length `DNLOAD` leaves DFU: the device jumps to the pointer.
//! - After each `DNLOAD` the host sends `GETSTATUS`: the device starts the work and answers
//!   `dfuDNBUSY` with a poll timeout; after waiting that long the host asks again and gets
//!   `dfuDNLOAD-IDLE` (done) or `dfuERROR` with a status code.
//! - `UPLOAD` block `n >= 2` reads from `pointer + (n - 2) × wTransferSize`, from `dfuIDLE`
//!   (so the host sets the pointer, then `ABORT`s back to idle first).

pub mod layout;
pub mod sim;

use alloc::vec;
use core::fmt;
use core::future::Future;

use crate::image::FlashImage;
use layout::MemoryLayout;

/// The udev rule that lets a Linux user (and so the browser) open the STM32 bootloader: what
/// to show when WebUSB or libusb reports access denied. Put it in
/// `/etc/udev/rules.d/50-stm32-dfu.rules`, then `sudo udevadm control --reload` and replug.
pub const LINUX_UDEV_RULE: &str = r#"SUBSYSTEM=="usb", ATTR{idVendor}=="0483", ATTR{idProduct}=="df11", MODE="0660", TAG+="uaccess""#;

/// DFU class requests (DFU 1.1 table 3.2).
pub mod request {
    /// Host to device: a block of data or a DfuSe command.
    pub const DNLOAD: u8 = 1;
    /// Device to host: a block of memory (or, block 0, the DfuSe command list).
    pub const UPLOAD: u8 = 2;
    /// Device to host: status, poll timeout and state (6 bytes).
    pub const GETSTATUS: u8 = 3;
    /// Host to device: leave `dfuERROR`.
    pub const CLRSTATUS: u8 = 4;
    /// Device to host: the state (1 byte).
    pub const GETSTATE: u8 = 5;
    /// Host to device: back to `dfuIDLE`.
    pub const ABORT: u8 = 6;
}

/// DfuSe commands (first byte of a block-0 `DNLOAD`).
pub mod command {
    /// Set the address pointer: `0x21` and the address, little-endian.
    pub const SET_ADDRESS: u8 = 0x21;
    /// Erase the sector holding the address that follows (alone: mass erase).
    pub const ERASE: u8 = 0x41;
    /// Remove read protection (mass erases the flash).
    pub const READ_UNPROTECT: u8 = 0x92;
}

/// DFU device states (DFU 1.1 §6.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Running the application.
    AppIdle = 0,
    /// Application told to detach.
    AppDetach = 1,
    /// DFU mode, waiting for requests.
    DfuIdle = 2,
    /// A block arrived; waiting for GETSTATUS to start it.
    DnloadSync = 3,
    /// Working on a block (erase or program).
    DnBusy = 4,
    /// A block is done; ready for the next.
    DnloadIdle = 5,
    /// The zero-length download arrived; waiting for GETSTATUS.
    ManifestSync = 6,
    /// Leaving DFU mode.
    Manifest = 7,
    /// Left; waiting for a USB reset.
    ManifestWaitReset = 8,
    /// Uploading.
    UploadIdle = 9,
    /// An error; CLRSTATUS clears it.
    Error = 10,
}

impl State {
    /// The state for a `bState` byte.
    pub fn from_u8(v: u8) -> Option<State> {
        use State::*;
        [
            AppIdle,
            AppDetach,
            DfuIdle,
            DnloadSync,
            DnBusy,
            DnloadIdle,
            ManifestSync,
            Manifest,
            ManifestWaitReset,
            UploadIdle,
            Error,
        ]
        .get(v as usize)
        .copied()
    }
}

/// DFU status codes (DFU 1.1 §6.1.2) that the STM32 bootloader reports.
pub mod status {
    /// No error.
    pub const OK: u8 = 0x00;
    /// The address is outside the memory, or the memory cannot take this operation.
    pub const ERR_TARGET: u8 = 0x01;
    /// Programming failed.
    pub const ERR_WRITE: u8 = 0x03;
    /// Erasing failed.
    pub const ERR_ERASE: u8 = 0x04;
    /// Programming a location that reads back wrong.
    pub const ERR_VERIFY: u8 = 0x07;
    /// The address is out of range.
    pub const ERR_ADDRESS: u8 = 0x08;
    /// An unknown command.
    pub const ERR_UNKNOWN: u8 = 0x0E;
    /// A request the device did not expect in its state.
    pub const ERR_STALLEDPKT: u8 = 0x0F;

    /// A person's name for a status code.
    pub fn name(code: u8) -> &'static str {
        match code {
            OK => "OK",
            ERR_TARGET => "errTARGET (wrong memory or address)",
            ERR_WRITE => "errWRITE (programming failed)",
            ERR_ERASE => "errERASE (erase failed)",
            ERR_VERIFY => "errVERIFY",
            ERR_ADDRESS => "errADDRESS (address out of range)",
            ERR_UNKNOWN => "errUNKNOWN",
            ERR_STALLEDPKT => "errSTALLEDPKT (unexpected request)",
            _ => "an error",
        }
    }
}

/// A `GETSTATUS` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// `bStatus`.
    pub status: u8,
    /// `bwPollTimeout`: milliseconds to wait before the next `GETSTATUS`.
    pub poll_timeout_ms: u32,
    /// `bState`.
    pub state: u8,
}

impl Status {
    /// Reads the 6 bytes of a `GETSTATUS` answer.
    pub fn from_bytes(b: &[u8; 6]) -> Status {
        Status {
            status: b[0],
            poll_timeout_ms: u32::from_le_bytes([b[1], b[2], b[3], 0]),
            state: b[4],
        }
    }

    /// The 6 bytes (`iString` 0).
    pub fn to_bytes(self) -> [u8; 6] {
        let t = self.poll_timeout_ms.to_le_bytes();
        [self.status, t[0], t[1], t[2], self.state, 0]
    }
}

/// The USB side of DFU: class requests to the DFU interface, and waiting.
///
/// The methods return futures so that the browser's WebUSB (promises) can implement them; the
/// simulated device answers at once. Nothing here needs the futures to be `Send`.
pub trait Transport {
    /// Why a transfer failed: the device stalled, was unplugged, access was denied...
    type Error: fmt::Debug + fmt::Display;

    /// A class request to the interface, host to device (`bmRequestType` 0x21), with `data`.
    fn control_out(
        &mut self,
        request: u8,
        value: u16,
        data: &[u8],
    ) -> impl Future<Output = Result<(), Self::Error>>;

    /// A class request to the interface, device to host (`bmRequestType` 0xA1), reading up to
    /// `buf.len()` bytes; returns how many came.
    fn control_in(
        &mut self,
        request: u8,
        value: u16,
        buf: &mut [u8],
    ) -> impl Future<Output = Result<usize, Self::Error>>;

    /// Waits `ms` milliseconds (a device's poll timeout).
    fn sleep_ms(&mut self, ms: u32) -> impl Future<Output = ()>;
}

/// What the caller read from the device's descriptors before flashing.
#[derive(Clone, Copy, Debug)]
pub struct DeviceInfo<'a> {
    /// `idVendor`.
    pub vendor_id: u16,
    /// `idProduct`.
    pub product_id: u16,
    /// `wTransferSize` from the DFU functional descriptor (2048 on STM32F4 bootloaders).
    pub transfer_size: u16,
    /// The interface string of alternate setting 0: the internal flash's layout.
    pub flash_layout: &'a str,
}

/// What flashing is doing, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Erasing the sectors the image touches.
    Erase,
    /// Downloading the image.
    Write,
    /// Reading it back.
    Verify,
}

/// Progress: `done` of `total` in the current phase (sectors when erasing, bytes otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The phase.
    pub phase: Phase,
    /// Units done.
    pub done: usize,
    /// Units in the phase.
    pub total: usize,
}

/// What a flash did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// Sectors erased.
    pub sectors_erased: usize,
    /// Bytes written (and read back).
    pub bytes_written: usize,
    /// Milliseconds spent waiting on the device's poll timeouts.
    pub waited_ms: u64,
}

/// Why flashing failed.
#[derive(Debug)]
pub enum FlashError<E> {
    /// The USB transfer failed (unplugged, stalled, access denied): see the transport's error.
    Transport(E),
    /// Not an STM32 in DFU mode.
    WrongDevice {
        /// `idVendor` found.
        vendor_id: u16,
        /// `idProduct` found.
        product_id: u16,
    },
    /// The device's flash is not the flash of the board the image was made for.
    WrongFamily {
        /// The image's board.
        board: &'static str,
        /// The image's chip.
        chip: &'static str,
        /// Flash bytes the image's board has.
        expected: u64,
        /// The device's layout string.
        found: alloc::string::String,
    },
    /// The layout string cannot be read.
    BadLayout(&'static str),
    /// The device reported an error status.
    Device {
        /// What was being done.
        during: &'static str,
        /// At which address.
        address: u32,
        /// `bStatus`.
        status: u8,
    },
    /// The device answered with a state the protocol does not allow here.
    UnexpectedState {
        /// What was being done.
        during: &'static str,
        /// `bState`.
        state: u8,
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
                "the device is {vendor_id:04x}:{product_id:04x}, not an STM32 in DFU mode \
                 (0483:df11): hold BOOT0 high while resetting the board"
            ),
            FlashError::WrongFamily {
                board,
                chip,
                expected,
                found,
            } => write!(
                f,
                "this image is for {board} ({chip}, {} KB flash) but the device's flash is \
                 \"{found}\": choose the board you have",
                expected / 1024
            ),
            FlashError::BadLayout(what) => write!(f, "the device's memory layout: {what}"),
            FlashError::Device {
                during,
                address,
                status: code,
            } => write!(
                f,
                "the device reported {} while {during} at 0x{address:08x}",
                status::name(*code)
            ),
            FlashError::UnexpectedState { during, state } => {
                write!(f, "the device went to DFU state {state} while {during}")
            }
            FlashError::Verify { address } => write!(
                f,
                "reading back differs from the image at 0x{address:08x}: flash again"
            ),
        }
    }
}

/// Most `GETSTATUS` polls for one block before giving up (a device stuck busy).
const MAX_POLLS: usize = 10_000;

/// One DFU session over a transport.
struct Session<'t, T: Transport> {
    t: &'t mut T,
    waited_ms: u64,
}

impl<T: Transport> Session<'_, T> {
    async fn status(&mut self) -> Result<Status, FlashError<T::Error>> {
        let mut b = [0u8; 6];
        self.t.control_in(request::GETSTATUS, 0, &mut b).await?;
        Ok(Status::from_bytes(&b))
    }

    /// Brings the device to `dfuIDLE` from wherever an earlier session left it.
    async fn make_idle(&mut self) -> Result<(), FlashError<T::Error>> {
        let s = self.status().await?;
        if s.state == State::Error as u8 {
            self.t.control_out(request::CLRSTATUS, 0, &[]).await?;
        } else if s.state != State::DfuIdle as u8 {
            self.t.control_out(request::ABORT, 0, &[]).await?;
        }
        let s = self.status().await?;
        if s.state != State::DfuIdle as u8 {
            return Err(FlashError::UnexpectedState {
                during: "getting ready",
                state: s.state,
            });
        }
        Ok(())
    }

    /// Sends a block and polls until the device has done it.
    async fn download(
        &mut self,
        block: u16,
        data: &[u8],
        during: &'static str,
        address: u32,
    ) -> Result<(), FlashError<T::Error>> {
        self.t.control_out(request::DNLOAD, block, data).await?;
        for _ in 0..MAX_POLLS {
            let s = self.status().await?;
            match State::from_u8(s.state) {
                Some(State::DnBusy) => {
                    self.waited_ms += s.poll_timeout_ms as u64;
                    self.t.sleep_ms(s.poll_timeout_ms).await;
                }
                Some(State::DnloadIdle) if s.status == status::OK => return Ok(()),
                Some(State::Error) => {
                    // Leave the device clean for a retry, then report.
                    let _ = self.t.control_out(request::CLRSTATUS, 0, &[]).await;
                    return Err(FlashError::Device {
                        during,
                        address,
                        status: s.status,
                    });
                }
                _ => {
                    return Err(FlashError::UnexpectedState {
                        during,
                        state: s.state,
                    })
                }
            }
        }
        Err(FlashError::UnexpectedState {
            during,
            state: State::DnBusy as u8,
        })
    }

    async fn command(
        &mut self,
        code: u8,
        address: u32,
        during: &'static str,
    ) -> Result<(), FlashError<T::Error>> {
        let a = address.to_le_bytes();
        self.download(0, &[code, a[0], a[1], a[2], a[3]], during, address)
            .await
    }
}

/// Flashes `image` onto the device behind `transport`: checks that the device is an STM32 in
/// DFU mode whose flash is the image's board's, erases only the sectors the image touches,
/// writes, reads back and compares, then leaves DFU mode (the board resets into the image).
///
/// On any error the device is left in `dfuIDLE` or `dfuERROR` (which the next attempt clears),
/// never half-way through a request: flashing again from the start is always the way out.
pub async fn flash<T: Transport>(
    transport: &mut T,
    device: &DeviceInfo<'_>,
    image: &FlashImage,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, FlashError<T::Error>> {
    if (device.vendor_id, device.product_id)
        != (crate::format::dfuse::ST_VID, crate::format::dfuse::DFU_PID)
    {
        return Err(FlashError::WrongDevice {
            vendor_id: device.vendor_id,
            product_id: device.product_id,
        });
    }
    let layout = MemoryLayout::parse(device.flash_layout).map_err(FlashError::BadLayout)?;
    let board = image.board;
    let same_sectors = layout
        .sectors()
        .map(|(a, n, _)| (a, n))
        .eq(board.sector_list());
    if !same_sectors {
        return Err(FlashError::WrongFamily {
            board: board.name,
            chip: board.chip,
            expected: board.flash_bytes as u64,
            found: device.flash_layout.into(),
        });
    }
    let transfer = device.transfer_size.max(1) as usize;
    // Block numbers are 16 bits and start at 2: a tiny wTransferSize could not address a
    // whole segment.
    if image
        .segments
        .iter()
        .any(|s| s.data.len().div_ceil(transfer) > u16::MAX as usize - 2)
    {
        return Err(FlashError::BadLayout(
            "wTransferSize is too small to address the image in 16-bit blocks",
        ));
    }
    let mut session = Session {
        t: transport,
        waited_ms: 0,
    };
    session.make_idle().await?;

    let sectors = image.sectors_touched();
    for (i, &(address, _)) in sectors.iter().enumerate() {
        progress(Progress {
            phase: Phase::Erase,
            done: i,
            total: sectors.len(),
        });
        match layout.sector_at(address) {
            Some((_, _, run)) if run.erasable() && run.writable() => {}
            _ => {
                return Err(FlashError::Device {
                    during: "checking the layout",
                    address,
                    status: status::ERR_TARGET,
                })
            }
        }
        session.command(command::ERASE, address, "erasing").await?;
    }

    let total: usize = image.segments.iter().map(|s| s.data.len()).sum();
    let mut done = 0;
    for segment in &image.segments {
        session
            .command(command::SET_ADDRESS, segment.address, "setting the address")
            .await?;
        for (i, chunk) in segment.data.chunks(transfer).enumerate() {
            progress(Progress {
                phase: Phase::Write,
                done,
                total,
            });
            let address = segment.address + (i * transfer) as u32;
            session
                .download(2 + i as u16, chunk, "writing", address)
                .await?;
            done += chunk.len();
        }
    }

    let mut done = 0;
    let mut buf = vec![0u8; transfer];
    for segment in &image.segments {
        session
            .command(command::SET_ADDRESS, segment.address, "setting the address")
            .await?;
        session.t.control_out(request::ABORT, 0, &[]).await?;
        for (i, chunk) in segment.data.chunks(transfer).enumerate() {
            progress(Progress {
                phase: Phase::Verify,
                done,
                total,
            });
            let got = session
                .t
                .control_in(request::UPLOAD, 2 + i as u16, &mut buf[..chunk.len()])
                .await?;
            let address = segment.address + (i * transfer) as u32;
            if let Some(k) = (0..chunk.len()).find(|&k| k >= got || buf[k] != chunk[k]) {
                let _ = session.t.control_out(request::ABORT, 0, &[]).await;
                return Err(FlashError::Verify {
                    address: address + k as u32,
                });
            }
            done += chunk.len();
        }
        session.t.control_out(request::ABORT, 0, &[]).await?;
    }
    progress(Progress {
        phase: Phase::Verify,
        done: total,
        total,
    });

    // Leave DFU: point at the vector table, send an empty block; the device resets into the
    // image, so the last status may never come back.
    session
        .command(
            command::SET_ADDRESS,
            board.flash_origin,
            "setting the address",
        )
        .await?;
    session.t.control_out(request::DNLOAD, 0, &[]).await?;
    let _ = session.status().await;
    Ok(Report {
        sectors_erased: sectors.len(),
        bytes_written: total,
        waited_ms: session.waited_ms,
    })
}

/// Runs a future that never waits on anything outside itself (the simulated device): polls it
/// with a no-op waker until it is ready. For tests and the command-line simulator.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = core::pin::pin!(future);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    loop {
        if let core::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
