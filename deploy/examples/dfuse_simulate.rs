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

use std::process::ExitCode;

use tinyml_deploy::board::Board;
use tinyml_deploy::dfuse::sim::SimulatedDevice;
use tinyml_deploy::dfuse::{block_on, flash};
use tinyml_deploy::format::dfuse;
use tinyml_deploy::image::{FlashImage, Segment};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
