//! The audio micro frontend on the real micro_speech recordings: values that TFLM's C frontend
//! (PyPI `pymicro-features` 2.0.2) produces for them, and no heap use once configured.
//! `conformance/frontend.py` compares every recording and many synthetic signals in full.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{shared_dir, Rng};
use tinyml_engine::frontend::{Frontend, FrontendConfig};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The samples of a 16-bit mono WAV from shared/data/micro_speech (canonical 44-byte header).
fn recording(name: &str) -> Vec<i16> {
    let path = shared_dir().join("data/micro_speech").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[36..40], b"data", "{name}: unexpected WAV layout");
    bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// All frames of `samples`, fed in one call after another.
fn features(samples: &[i16]) -> Vec<[u16; 40]> {
    let mut fe = Frontend::new(&FrontendConfig::MICRO_WAKEWORD).unwrap();
    let mut frames = Vec::new();
    let mut pos = 0;
    while pos < samples.len() {
        let (taken, out) = fe.process_samples(&samples[pos..]);
        pos += taken;
        if let Some(f) = out {
            frames.push(<[u16; 40]>::try_from(f).unwrap());
        }
    }
    frames
}

#[test]
fn yes_30ms_matches_tflm() {
    // pymicro-features' output for this file, divided by 0.0390625.
    const TFLM: [u16; 40] = [
        656, 605, 662, 600, 657, 596, 653, 593, 636, 587, 631, 585, 628, 566, 569, 547, 604, 582,
        637, 585, 647, 600, 660, 597, 657, 603, 660, 603, 657, 595, 635, 566, 545, 526, 540, 519,
        548, 530, 546, 517,
    ];
    assert_eq!(features(&recording("yes_30ms.wav")), [TFLM]);
}

#[test]
fn yes_1000ms_matches_tflm() {
    // Frame 50 of pymicro-features' output, and the sum of all 98 x 40 values.
    const FRAME_50: [u16; 40] = [
        524, 530, 583, 499, 581, 501, 555, 488, 501, 477, 486, 497, 525, 311, 0, 0, 403, 489, 553,
        502, 575, 547, 595, 517, 585, 548, 600, 542, 582, 501, 512, 353, 0, 0, 236, 133, 349, 444,
        493, 445,
    ];
    let frames = features(&recording("yes_1000ms.wav"));
    assert_eq!(frames.len(), 98);
    assert_eq!(frames[50], FRAME_50);
    let sum: u64 = frames.iter().flatten().map(|&v| u64::from(v)).sum();
    assert_eq!(sum, 661_497);
}

#[test]
fn configure_and_process_never_touch_the_heap() {
    let mut rng = Rng(0x5eed);
    let audio: Vec<i16> = (0..16_000).map(|_| rng.next_u64() as i16 / 4).collect();
    let mut fe = Box::new(Frontend::EMPTY);
    COUNTING.with(|c| c.set(true));
    fe.configure(&FrontendConfig::MICRO_WAKEWORD).unwrap();
    let mut frames = 0;
    let mut pos = 0;
    while pos < audio.len() {
        let (taken, out) = fe.process_samples(&audio[pos..]);
        pos += taken;
        frames += usize::from(out.is_some());
    }
    fe.reset();
    COUNTING.with(|c| c.set(false));
    assert_eq!(frames, 98);
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0);
}
