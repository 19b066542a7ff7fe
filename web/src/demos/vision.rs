//! The vision demo (being built).

use yew::prelude::*;

use super::DemoProps;

/// The vision demo page.
#[function_component]
pub fn VisionDemo(props: &DemoProps) -> Html {
    let _ = props;
    html! { <section class="panel"><p>{"This demo is being built."}</p></section> }
}
