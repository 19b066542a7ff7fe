//! Flashing over WebUSB: the page's [`Transport`] for `tinyml_deploy::dfuse::flash`, and
//! opening the STM32 ROM bootloader (USB 0483:df11) the way dfu-util does: open, select the
//! configuration, claim the DFU interface, select the alternate setting whose memory-layout
//! string names the internal flash (the browser's `interfaceName`, or the string descriptor
//! read here), and read `wTransferSize` from the DFU functional descriptor.
//!
//! The WebUSB calls are declared here ([`bindings`]) rather than taken from web-sys, whose
//! WebUSB needs `--cfg=web_sys_unstable_apis`: that flag also changes web-sys's stable
//! signatures (`getImageData` takes `i32`s under it), which the demo pages rely on.
//!
//! Every failure becomes a [`UsbError`] with a plain message; whatever was opened is released
//! and closed again ([`Dfu::close`]) so that the next attempt starts clean.

use std::fmt;

use js_sys::{Object, Promise, Reflect, Uint8Array};
use tinyml_deploy::dfuse::layout::MemoryLayout;
use tinyml_deploy::dfuse::{DeviceInfo, Transport, LINUX_UDEV_RULE};
use tinyml_deploy::format::dfuse::{DFU_PID, ST_VID};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::DomException;

use bindings::{UsbDevice, UsbInTransferResult, UsbOutTransferResult};

use crate::usb_descriptors;

pub mod picoboot;

/// USB's interface class for application-specific interfaces, subclass DFU.
const DFU_CLASS: u8 = 0xFE;
const DFU_SUBCLASS: u8 = 0x01;
/// The name that starts the internal flash's layout string on every STM32 bootloader.
const INTERNAL_FLASH: &str = "@Internal Flash";

/// Why talking to the board failed, for people.
#[derive(Clone, Debug, PartialEq)]
pub enum UsbError {
    /// `navigator.usb` does not exist.
    NoWebUsb,
    /// The chooser was closed without a device.
    NoDeviceChosen,
    /// The operating system refused to open the device.
    AccessDenied,
    /// The device went away (unplugged, or reset).
    Disconnected,
    /// The device stalled a request.
    Stall,
    /// The device is not an STM32 bootloader with an internal flash layout.
    NotTheBootloader(String),
    /// Anything else the browser reported.
    Other(String),
}

impl fmt::Display for UsbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsbError::NoWebUsb => write!(
                f,
                "This browser has no WebUSB. Use Chrome, Edge or Opera on a computer (the page \
                 must come from https or localhost), or download the .dfu file and flash it \
                 with dfu-util -a 0 -D FILE.dfu"
            ),
            UsbError::NoDeviceChosen => write!(
                f,
                "No device was chosen. Put the board in DFU mode (BOOT0 high, then reset or \
                 plug it in), click Flash and pick \"STM32 BOOTLOADER\""
            ),
            UsbError::AccessDenied => write!(
                f,
                "Access to the device was denied. On Linux, let your user open the STM32 \
                 bootloader with this udev rule in /etc/udev/rules.d/50-stm32-dfu.rules, then \
                 run sudo udevadm control --reload and plug the board in again:"
            ),
            UsbError::Disconnected => write!(
                f,
                "The board was disconnected while flashing: its image is incomplete, but the \
                 ROM bootloader cannot be harmed. Nothing is left open; plug the board in again \
                 in DFU mode and click Flash again"
            ),
            UsbError::Stall => write!(f, "the device stalled a request"),
            UsbError::NotTheBootloader(what) => write!(f, "{what}"),
            UsbError::Other(what) => write!(f, "WebUSB: {what}"),
        }
    }
}

impl UsbError {
    /// Extra text to show verbatim after the message (the udev rule for access denied).
    pub fn detail(&self) -> Option<&'static str> {
        (*self == UsbError::AccessDenied).then_some(LINUX_UDEV_RULE)
    }
}

/// Reads a rejected promise's DOMException into an error.
fn js_error(e: JsValue, during_transfer: bool) -> UsbError {
    let (name, message) = match e.dyn_ref::<DomException>() {
        Some(d) => (d.name(), d.message()),
        None => (
            String::new(),
            e.as_string().unwrap_or_else(|| format!("{e:?}")),
        ),
    };
    match name.as_str() {
        "NotFoundError" if !during_transfer => UsbError::NoDeviceChosen,
        "SecurityError" => UsbError::AccessDenied,
        "NotFoundError" | "NetworkError" => UsbError::Disconnected,
        _ if message.is_empty() => UsbError::Other(name),
        _ => UsbError::Other(format!("{name}: {message}")),
    }
}

/// Awaits a WebUSB promise, reading a rejection into a [`UsbError`].
async fn wait<T: JsCast>(p: Promise, during_transfer: bool) -> Result<T, UsbError> {
    JsFuture::from(p)
        .await
        .map(JsCast::unchecked_into)
        .map_err(|e| js_error(e, during_transfer))
}

/// `navigator.usb`, if this browser has WebUSB.
fn navigator_usb() -> Result<bindings::Usb, UsbError> {
    let navigator = web_sys::window().ok_or(UsbError::NoWebUsb)?.navigator();
    Ok(Reflect::get(&navigator, &JsValue::from_str("usb"))
        .ok()
        .filter(|u| !u.is_undefined() && !u.is_null())
        .ok_or(UsbError::NoWebUsb)?
        .unchecked_into::<bindings::Usb>())
}

/// `{key: value, ...}` for a WebUSB dictionary argument.
fn dictionary(entries: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&o, &JsValue::from_str(key), value);
    }
    o
}

/// The part of WebUSB (<https://wicg.github.io/webusb/>) that DFU and PICOBOOT need, as Chrome
/// ships it.
mod bindings {
    use js_sys::{Array, DataView, Object, Promise, Uint8Array};
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    extern "C" {
        /// `navigator.usb`.
        pub type Usb;
        #[wasm_bindgen(method, js_name = requestDevice)]
        pub fn request_device(this: &Usb, options: &Object) -> Promise;

        /// A `USBDevice`.
        pub type UsbDevice;
        #[wasm_bindgen(method, getter, js_name = vendorId)]
        pub fn vendor_id(this: &UsbDevice) -> u16;
        #[wasm_bindgen(method, getter, js_name = productId)]
        pub fn product_id(this: &UsbDevice) -> u16;
        #[wasm_bindgen(method, getter)]
        pub fn opened(this: &UsbDevice) -> bool;
        #[wasm_bindgen(method, getter)]
        pub fn configuration(this: &UsbDevice) -> Option<UsbConfiguration>;
        #[wasm_bindgen(method)]
        pub fn open(this: &UsbDevice) -> Promise;
        #[wasm_bindgen(method)]
        pub fn close(this: &UsbDevice) -> Promise;
        #[wasm_bindgen(method, js_name = selectConfiguration)]
        pub fn select_configuration(this: &UsbDevice, value: u8) -> Promise;
        #[wasm_bindgen(method, js_name = claimInterface)]
        pub fn claim_interface(this: &UsbDevice, number: u8) -> Promise;
        #[wasm_bindgen(method, js_name = releaseInterface)]
        pub fn release_interface(this: &UsbDevice, number: u8) -> Promise;
        #[wasm_bindgen(method, js_name = selectAlternateInterface)]
        pub fn select_alternate_interface(this: &UsbDevice, number: u8, alternate: u8) -> Promise;
        #[wasm_bindgen(method, js_name = controlTransferIn)]
        pub fn control_transfer_in(this: &UsbDevice, setup: &Object, length: u16) -> Promise;
        #[wasm_bindgen(method, js_name = controlTransferOut)]
        pub fn control_transfer_out(this: &UsbDevice, setup: &Object, data: &Uint8Array)
            -> Promise;
        #[wasm_bindgen(method, js_name = transferOut)]
        pub fn transfer_out(this: &UsbDevice, endpoint: u8, data: &Uint8Array) -> Promise;
        #[wasm_bindgen(method, js_name = transferIn)]
        pub fn transfer_in(this: &UsbDevice, endpoint: u8, length: u32) -> Promise;
        #[wasm_bindgen(method, js_name = clearHalt)]
        pub fn clear_halt(this: &UsbDevice, direction: &str, endpoint: u8) -> Promise;

        /// A `USBConfiguration`.
        pub type UsbConfiguration;
        #[wasm_bindgen(method, getter)]
        pub fn interfaces(this: &UsbConfiguration) -> Array;

        /// A `USBInterface`.
        pub type UsbInterface;
        #[wasm_bindgen(method, getter, js_name = interfaceNumber)]
        pub fn interface_number(this: &UsbInterface) -> u8;
        #[wasm_bindgen(method, getter)]
        pub fn alternates(this: &UsbInterface) -> Array;

        /// A `USBAlternateInterface`.
        pub type UsbAlternateInterface;
        #[wasm_bindgen(method, getter, js_name = alternateSetting)]
        pub fn alternate_setting(this: &UsbAlternateInterface) -> u8;
        #[wasm_bindgen(method, getter, js_name = interfaceClass)]
        pub fn interface_class(this: &UsbAlternateInterface) -> u8;
        #[wasm_bindgen(method, getter, js_name = interfaceSubclass)]
        pub fn interface_subclass(this: &UsbAlternateInterface) -> u8;
        #[wasm_bindgen(method, getter, js_name = interfaceName)]
        pub fn interface_name(this: &UsbAlternateInterface) -> Option<String>;
        #[wasm_bindgen(method, getter)]
        pub fn endpoints(this: &UsbAlternateInterface) -> Array;

        /// A `USBEndpoint`.
        pub type UsbEndpoint;
        #[wasm_bindgen(method, getter, js_name = endpointNumber)]
        pub fn endpoint_number(this: &UsbEndpoint) -> u8;
        /// `"in"` or `"out"`.
        #[wasm_bindgen(method, getter)]
        pub fn direction(this: &UsbEndpoint) -> String;
        /// `"bulk"`, `"interrupt"` or `"isochronous"`.
        #[wasm_bindgen(method, getter, js_name = type)]
        pub fn kind(this: &UsbEndpoint) -> String;

        /// A `USBInTransferResult`.
        pub type UsbInTransferResult;
        #[wasm_bindgen(method, getter)]
        pub fn status(this: &UsbInTransferResult) -> String;
        #[wasm_bindgen(method, getter)]
        pub fn data(this: &UsbInTransferResult) -> Option<DataView>;

        /// A `USBOutTransferResult`.
        pub type UsbOutTransferResult;
        #[wasm_bindgen(method, getter, js_name = status)]
        pub fn out_status(this: &UsbOutTransferResult) -> String;
    }
}

/// An open DFU interface of the STM32 bootloader.
pub struct Dfu {
    device: UsbDevice,
    interface: u8,
    claimed: bool,
    /// `wTransferSize`.
    pub transfer_size: u16,
    /// The internal flash's layout string.
    pub layout: String,
}

impl Dfu {
    /// Asks the user for the bootloader (the browser's chooser, filtered to 0483:df11), then
    /// opens it. Call from a click: browsers only show the chooser after a user gesture.
    pub async fn request() -> Result<Dfu, UsbError> {
        let usb = navigator_usb()?;
        let filter = dictionary(&[("vendorId", ST_VID.into()), ("productId", DFU_PID.into())]);
        let filters = js_sys::Array::of1(&filter);
        let options = dictionary(&[("filters", filters.into())]);
        let device: UsbDevice = wait(usb.request_device(&options), false).await?;
        let mut dfu = Dfu {
            device,
            interface: 0,
            claimed: false,
            transfer_size: 0,
            layout: String::new(),
        };
        match dfu.open().await {
            Ok(()) => Ok(dfu),
            Err(e) => {
                dfu.close().await;
                Err(e)
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
        let descriptor = self.configuration_descriptor().await?;
        let mut found = None;
        let mut names = Vec::new();
        for interface in config.interfaces().iter() {
            let interface: bindings::UsbInterface = interface.unchecked_into();
            for alt in interface.alternates().iter() {
                let alt: bindings::UsbAlternateInterface = alt.unchecked_into();
                if alt.interface_class() != DFU_CLASS || alt.interface_subclass() != DFU_SUBCLASS {
                    continue;
                }
                let (number, setting) = (interface.interface_number(), alt.alternate_setting());
                // Browsers fill interfaceName from the string descriptor; where one does not,
                // read the string ourselves.
                let name = match alt.interface_name() {
                    Some(name) => name,
                    None => match usb_descriptors::interface_string(&descriptor, number, setting) {
                        Some(index) => self.string(index).await?,
                        None => String::new(),
                    },
                };
                if found.is_none() && name.starts_with(INTERNAL_FLASH) {
                    found = Some((number, setting, name));
                } else {
                    names.push(name);
                }
            }
        }
        let Some((interface, alternate, layout)) = found else {
            return Err(UsbError::NotTheBootloader(if names.is_empty() {
                "the device has no DFU interface: it is not an STM32 in DFU mode".into()
            } else {
                format!(
                    "the device's DFU memories are {}: none is an STM32's internal flash",
                    names.join(", ")
                )
            }));
        };
        MemoryLayout::parse(&layout).map_err(|e| {
            UsbError::NotTheBootloader(format!("the device's flash layout \"{layout}\": {e}"))
        })?;
        self.transfer_size = usb_descriptors::transfer_size(&descriptor).ok_or_else(|| {
            UsbError::NotTheBootloader("the device has no DFU functional descriptor".into())
        })?;
        wait::<JsValue>(self.device.claim_interface(interface), false).await?;
        self.interface = interface;
        self.claimed = true;
        wait::<JsValue>(
            self.device.select_alternate_interface(interface, alternate),
            true,
        )
        .await?;
        self.layout = layout;
        Ok(())
    }

    /// A standard GET_DESCRIPTOR request to the device.
    async fn descriptor(&self, value: u16, index: u16, length: u16) -> Result<Vec<u8>, UsbError> {
        let setup = dictionary(&[
            ("requestType", "standard".into()),
            ("recipient", "device".into()),
            ("request", 6.into()), // GET_DESCRIPTOR
            ("value", value.into()),
            ("index", index.into()),
        ]);
        in_bytes(wait(self.device.control_transfer_in(&setup, length), true).await?)
    }

    /// The whole configuration descriptor (its first 9 bytes give the total length).
    async fn configuration_descriptor(&self) -> Result<Vec<u8>, UsbError> {
        let head = self.descriptor(0x0200, 0, 9).await?;
        let total = match head.get(2..4) {
            Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
            _ => return Err(UsbError::Other("a short configuration descriptor".into())),
        };
        self.descriptor(0x0200, 0, total).await
    }

    /// String descriptor `index` in US English.
    async fn string(&self, index: u8) -> Result<String, UsbError> {
        let bytes = self.descriptor(0x0300 | index as u16, 0x0409, 255).await?;
        usb_descriptors::string_text(&bytes)
            .ok_or_else(|| UsbError::Other(format!("string descriptor {index} is malformed")))
    }

    /// What `flash` checks before touching the device.
    pub fn info(&self) -> DeviceInfo<'_> {
        DeviceInfo {
            vendor_id: self.device.vendor_id(),
            product_id: self.device.product_id(),
            transfer_size: self.transfer_size,
            flash_layout: &self.layout,
        }
    }

    /// Releases the interface and closes the device, ignoring errors (it may be gone).
    pub async fn close(&mut self) {
        if self.claimed {
            let _ = wait::<JsValue>(self.device.release_interface(self.interface), true).await;
            self.claimed = false;
        }
        if self.device.opened() {
            let _ = wait::<JsValue>(self.device.close(), true).await;
        }
    }

    /// A DFU class request to the claimed interface.
    fn setup(&self, request: u8, value: u16) -> Object {
        dictionary(&[
            ("requestType", "class".into()),
            ("recipient", "interface".into()),
            ("request", request.into()),
            ("value", value.into()),
            ("index", self.interface.into()),
        ])
    }
}

fn in_bytes(result: UsbInTransferResult) -> Result<Vec<u8>, UsbError> {
    check(&result.status())?;
    Ok(result.data().map_or_else(Vec::new, |view| {
        Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset() as u32,
            view.byte_length() as u32,
        )
        .to_vec()
    }))
}

/// A transfer's `status`: `ok`, `stall` or `babble`.
fn check(status: &str) -> Result<(), UsbError> {
    match status {
        "ok" => Ok(()),
        "stall" => Err(UsbError::Stall),
        other => Err(UsbError::Other(format!("transfer status {other}"))),
    }
}

impl Transport for Dfu {
    type Error = UsbError;

    async fn control_out(&mut self, request: u8, value: u16, data: &[u8]) -> Result<(), UsbError> {
        // A copy, not a view of wasm memory that could move before the browser reads it.
        let data = Uint8Array::from(data);
        let promise = self
            .device
            .control_transfer_out(&self.setup(request, value), &data);
        let result: UsbOutTransferResult = wait(promise, true).await?;
        check(&result.out_status())
    }

    async fn control_in(
        &mut self,
        request: u8,
        value: u16,
        buf: &mut [u8],
    ) -> Result<usize, UsbError> {
        let length = u16::try_from(buf.len()).unwrap_or(u16::MAX);
        let promise = self
            .device
            .control_transfer_in(&self.setup(request, value), length);
        let got = in_bytes(wait(promise, true).await?)?;
        let n = got.len().min(buf.len());
        buf[..n].copy_from_slice(&got[..n]);
        Ok(n)
    }

    async fn sleep_ms(&mut self, ms: u32) {
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }
}
