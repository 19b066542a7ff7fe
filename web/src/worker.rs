//! The Web Worker that runs the engine, so that loading, planning and running never freeze the
//! page. It keeps one [`Session`]; the page sends the model bytes once, then small requests.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use wasm_bindgen::JsCast;

use crate::protocol::{Request, Response};
use crate::session::{Clock, Session};

/// The engine worker (`worker` binary).
pub struct EngineWorker {
    session: Session,
    clock: PerformanceClock,
}

/// `performance.now()` of the worker's global scope (both workers' clock).
pub(crate) struct PerformanceClock(Option<web_sys::Performance>);

impl PerformanceClock {
    /// The clock of the worker this runs in (none outside a worker: it then reads 0).
    pub(crate) fn of_worker() -> Self {
        PerformanceClock(
            js_sys::global()
                .dyn_into::<web_sys::WorkerGlobalScope>()
                .ok()
                .and_then(|g| g.performance()),
        )
    }
}

impl Clock for PerformanceClock {
    fn now_ms(&self) -> f64 {
        self.0.as_ref().map_or(0.0, |p| p.now())
    }
}

impl Worker for EngineWorker {
    type Message = ();
    type Input = Request;
    type Output = Response;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        EngineWorker {
            session: Session::default(),
            clock: PerformanceClock::of_worker(),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        let response = self.session.handle(msg, &self.clock);
        scope.respond(id, response);
    }
}
