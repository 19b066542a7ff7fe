//! The wand demo (being built).

use yew::prelude::*;

use super::DemoProps;

/// The wand demo page.
#[function_component]
pub fn WandDemo(props: &DemoProps) -> Html {
    let _ = props;
    html! { <section class="panel"><p>{"This demo is being built."}</p></section> }
}
