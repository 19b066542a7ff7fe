//! Writes a DfuSe file through the DfuSe protocol into a simulated STM32F4 bootloader and saves
//! the resulting flash, so that it can be booted under QEMU (firmware/qemu_check.py does):
//!
//! ```sh
//! cargo run -p tinyml-deploy --example dfuse_simulate -- image.dfu netduinoplus2 flash.bin
//! qemu-system-arm -M netduinoplus2 ... -device loader,file=flash.bin,addr=0x08000000
//! ```
//!
//! The simulated flash starts filled with 0x5A (an earlier firmware), so sectors the image does
//! not touch are not erased.
//!
//! `dfuse_simulate --serve` plays the device for another program instead (the page's browser
//! test bridges its fake `navigator.usb` to it), one request per line on stdin, one answer per
//! line on stdout, bytes in hex:
//!
//! ```text
//! device f405|f411|@<layout>   -> ok <wTransferSize> <layout>   (a fresh device, flash 0x5A)
//! out <request> <value> <hex>  -> ok | err stall | err disconnected   (class request, host to device)
//! in <request> <value> <len>   -> ok <hex> | err ...                  (class request, device to host)
//! unplug <n>                   -> ok   (requests after the next n fail: disconnected)
//! replug                       -> ok   (back in DFU mode, flash kept)
//! save <path>                  -> ok   (writes the whole flash)
//! stats                        -> ok erased=<addr,...> left_to=<addr|none>
//! ```
//!
//! Busy periods run on the wall clock here (the host really waits its poll timeouts), as on a
//! real board.
//!
//! `dfuse_simulate --serve --device rp2040` plays the Raspberry Pi Pico's boot ROM instead
//! (PICOBOOT, `tinyml_deploy::picoboot::sim`), with the same line protocol for its transfers:
//!
//! ```text
//! device rp2040|chip <hex4>    -> ok 2e8a 0003   (a fresh Pico in BOOTSEL mode, flash 0x5A; with
//!                                                 `chip`, another ROM magic at 0x10)
//! bulk_out <hex>               -> ok | err stall | err disconnected
//! bulk_in <len>                -> ok <hex> | err ...
//! control_out <request>        -> ok | err ...   (vendor request to the interface)
//! control_in <request> <len>   -> ok <hex> | err ...
//! clear_halt in|out            -> ok | err ...
//! drive on|off                 -> ok   (the OS starts / stops writing the RPI-RP2 drive)
//! unplug <n> / replug / save <path>   as above (save writes the 2 MB flash from 0x10000000)
//! stats                        -> ok erased=<n> first=<addr|none> rebooted=<pc>,<sp>,<ms>|none
//! ```

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Instant;

use tinyml_deploy::board::Board;
use tinyml_deploy::dfuse::sim::SimulatedDevice;
use tinyml_deploy::dfuse::{block_on, flash, Transport};
use tinyml_deploy::format::dfuse;
use tinyml_deploy::image::{FlashImage, Segment};
use tinyml_deploy::picoboot::sim::SimulatedBootRom;
use tinyml_deploy::picoboot::Transport as _;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        let rp2040 = args[1..] == ["--device", "rp2040"];
        if !rp2040 && args.len() > 1 {
            eprintln!("usage: dfuse_simulate --serve [--device rp2040]");
            return ExitCode::FAILURE;
        }
        let served = if rp2040 { serve_picoboot() } else { serve() };
        return match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dfuse_simulate: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let [dfu_path, board, out_path] = &args[..] else {
        eprintln!("usage: dfuse_simulate IMAGE.dfu BOARD FLASH_OUT.bin");
        return ExitCode::FAILURE;
    };
    match simulate(dfu_path, board, out_path) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dfuse_simulate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn simulate(dfu_path: &str, board: &str, out_path: &str) -> Result<String, String> {
    let board = Board::by_name(board).ok_or(format!("unknown board {board}"))?;
    let file = std::fs::read(dfu_path).map_err(|e| format!("{dfu_path}: {e}"))?;
    let elements = dfuse::read(&file).map_err(|e| format!("{dfu_path}: {e}"))?;
    let image = FlashImage {
        board,
        segments: elements
            .into_iter()
            .map(|(address, data)| Segment {
                address,
                data: data.to_vec(),
            })
            .collect(),
    };
    let mut device = SimulatedDevice::for_board(board);
    let info = device.info();
    let layout = info.flash_layout.to_owned();
    let info = tinyml_deploy::dfuse::DeviceInfo {
        flash_layout: &layout,
        ..info
    };
    let report = block_on(flash(&mut device, &info, &image, &mut |_| {}))
        .map_err(|e| format!("flashing the simulated device: {e}"))?;
    std::fs::write(out_path, device.flash()).map_err(|e| format!("{out_path}: {e}"))?;
    Ok(format!(
        "{out_path}: {} sectors erased, {} bytes written and read back, {} ms of poll timeouts, \
         left DFU mode to 0x{:08x}",
        report.sectors_erased,
        report.bytes_written,
        report.waited_ms,
        device.left_to.unwrap_or(0)
    ))
}

/// The `--serve` loop: answers requests from stdin until it closes.
fn serve() -> std::io::Result<()> {
    let mut device = SimulatedDevice::stm32f405();
    let mut clock = Instant::now();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        // The device's busy periods follow the wall clock.
        let elapsed = clock.elapsed().as_millis() as u32;
        if elapsed > 0 {
            block_on(device.sleep_ms(elapsed));
            clock = Instant::now();
        }
        let answer = answer(&mut device, line.trim_end()).unwrap_or_else(|e| format!("err {e}"));
        writeln!(stdout, "{answer}")?;
        stdout.flush()?;
    }
    Ok(())
}

/// One request of the `--serve` protocol (see the module comment).
fn answer(device: &mut SimulatedDevice, line: &str) -> Result<String, String> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let mut words = rest.split(' ');
    let mut number = |what: &str| -> Result<u32, String> {
        let w = words.next().ok_or(format!("{verb}: no {what}"))?;
        w.parse().map_err(|_| format!("{verb}: bad {what} {w:?}"))
    };
    match verb {
        "device" => {
            *device = match rest {
                "f405" => SimulatedDevice::stm32f405(),
                "f411" => SimulatedDevice::stm32f411(),
                layout => SimulatedDevice::new(layout, 0x5A)?,
            };
            let info = device.info();
            Ok(format!("ok {} {}", info.transfer_size, info.flash_layout))
        }
        "out" => {
            let (request, value) = (number("request")?, number("value")?);
            let data = from_hex(words.next().unwrap_or(""))?;
            block_on(device.control_out(request as u8, value as u16, &data))
                .map(|()| "ok".into())
                .map_err(sim_error)
        }
        "in" => {
            let (request, value, len) = (number("request")?, number("value")?, number("length")?);
            let mut buf = vec![0u8; len as usize];
            let n = block_on(device.control_in(request as u8, value as u16, &mut buf))
                .map_err(sim_error)?;
            Ok(format!("ok {}", to_hex(&buf[..n])))
        }
        "unplug" => {
            device.unplug_after(number("count")? as usize);
            Ok("ok".into())
        }
        "replug" => {
            device.replug();
            Ok("ok".into())
        }
        "save" => std::fs::write(rest, device.flash())
            .map(|()| "ok".into())
            .map_err(|e| format!("{rest}: {e}")),
        "stats" => {
            let erased: Vec<String> = device.erased.iter().map(|a| format!("0x{a:08x}")).collect();
            let left = device
                .left_to
                .map_or("none".into(), |a| format!("0x{a:08x}"));
            Ok(format!("ok erased={} left_to={left}", erased.join(",")))
        }
        _ => Err(format!("unknown request {verb:?}")),
    }
}

/// The `--serve --device rp2040` loop: answers PICOBOOT transfers from stdin until it closes.
fn serve_picoboot() -> std::io::Result<()> {
    let mut device = SimulatedBootRom::rp2040();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let answer =
            answer_picoboot(&mut device, line.trim_end()).unwrap_or_else(|e| format!("err {e}"));
        writeln!(stdout, "{answer}")?;
        stdout.flush()?;
    }
    Ok(())
}

/// One request of the PICOBOOT `--serve` protocol (see the module comment).
fn answer_picoboot(device: &mut SimulatedBootRom, line: &str) -> Result<String, String> {
    use tinyml_deploy::picoboot::sim::SimError;
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let mut words = rest.split(' ');
    let mut number = |what: &str| -> Result<u32, String> {
        let w = words.next().ok_or(format!("{verb}: no {what}"))?;
        w.parse().map_err(|_| format!("{verb}: bad {what} {w:?}"))
    };
    let sim = |e: SimError| match e {
        SimError::Stall => "stall".to_string(),
        SimError::Disconnected => "disconnected".to_string(),
    };
    match verb {
        "device" => {
            *device = match rest.split_once(' ') {
                None if rest == "rp2040" => SimulatedBootRom::rp2040(),
                Some(("chip", magic)) => {
                    let m = from_hex(magic)?;
                    let m: [u8; 4] = m.try_into().map_err(|_| "chip: 4 bytes of magic")?;
                    SimulatedBootRom::other_chip(m)
                }
                _ => return Err(format!("unknown device {rest:?}")),
            };
            let info = device.info();
            Ok(format!("ok {:04x} {:04x}", info.vendor_id, info.product_id))
        }
        "bulk_out" => block_on(device.bulk_out(&from_hex(rest)?))
            .map(|()| "ok".into())
            .map_err(sim),
        "bulk_in" => {
            let mut buf = vec![0u8; number("length")? as usize];
            let n = block_on(device.bulk_in(&mut buf)).map_err(sim)?;
            Ok(format!("ok {}", to_hex(&buf[..n])))
        }
        "control_out" => block_on(device.control_out(number("request")? as u8))
            .map(|()| "ok".into())
            .map_err(sim),
        "control_in" => {
            let request = number("request")? as u8;
            let mut buf = vec![0u8; number("length")? as usize];
            let n = block_on(device.control_in(request, &mut buf)).map_err(sim)?;
            Ok(format!("ok {}", to_hex(&buf[..n])))
        }
        "clear_halt" => block_on(device.clear_halt(rest == "in"))
            .map(|()| "ok".into())
            .map_err(sim),
        "drive" => {
            device.set_drive_writing(rest == "on");
            Ok("ok".into())
        }
        "unplug" => {
            device.unplug_after(number("count")? as usize);
            Ok("ok".into())
        }
        "replug" => {
            device.replug();
            Ok("ok".into())
        }
        "save" => std::fs::write(rest, device.flash())
            .map(|()| "ok".into())
            .map_err(|e| format!("{rest}: {e}")),
        "stats" => {
            let first = device
                .erased
                .first()
                .map_or("none".into(), |a| format!("0x{a:08x}"));
            let rebooted = device.rebooted.map_or("none".into(), |(pc, sp, ms)| {
                format!("0x{pc:x},0x{sp:x},{ms}")
            });
            Ok(format!(
                "ok erased={} first={first} rebooted={rebooted}",
                device.erased.len()
            ))
        }
        _ => Err(format!("unknown request {verb:?}")),
    }
}

fn sim_error(e: tinyml_deploy::dfuse::sim::SimError) -> String {
    match e {
        tinyml_deploy::dfuse::sim::SimError::Stall => "stall".into(),
        tinyml_deploy::dfuse::sim::SimError::Disconnected => "disconnected".into(),
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err("odd hex length".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad hex at {i}"))
        })
        .collect()
}
