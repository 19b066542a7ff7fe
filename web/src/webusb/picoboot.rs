//! PICOBOOT over WebUSB: the page's [`Transport`] for `tinyml_deploy::picoboot::flash`, and
//! opening the RP2040 boot ROM (USB 2e8a:0003) the way picotool does: open, select the
//! configuration, find the vendor-specific interface (class 0xFF) with one bulk OUT and one
//! bulk IN endpoint, claim it. The RPI-RP2 drive's mass-storage interface beside it stays with
//! the operating system.
//!
//! Errors are the DFU path's [`UsbError`]s, told in the Pico's terms ([`PicoError`]): hold
//! BOOTSEL, the udev rule for 2e8a:0003, the .uf2 as the way without WebUSB.

use std::fmt;

use js_sys::{Object, Uint8Array};
use tinyml_deploy::picoboot::{DeviceInfo, Transport, LINUX_UDEV_RULE, RP2040_BOOT_PID, RPI_VID};
use wasm_bindgen::{JsCast, JsValue};

use super::bindings::{self, UsbDevice, UsbOutTransferResult};
use super::{check, dictionary, in_bytes, navigator_usb, wait, UsbError};

/// USB's vendor-specific interface class: PICOBOOT's.
const VENDOR_CLASS: u8 = 0xFF;

/// A [`UsbError`] about the Pico, for people.
#[derive(Clone, Debug, PartialEq)]
pub struct PicoError(pub UsbError);

impl fmt::Display for PicoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            UsbError::NoWebUsb => write!(
                f,
                "This browser has no WebUSB. Use Chrome, Edge or Opera on a computer (the page \
                 must come from https or localhost), or download the .uf2 file and drop it onto \
                 the RPI-RP2 drive"
            ),
            UsbError::NoDeviceChosen => write!(
                f,
                "No device was chosen. Hold BOOTSEL while plugging the Pico in, click Flash and \
                 pick \"RP2 Boot\""
            ),
            UsbError::AccessDenied => write!(
                f,
                "Access to the device was denied. On Linux, let your user open the RP2040 boot \
                 ROM with this udev rule in /etc/udev/rules.d/60-rp2040-bootrom.rules, then run \
                 sudo udevadm control --reload and plug the Pico in again with BOOTSEL held:"
            ),
            UsbError::Disconnected => write!(
                f,
                "The Pico was disconnected while flashing: its image is incomplete, but the boot \
                 ROM cannot be harmed. Nothing is left open; plug it in again with BOOTSEL held \
                 and click Flash again"
            ),
            other => write!(f, "{other}"),
        }
    }
}

impl PicoError {
    /// Extra text to show verbatim after the message (the udev rule for access denied).
    pub fn detail(&self) -> Option<&'static str> {
        (self.0 == UsbError::AccessDenied).then_some(LINUX_UDEV_RULE)
    }
}

impl From<UsbError> for PicoError {
    fn from(e: UsbError) -> Self {
        PicoError(e)
    }
}

/// The claimed PICOBOOT interface of an RP2040 boot ROM.
pub struct Picoboot {
    device: UsbDevice,
    interface: u8,
    endpoint_out: u8,
    endpoint_in: u8,
    claimed: bool,
}

impl Picoboot {
    /// Asks the user for the boot ROM (the browser's chooser, filtered to 2e8a:0003), then
    /// opens it and claims its PICOBOOT interface. Call from a click: browsers only show the
    /// chooser after a user gesture.
    pub async fn request() -> Result<Picoboot, PicoError> {
        let usb = navigator_usb()?;
        let filter = dictionary(&[
            ("vendorId", RPI_VID.into()),
            ("productId", RP2040_BOOT_PID.into()),
        ]);
        let options = dictionary(&[("filters", js_sys::Array::of1(&filter).into())]);
        let device: UsbDevice = wait(usb.request_device(&options), false).await?;
        let mut pico = Picoboot {
            device,
            interface: 0,
            endpoint_out: 0,
            endpoint_in: 0,
            claimed: false,
        };
        match pico.open().await {
            Ok(()) => Ok(pico),
            Err(e) => {
                pico.close().await;
                Err(PicoError(e))
            }
        }
    }

    async fn open(&mut self) -> Result<(), UsbError> {
        wait::<JsValue>(self.device.open(), false).await?;
        if self.device.configuration().is_none() {
            wait::<JsValue>(self.device.select_configuration(1), true).await?;
        }
        let config = self
            .device
            .configuration()
            .ok_or_else(|| UsbError::Other("the device has no configuration".into()))?;
        let mut found = None;
        for interface in config.interfaces().iter() {
            let interface: bindings::UsbInterface = interface.unchecked_into();
            // PICOBOOT has no alternate settings: the first is the interface.
            let alt = interface.alternates().get(0);
            if alt.is_undefined() {
                continue;
            }
            let alt: bindings::UsbAlternateInterface = alt.unchecked_into();
            if alt.interface_class() != VENDOR_CLASS {
                continue;
            }
            let (mut out, mut inn) = (None, None);
            for ep in alt.endpoints().iter() {
                let ep: bindings::UsbEndpoint = ep.unchecked_into();
                if ep.kind() != "bulk" {
                    continue;
                }
                match ep.direction().as_str() {
                    "out" => out = out.or(Some(ep.endpoint_number())),
                    "in" => inn = inn.or(Some(ep.endpoint_number())),
                    _ => {}
                }
            }
            if let (Some(out), Some(inn), None) = (out, inn, found) {
                found = Some((interface.interface_number(), out, inn));
            }
        }
        let Some((interface, out, inn)) = found else {
            return Err(UsbError::NotTheBootloader(
                "the device has no PICOBOOT interface (vendor class, a bulk OUT and a bulk IN \
                 endpoint): it is not an RP2040 boot ROM. Hold BOOTSEL while plugging the Pico \
                 in"
                .into(),
            ));
        };
        wait::<JsValue>(self.device.claim_interface(interface), false).await?;
        self.interface = interface;
        self.endpoint_out = out;
        self.endpoint_in = inn;
        self.claimed = true;
        Ok(())
    }

    /// What `flash` checks before touching the device.
    pub fn info(&self) -> DeviceInfo {
        DeviceInfo {
            vendor_id: self.device.vendor_id(),
            product_id: self.device.product_id(),
        }
    }

    /// Releases the interface and closes the device, ignoring errors (it may be gone, or
    /// rebooted into the image).
    pub async fn close(&mut self) {
        if self.claimed {
            let _ = wait::<JsValue>(self.device.release_interface(self.interface), true).await;
            self.claimed = false;
        }
        if self.device.opened() {
            let _ = wait::<JsValue>(self.device.close(), true).await;
        }
    }

    /// A vendor request to the PICOBOOT interface.
    fn setup(&self, request: u8) -> Object {
        dictionary(&[
            ("requestType", "vendor".into()),
            ("recipient", "interface".into()),
            ("request", request.into()),
            ("value", 0.into()),
            ("index", self.interface.into()),
        ])
    }
}

impl Transport for Picoboot {
    type Error = PicoError;

    async fn bulk_out(&mut self, data: &[u8]) -> Result<(), PicoError> {
        // A copy, not a view of wasm memory that could move before the browser reads it.
        let data = Uint8Array::from(data);
        let promise = self.device.transfer_out(self.endpoint_out, &data);
        let result: UsbOutTransferResult = wait(promise, true).await?;
        Ok(check(&result.out_status())?)
    }

    async fn bulk_in(&mut self, buf: &mut [u8]) -> Result<usize, PicoError> {
        let promise = self.device.transfer_in(self.endpoint_in, buf.len() as u32);
        let got = in_bytes(wait(promise, true).await?)?;
        let n = got.len().min(buf.len());
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }

    async fn control_out(&mut self, req: u8) -> Result<(), PicoError> {
        let promise = self
            .device
            .control_transfer_out(&self.setup(req), &Uint8Array::new_with_length(0));
        let result: UsbOutTransferResult = wait(promise, true).await?;
        Ok(check(&result.out_status())?)
    }

    async fn control_in(&mut self, req: u8, buf: &mut [u8]) -> Result<usize, PicoError> {
        let length = u16::try_from(buf.len()).unwrap_or(u16::MAX);
        let promise = self.device.control_transfer_in(&self.setup(req), length);
        let got = in_bytes(wait(promise, true).await?)?;
        let n = got.len().min(buf.len());
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }

    async fn clear_halt(&mut self, endpoint_in: bool) -> Result<(), PicoError> {
        let (direction, endpoint) = if endpoint_in {
            ("in", self.endpoint_in)
        } else {
            ("out", self.endpoint_out)
        };
        wait::<JsValue>(self.device.clear_halt(direction, endpoint), true).await?;
        Ok(())
    }
}
