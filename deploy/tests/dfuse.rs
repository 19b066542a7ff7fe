//! Flashing through the DfuSe protocol to the simulated STM32F4 bootloader.

use tinyml_deploy::board::{NETDUINOPLUS2, STM32F411_BLACKPILL};
use tinyml_deploy::dfuse::sim::{SimError, SimulatedDevice};
use tinyml_deploy::dfuse::{block_on, flash, FlashError, Phase, Progress, Report};
use tinyml_deploy::image::{FlashImage, Segment};

/// A firmware-like image: code at the flash origin and a slot after it, crossing sectors 1-2.
fn image(board: &'static tinyml_deploy::board::Board) -> FlashImage {
    let code: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let slot: Vec<u8> = (0..30_000u32).map(|i| (i * 13 + 1) as u8).collect();
    FlashImage {
        board,
        segments: vec![
            Segment {
                address: 0x0800_0000,
                data: code,
            },
            Segment {
                address: 0x0800_4E30,
                data: slot,
            },
        ],
    }
}

fn run(
    device: &mut SimulatedDevice,
    image: &FlashImage,
) -> (Result<Report, FlashError<SimError>>, Vec<Progress>) {
    let info = device.info();
    let layout = info.flash_layout.to_owned();
    let info = tinyml_deploy::dfuse::DeviceInfo {
        flash_layout: &layout,
        ..info
    };
    let mut seen = Vec::new();
    let result = block_on(flash(device, &info, image, &mut |p| seen.push(p)));
    (result, seen)
}

fn assert_holds(device: &SimulatedDevice, image: &FlashImage) {
    for s in &image.segments {
        let at = (s.address - 0x0800_0000) as usize;
        assert_eq!(&device.flash()[at..at + s.data.len()], &s.data[..]);
    }
}

#[test]
fn flashes_erases_only_what_it_needs_verifies_and_leaves() {
    let img = image(&NETDUINOPLUS2);
    let mut device = SimulatedDevice::stm32f405();
    let (result, progress) = run(&mut device, &img);
    let report = result.unwrap();
    assert_holds(&device, &img);
    // 50,000 bytes from 0x08000000 touch sectors 0-3 (16 KB each) only.
    assert_eq!(
        device.erased,
        vec![0x0800_0000, 0x0800_4000, 0x0800_8000, 0x0800_C000]
    );
    assert_eq!(report.sectors_erased, 4);
    assert_eq!(report.bytes_written, 50_000);
    assert!(
        device.flash()[0x1_0000..].iter().all(|&b| b == 0x5A),
        "later sectors untouched"
    );
    // The gap between the segments was erased, not written.
    assert_eq!(device.flash()[20_000], 0xFF);
    assert_eq!(device.left_to, Some(0x0800_0000));
    // Four erases at 256 ms, 25 blocks at 40 ms: the host waited every poll timeout.
    assert_eq!(report.waited_ms, 4 * 256 + 25 * 40);
    assert_eq!(device.now_ms(), report.waited_ms);
    // Progress goes through the phases in order and ends complete.
    let phases: Vec<Phase> = progress.iter().map(|p| p.phase).collect();
    assert_eq!(phases.first(), Some(&Phase::Erase));
    assert!(phases.windows(2).all(|w| w[0] as u8 <= w[1] as u8));
    assert_eq!(
        progress.last(),
        Some(&Progress {
            phase: Phase::Verify,
            done: 50_000,
            total: 50_000
        })
    );
    // Leaving DFU mode disconnects the device.
    assert!(matches!(
        run(&mut device, &img).0,
        Err(FlashError::Transport(SimError::Disconnected))
    ));
}

#[test]
fn refuses_an_image_for_another_chip_before_touching_the_flash() {
    let img = image(&NETDUINOPLUS2);
    let mut f411 = SimulatedDevice::stm32f411();
    let err = run(&mut f411, &img).0.unwrap_err();
    assert!(matches!(
        err,
        FlashError::WrongFamily {
            board: "netduinoplus2",
            expected: 1_048_576,
            ..
        }
    ));
    assert!(
        err.to_string().contains("choose the board you have"),
        "{err}"
    );
    assert!(f411.erased.is_empty());
    assert!(f411.flash().iter().all(|&b| b == 0x5A));
    // The Black Pill image goes onto it.
    let img = image(&STM32F411_BLACKPILL);
    run(&mut f411, &img).0.unwrap();
    assert_holds(&f411, &img);
}

#[test]
fn refuses_a_device_that_is_not_the_bootloader() {
    let img = image(&NETDUINOPLUS2);
    let mut device = SimulatedDevice::stm32f405();
    let info = device.info();
    let layout = info.flash_layout.to_owned();
    let info = tinyml_deploy::dfuse::DeviceInfo {
        product_id: 0x5740,
        flash_layout: &layout,
        ..info
    };
    let err = block_on(flash(&mut device, &info, &img, &mut |_| {})).unwrap_err();
    assert!(
        err.to_string()
            .contains("0483:5740, not an STM32 in DFU mode"),
        "{err}"
    );
}

#[test]
fn unplugged_mid_flash_then_flashing_again_works() {
    let img = image(&NETDUINOPLUS2);
    let mut clean = SimulatedDevice::stm32f405();
    run(&mut clean, &img).0.unwrap();
    let total = clean.requests();
    // Unplug at several points: while erasing, writing, verifying, and at the very end,
    // before the last status, which a device resetting into its firmware may never send.
    for unplug_at in [0, 1, 5, 12, total / 3, total / 2, total - 20, total - 2] {
        let mut device = SimulatedDevice::stm32f405();
        device.unplug_after(unplug_at);
        let err = run(&mut device, &img).0.unwrap_err();
        assert!(
            matches!(err, FlashError::Transport(SimError::Disconnected)),
            "at {unplug_at}: {err}"
        );
        assert_eq!(err.to_string(), "the device was disconnected");
        device.replug();
        run(&mut device, &img)
            .0
            .unwrap_or_else(|e| panic!("retry after unplug at {unplug_at}: {e}"));
        assert_holds(&device, &img);
    }
    let mut device = SimulatedDevice::stm32f405();
    device.unplug_after(total - 1);
    run(&mut device, &img).0.unwrap();
    assert_holds(&device, &img);
}

#[test]
fn clears_an_error_left_by_an_earlier_session() {
    let img = image(&NETDUINOPLUS2);
    let mut device = SimulatedDevice::stm32f405();
    device.force_error();
    run(&mut device, &img).0.unwrap();
    assert_holds(&device, &img);
}

#[test]
fn reading_back_catches_a_bad_cell() {
    let img = image(&NETDUINOPLUS2);
    let mut device = SimulatedDevice::stm32f405();
    // A byte that needs 1 bits in the image: 0x0800_0003 holds 3 * 7 + 3 = 24.
    device.wear_out(0x0800_0003);
    let err = run(&mut device, &img).0.unwrap_err();
    assert!(
        matches!(
            err,
            FlashError::Verify {
                address: 0x0800_0003
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("0x08000003"));
    assert_eq!(
        device.left_to, None,
        "a failed flash does not start the board"
    );
}
