//! The wakeword demo (being built).

use yew::prelude::*;

use super::DemoProps;

/// The wakeword demo page.
#[function_component]
pub fn WakeWordDemo(props: &DemoProps) -> Html {
    let _ = props;
    html! { <section class="panel"><p>{"This demo is being built."}</p></section> }
}
