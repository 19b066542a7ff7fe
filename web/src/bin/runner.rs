//! The demos' Web Worker (declared in index.html with data-type="worker").

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo_worker::Registrable;
    tinyml_web::runner_worker::RunnerWorker::registrar().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker runs in a browser: build it with `trunk build` (see web/README.md)");
}
