//! The digits demo (being built).

use yew::prelude::*;

use super::DemoProps;

/// The digits demo page.
#[function_component]
pub fn DigitsDemo(props: &DemoProps) -> Html {
    let _ = props;
    html! { <section class="panel"><p>{"This demo is being built."}</p></section> }
}
