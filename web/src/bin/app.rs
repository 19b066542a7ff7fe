//! The playground page (declared in index.html with data-type="main").

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<tinyml_web::app::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the playground runs in a browser: `scripts/serve` (see web/README.md)");
}
