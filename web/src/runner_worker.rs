//! The demos' Web Worker: a [`Runner`] behind gloo-worker, one per demo page, so that a demo's
//! models never share a thread with the page (nor with the playground's worker).

use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};

use crate::runner::{Runner, RunnerRequest, RunnerResponse};
use crate::worker::PerformanceClock;

/// The runner worker (`runner` binary).
pub struct RunnerWorker {
    runner: Runner,
    /// Who to answer: the page that spoke last (one page per worker).
    handler: Rc<std::cell::Cell<Option<HandlerId>>>,
}

impl Worker for RunnerWorker {
    type Message = ();
    type Input = RunnerRequest;
    type Output = RunnerResponse;

    fn create(scope: &WorkerScope<Self>) -> Self {
        let handler: Rc<std::cell::Cell<Option<HandlerId>>> = Rc::default();
        let sink = {
            let scope = scope.clone();
            let handler = handler.clone();
            Rc::new(move |response: RunnerResponse| {
                if let Some(id) = handler.get() {
                    scope.respond(id, response);
                }
            })
        };
        RunnerWorker {
            runner: Runner::new(
                Rc::new(wasm_bindgen_futures::spawn_local),
                sink,
                Rc::new(PerformanceClock::of_worker()),
            ),
            handler,
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: Self::Message) {}

    fn received(&mut self, _scope: &WorkerScope<Self>, msg: Self::Input, id: HandlerId) {
        self.handler.set(Some(id));
        self.runner.handle(msg);
    }
}
