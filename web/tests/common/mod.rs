//! What the host tests share: where the shared test data is, a clock, and the page's runner
//! driven on a local executor (the worker's code, without the worker).

#![allow(dead_code)] // each test file uses its own part

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use tinyml_web::runner::{Runner, RunnerRequest, RunnerResponse, SlotInfo};
use tinyml_web::session::Clock;

/// `../shared` beside the repository (or `$TINYML_SHARED`), as the engine's tests find it.
pub fn shared_dir() -> PathBuf {
    match std::env::var("TINYML_SHARED") {
        Ok(p) if PathBuf::from(&p).is_absolute() => PathBuf::from(p),
        Ok(p) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Milliseconds since the test started.
pub struct HostClock(pub Instant);

impl HostClock {
    pub fn new() -> Self {
        HostClock(Instant::now())
    }
}

impl Clock for HostClock {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1e3
    }
}

/// A runner whose slot tasks run on a local pool, and the answers it gave.
pub struct LocalRunner {
    pool: LocalPool,
    runner: Runner,
    answers: Rc<RefCell<Vec<RunnerResponse>>>,
}

impl LocalRunner {
    pub fn new() -> Self {
        let pool = LocalPool::new();
        let spawner = pool.spawner();
        let answers: Rc<RefCell<Vec<RunnerResponse>>> = Rc::default();
        let sink = {
            let answers = answers.clone();
            Rc::new(move |r| answers.borrow_mut().push(r))
        };
        let runner = Runner::new(
            Rc::new(move |f| spawner.spawn_local(f).expect("spawn")),
            sink,
            Rc::new(HostClock::new()),
        );
        LocalRunner {
            pool,
            runner,
            answers,
        }
    }

    /// Sends a request and returns every answer it produced.
    pub fn send(&mut self, request: RunnerRequest) -> Vec<RunnerResponse> {
        self.runner.handle(request);
        self.pool.run_until_stalled();
        self.answers.borrow_mut().drain(..).collect()
    }

    /// Loads `bytes` into `slot`: the slot's description or the engine's words.
    pub fn load(
        &mut self,
        slot: u32,
        bytes: Vec<u8>,
        budget: Option<usize>,
    ) -> Result<SlotInfo, String> {
        match self
            .send(RunnerRequest::Load {
                slot,
                name: "m.tflite".into(),
                bytes,
                budget,
            })
            .as_slice()
        {
            [RunnerResponse::Loaded { slot: s, result }] if *s == slot => result.clone(),
            other => panic!("unexpected answers {other:?}"),
        }
    }

    /// Invokes `slot` once: its outputs' bytes or the engine's words.
    pub fn invoke(
        &mut self,
        slot: u32,
        tag: u64,
        inputs: Vec<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, String> {
        match self
            .send(RunnerRequest::Invoke { slot, tag, inputs })
            .as_slice()
        {
            [RunnerResponse::Invoked {
                slot: s,
                tag: t,
                result,
            }] if *s == slot && *t == tag => result
                .clone()
                .map(|inv| inv.outputs.into_iter().map(|o| o.raw).collect()),
            other => panic!("unexpected answers {other:?}"),
        }
    }
}
