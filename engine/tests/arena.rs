//! The arena contract on the real TFLM models: `arena_bytes` is exactly the smallest arena
//! `Interpreter::new` accepts, it is never more than TFLM needs, the plan never lets two live
//! buffers share a byte, and allocate + invoke never touch the heap.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{model_bytes, TFLM_MODELS};
use tinyml_engine::{BufferKind, Error, Interpreter, Model};

/// Counts heap allocations made on this thread while `COUNTING` is set.
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

/// Models whose ops the engine runs (all of them once every kernel family is in).
fn runnable() -> Vec<(&'static str, usize, Vec<u8>)> {
    TFLM_MODELS
        .iter()
        .map(|&(name, tflm)| (name, tflm, model_bytes(name)))
        .collect()
}

#[test]
fn arena_bytes_is_exact_and_no_more_than_tflm() {
    for (name, tflm, bytes) in runnable() {
        let model = Model::load(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let needed = Interpreter::arena_bytes(&model).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            needed <= tflm,
            "{name}: needs {needed} B, TFLM needs {tflm} B"
        );
        let mut arena = vec![0u8; needed];
        assert!(
            Interpreter::new(&model, &mut arena).is_ok(),
            "{name}: exact arena refused"
        );
        let mut short = vec![0u8; needed - 1];
        match Interpreter::new(&model, &mut short) {
            Err(Error::ArenaTooSmall {
                needed: n,
                available,
            }) => {
                assert_eq!((n, available), (needed, needed - 1), "{name}")
            }
            Err(e) => panic!("{name}: wrong error {e}"),
            Ok(_) => panic!("{name}: accepted an arena one byte short"),
        }
        // Tiny arenas still report the exact need.
        let mut tiny = [0u8; 16];
        assert_eq!(
            Interpreter::new(&model, &mut tiny).err(),
            Some(Error::ArenaTooSmall {
                needed,
                available: 16
            }),
            "{name}"
        );
    }
}

#[test]
fn live_buffers_never_overlap() {
    for (name, _, bytes) in runnable() {
        let model = Model::load(&bytes).unwrap();
        let mut arena = vec![0u8; Interpreter::arena_bytes(&model).unwrap()];
        let it = Interpreter::new(&model, &mut arena).unwrap();
        let planned: Vec<_> = (0..it.plan_len())
            .map(|i| it.plan_entry(i).unwrap())
            .filter(|e| matches!(e.kind, BufferKind::Activation | BufferKind::Scratch))
            .collect();
        for (i, a) in planned.iter().enumerate() {
            assert!(
                a.offset + a.size <= it.usage().activations,
                "{name}: outside the head"
            );
            for b in &planned[i + 1..] {
                let live_together = !(a.last < b.first || b.last < a.first);
                let share = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
                assert!(!(live_together && share), "{name}: {a:?} overlaps {b:?}");
            }
        }
    }
}

#[test]
fn allocate_and_invoke_never_touch_the_heap() {
    for (name, _, bytes) in runnable() {
        let model = Model::load(&bytes).unwrap();
        let needed = Interpreter::arena_bytes(&model).unwrap();
        let mut arena = vec![0u8; needed];
        ALLOCATIONS.store(0, Ordering::SeqCst);
        COUNTING.with(|c| c.set(true));
        let result = (|| -> Result<(), Error> {
            let mut it = Interpreter::new(&model, &mut arena)?;
            for _ in 0..3 {
                it.invoke()?;
            }
            it.reset()?;
            it.invoke()
        })();
        COUNTING.with(|c| c.set(false));
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "{name} allocated");
    }
}
