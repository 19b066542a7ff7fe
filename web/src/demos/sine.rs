//! The sine demo (being built).

use yew::prelude::*;

use super::DemoProps;

/// The sine demo page.
#[function_component]
pub fn SineDemo(props: &DemoProps) -> Html {
    let _ = props;
    html! { <section class="panel"><p>{"This demo is being built."}</p></section> }
}
