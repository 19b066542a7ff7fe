//! A simulated STM32F4 ROM bootloader in DFU mode: the DfuSe device [`flash`](super::flash)
//! is tested against, and what the page's browser test plays behind a fake `navigator.usb`.
//!
//! It keeps the real chip's sector layout and flash semantics (erase sets a sector to 0xFF;
//! programming can only clear bits, so writing unerased flash reads back wrong), the DFU state
//! machine with ST's DfuSe commands, busy periods with poll timeouts in virtual time (asking
//! for the status too early finds the device still busy), stalls on requests a state does not
//! allow, and can be unplugged after a number of requests.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::layout::MemoryLayout;
use super::{command, request, status, DeviceInfo, State, Status, Transport};

/// Why a simulated transfer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The device stalled the request (and went to `dfuERROR`).
    Stall,
    /// The device is gone: unplugged, or reset after leaving DFU mode.
    Disconnected,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Stall => write!(f, "the device stalled the request"),
            SimError::Disconnected => write!(f, "the device was disconnected"),
        }
    }
}

/// Poll timeouts the STM32F4 bootloader reports, in ms (sector erase scales with its size).
const PROGRAM_MS: u32 = 40;

/// A work item started by `GETSTATUS` in `dfuDNLOAD-SYNC`.
#[derive(Clone, Debug)]
struct Pending {
    block: u16,
    data: Vec<u8>,
}

/// The simulated device.
pub struct SimulatedDevice {
    layout: String,
    sectors: MemoryLayout,
    origin: u32,
    flash: Vec<u8>,
    transfer_size: u16,
    state: State,
    status: u8,
    pointer: u32,
    pending: Option<Pending>,
    /// Result of the work in progress, reported once the device is no longer busy.
    outcome: u8,
    now_ms: u64,
    busy_until_ms: u64,
    requests: usize,
    unplug_after: Option<usize>,
    connected: bool,
    /// Sectors erased so far, by address, in order.
    pub erased: Vec<u32>,
    /// Where the device jumped when it left DFU mode.
    pub left_to: Option<u32>,
    /// Addresses that erasing cannot set (see `wear_out`).
    worn: Vec<u32>,
}

/// The STM32F405/F407 bootloader's alternate setting 0.
pub const LAYOUT_STM32F405: &str = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";
/// The STM32F411xE bootloader's alternate setting 0.
pub const LAYOUT_STM32F411: &str = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg";

impl SimulatedDevice {
    /// A device with this flash layout, its flash filled with `fill` (an earlier firmware).
    pub fn new(layout: &str, fill: u8) -> Result<SimulatedDevice, &'static str> {
        let sectors = MemoryLayout::parse(layout)?;
        let origin = sectors.runs[0].address;
        let bytes = usize::try_from(sectors.bytes()).map_err(|_| "layout too large")?;
        if bytes > 16 << 20 {
            return Err("a simulated flash of more than 16 MB");
        }
        Ok(SimulatedDevice {
            layout: layout.into(),
            sectors,
            origin,
            flash: vec![fill; bytes],
            transfer_size: 2048,
            state: State::DfuIdle,
            status: status::OK,
            pointer: origin,
            pending: None,
            outcome: status::OK,
            now_ms: 0,
            busy_until_ms: 0,
            requests: 0,
            unplug_after: None,
            connected: true,
            erased: Vec::new(),
            left_to: None,
            worn: Vec::new(),
        })
    }

    /// An STM32F405 (Netduino Plus 2) or F407 (Discovery) in DFU mode.
    pub fn stm32f405() -> SimulatedDevice {
        Self::built_in(LAYOUT_STM32F405)
    }

    /// An STM32F411 (Black Pill) in DFU mode.
    pub fn stm32f411() -> SimulatedDevice {
        Self::built_in(LAYOUT_STM32F411)
    }

    /// The device for a board's chip (F405 and F407 share a layout).
    pub fn for_board(board: &crate::board::Board) -> SimulatedDevice {
        if board.flash_bytes == 512 * 1024 {
            Self::stm32f411()
        } else {
            Self::stm32f405()
        }
    }

    fn built_in(layout: &'static str) -> SimulatedDevice {
        match SimulatedDevice::new(layout, 0x5A) {
            Ok(device) => device,
            // The two layouts above parse (tests::built_in_layouts_parse).
            Err(e) => panic!("built-in layout {layout}: {e}"),
        }
    }

    /// Makes the byte at `address` wear out: erasing leaves it 0x00, as a dead flash cell would,
    /// so a write needing a 1 there reads back wrong.
    pub fn wear_out(&mut self, address: u32) {
        self.worn.push(address);
    }

    /// What a host reads from the descriptors.
    pub fn info(&self) -> DeviceInfo<'_> {
        DeviceInfo {
            vendor_id: crate::format::dfuse::ST_VID,
            product_id: crate::format::dfuse::DFU_PID,
            transfer_size: self.transfer_size,
            flash_layout: &self.layout,
        }
    }

    /// The whole flash.
    pub fn flash(&self) -> &[u8] {
        &self.flash
    }

    /// Virtual milliseconds elapsed (the host's waits).
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// Unplugs the device after `n` more requests: later ones fail with `Disconnected`.
    pub fn unplug_after(&mut self, n: usize) {
        self.unplug_after = Some(self.requests + n);
    }

    /// Plugs it back in, in DFU mode again (BOOT0 still high): a fresh USB session, the
    /// flash as it was left.
    pub fn replug(&mut self) {
        self.connected = true;
        self.unplug_after = None;
        self.state = State::DfuIdle;
        self.status = status::OK;
        self.pointer = self.origin;
        self.pending = None;
        self.left_to = None;
    }

    /// Puts the device in `dfuERROR`, as an earlier interrupted session may leave it.
    pub fn force_error(&mut self) {
        self.state = State::Error;
        self.status = status::ERR_STALLEDPKT;
    }

    fn stall(&mut self) -> SimError {
        self.state = State::Error;
        self.status = status::ERR_STALLEDPKT;
        SimError::Stall
    }

    fn enter(&mut self) -> Result<(), SimError> {
        if !self.connected {
            return Err(SimError::Disconnected);
        }
        self.requests += 1;
        if self.unplug_after.is_some_and(|n| self.requests > n) {
            self.connected = false;
            return Err(SimError::Disconnected);
        }
        Ok(())
    }

    fn offset(&self, address: u32, len: usize) -> Option<usize> {
        let at = address.checked_sub(self.origin)? as usize;
        (at.checked_add(len)? <= self.flash.len()).then_some(at)
    }

    /// Does the pending work; returns (status, busy milliseconds).
    fn execute(&mut self, p: Pending) -> (u8, u32) {
        if p.block == 0 {
            let address = match p.data.get(1..5) {
                Some(a) => u32::from_le_bytes([a[0], a[1], a[2], a[3]]),
                None => return (status::ERR_UNKNOWN, 0),
            };
            return match p.data.first().copied() {
                Some(command::SET_ADDRESS) if p.data.len() == 5 => {
                    if self.offset(address, 0).is_none() {
                        return (status::ERR_TARGET, 0);
                    }
                    self.pointer = address;
                    (status::OK, 0)
                }
                Some(command::ERASE) if p.data.len() == 5 => {
                    let Some((start, size, _)) = self.sectors.sector_at(address) else {
                        return (status::ERR_TARGET, 0);
                    };
                    let at = (start - self.origin) as usize;
                    self.flash[at..at + size as usize].fill(0xFF);
                    for &w in &self.worn {
                        if (start..start + size).contains(&w) {
                            self.flash[(w - self.origin) as usize] = 0;
                        }
                    }
                    self.erased.push(start);
                    // About 16 ms a KB, like the F4's typical sector erase times.
                    (status::OK, size / 64)
                }
                _ => (status::ERR_UNKNOWN, 0),
            };
        }
        if p.block == 1 || p.data.len() > self.transfer_size as usize {
            return (status::ERR_UNKNOWN, 0);
        }
        let address = self.pointer as u64 + (p.block as u64 - 2) * self.transfer_size as u64;
        let Some(at) = u32::try_from(address)
            .ok()
            .and_then(|a| self.offset(a, p.data.len()))
        else {
            return (status::ERR_ADDRESS, 0);
        };
        // Flash programming can only clear bits.
        for (cell, b) in self.flash[at..].iter_mut().zip(&p.data) {
            *cell &= b;
        }
        (status::OK, PROGRAM_MS)
    }
}

impl Transport for SimulatedDevice {
    type Error = SimError;

    async fn control_out(&mut self, req: u8, value: u16, data: &[u8]) -> Result<(), SimError> {
        self.enter()?;
        match (req, self.state) {
            (request::DNLOAD, State::DfuIdle | State::DnloadIdle) if !data.is_empty() => {
                self.pending = Some(Pending {
                    block: value,
                    data: data.to_vec(),
                });
                self.state = State::DnloadSync;
                Ok(())
            }
            (request::DNLOAD, State::DnloadIdle) => {
                self.state = State::ManifestSync;
                Ok(())
            }
            (request::CLRSTATUS, State::Error) => {
                self.state = State::DfuIdle;
                self.status = status::OK;
                Ok(())
            }
            (
                request::ABORT,
                State::DfuIdle | State::DnloadIdle | State::UploadIdle | State::ManifestSync,
            ) => {
                self.state = State::DfuIdle;
                Ok(())
            }
            _ => Err(self.stall()),
        }
    }

    async fn control_in(&mut self, req: u8, value: u16, buf: &mut [u8]) -> Result<usize, SimError> {
        self.enter()?;
        match (req, self.state) {
            (request::GETSTATUS, _) => {
                let mut poll = 0;
                match self.state {
                    State::DnloadSync => {
                        if let Some(p) = self.pending.take() {
                            let (outcome, busy) = self.execute(p);
                            self.outcome = outcome;
                            self.busy_until_ms = self.now_ms + busy as u64;
                            poll = busy;
                        }
                        self.state = State::DnBusy;
                    }
                    State::DnBusy if self.now_ms < self.busy_until_ms => {
                        poll = (self.busy_until_ms - self.now_ms) as u32;
                    }
                    State::DnBusy => {
                        self.status = self.outcome;
                        self.state = if self.outcome == status::OK {
                            State::DnloadIdle
                        } else {
                            State::Error
                        };
                    }
                    State::ManifestSync => {
                        // The bootloader jumps to the address pointer and the USB device goes.
                        self.state = State::Manifest;
                        self.left_to = Some(self.pointer);
                    }
                    _ => {}
                }
                let s = Status {
                    status: self.status,
                    poll_timeout_ms: poll,
                    state: self.state as u8,
                };
                let n = buf.len().min(6);
                buf[..n].copy_from_slice(&s.to_bytes()[..n]);
                if self.state == State::Manifest {
                    self.connected = false;
                }
                Ok(n)
            }
            (request::GETSTATE, _) => {
                if let Some(b) = buf.first_mut() {
                    *b = self.state as u8;
                }
                Ok(buf.len().min(1))
            }
            (request::UPLOAD, State::DfuIdle | State::UploadIdle) if value >= 2 => {
                let address = self.pointer as u64 + (value as u64 - 2) * self.transfer_size as u64;
                let len = buf.len().min(self.transfer_size as usize);
                let Some(at) = u32::try_from(address)
                    .ok()
                    .and_then(|a| self.offset(a, len))
                else {
                    return Err(self.stall());
                };
                buf[..len].copy_from_slice(&self.flash[at..at + len]);
                self.state = State::UploadIdle;
                Ok(len)
            }
            (request::UPLOAD, State::DfuIdle) if value == 0 => {
                let commands = [
                    0x00,
                    command::SET_ADDRESS,
                    command::ERASE,
                    command::READ_UNPROTECT,
                ];
                let n = buf.len().min(commands.len());
                buf[..n].copy_from_slice(&commands[..n]);
                Ok(n)
            }
            _ => Err(self.stall()),
        }
    }

    async fn sleep_ms(&mut self, ms: u32) {
        self.now_ms += ms as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dfuse::block_on;

    #[test]
    fn built_in_layouts_parse() {
        assert_eq!(SimulatedDevice::stm32f405().flash().len(), 1024 * 1024);
        assert_eq!(SimulatedDevice::stm32f411().flash().len(), 512 * 1024);
        assert!(SimulatedDevice::new("@x/0x0/01*016Kz", 0).is_err());
    }

    fn get_status(d: &mut SimulatedDevice) -> Status {
        let mut b = [0u8; 6];
        block_on(d.control_in(request::GETSTATUS, 0, &mut b)).unwrap();
        Status::from_bytes(&b)
    }

    #[test]
    fn busy_until_the_poll_timeout_has_passed() {
        let mut d = SimulatedDevice::stm32f405();
        let erase = [command::ERASE, 0, 0, 0, 0x08];
        block_on(d.control_out(request::DNLOAD, 0, &erase)).unwrap();
        let s = get_status(&mut d);
        assert_eq!((s.state, s.poll_timeout_ms), (State::DnBusy as u8, 256));
        // Asking again at once: still busy, with the time left.
        block_on(d.sleep_ms(100));
        let s = get_status(&mut d);
        assert_eq!((s.state, s.poll_timeout_ms), (State::DnBusy as u8, 156));
        block_on(d.sleep_ms(156));
        assert_eq!(get_status(&mut d).state, State::DnloadIdle as u8);
        assert!(d.flash()[..16 * 1024].iter().all(|&b| b == 0xFF));
        assert_eq!(d.flash()[16 * 1024], 0x5A);
    }

    #[test]
    fn programming_only_clears_bits_and_bad_requests_stall() {
        let mut d = SimulatedDevice::stm32f405();
        // 0x5A & 0x0F without an erase first.
        block_on(d.control_out(request::DNLOAD, 2, &[0x0F])).unwrap();
        get_status(&mut d);
        get_status(&mut d);
        assert_eq!(d.flash()[0], 0x0A);
        // UPLOAD while in dfuDNLOAD-IDLE is not allowed: stall, dfuERROR, CLRSTATUS clears.
        let mut buf = [0u8; 4];
        assert_eq!(
            block_on(d.control_in(request::UPLOAD, 2, &mut buf)),
            Err(SimError::Stall)
        );
        let s = get_status(&mut d);
        assert_eq!(
            (s.state, s.status),
            (State::Error as u8, status::ERR_STALLEDPKT)
        );
        block_on(d.control_out(request::CLRSTATUS, 0, &[])).unwrap();
        assert_eq!(get_status(&mut d).state, State::DfuIdle as u8);
        // An address outside the flash: errTARGET.
        block_on(d.control_out(request::DNLOAD, 0, &[command::SET_ADDRESS, 0, 0, 0, 0x20]))
            .unwrap();
        get_status(&mut d);
        let s = get_status(&mut d);
        assert_eq!(
            (s.state, s.status),
            (State::Error as u8, status::ERR_TARGET)
        );
    }
}
