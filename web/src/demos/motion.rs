//! The magic-wand demo's motion input: hold the button and wave the phone; on release, the
//! gyroscope's rotations become a stroke ([`crate::demo_core::motion::integrate`]).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::demo_core::motion::{integrate, RotationSample};

/// Props of [`MotionButton`].
#[derive(Properties, PartialEq)]
pub struct MotionButtonProps {
    /// The stroke traced while the button was held.
    pub onstroke: Callback<Vec<(f64, f64)>>,
}

/// Listening to `devicemotion` while the button is held.
struct Recording {
    samples: Rc<RefCell<Vec<RotationSample>>>,
    listener: Closure<dyn Fn(web_sys::DeviceMotionEvent)>,
}

/// "Hold and wave": shown where the browser knows DeviceMotionEvent (desktops too, which then
/// report no motion, and the button says so).
#[function_component]
pub fn MotionButton(props: &MotionButtonProps) -> Html {
    let recording = use_mut_ref(|| None::<Recording>);
    let note = use_state(String::new);
    let Some(window) = web_sys::window() else {
        return html! {};
    };
    let supported =
        js_sys::Reflect::has(&window, &JsValue::from_str("DeviceMotionEvent")).unwrap_or(false);
    if !supported {
        return html! {};
    }
    let onpointerdown = {
        let (recording, note, window) = (recording.clone(), note.clone(), window.clone());
        Callback::from(move |e: PointerEvent| {
            e.prevent_default();
            request_permission();
            let samples: Rc<RefCell<Vec<RotationSample>>> = Rc::default();
            let sink = samples.clone();
            let listener = Closure::<dyn Fn(web_sys::DeviceMotionEvent)>::new(
                move |ev: web_sys::DeviceMotionEvent| {
                    if let Some(r) = ev.rotation_rate() {
                        sink.borrow_mut().push(RotationSample {
                            beta: r.beta().unwrap_or(f64::NAN),
                            gamma: r.gamma().unwrap_or(f64::NAN),
                            interval_ms: ev.interval().unwrap_or(16.0),
                        });
                    }
                },
            );
            let _ = window.add_event_listener_with_callback(
                "devicemotion",
                listener.as_ref().unchecked_ref(),
            );
            *recording.borrow_mut() = Some(Recording { samples, listener });
            note.set("Recording: wave the phone, then let go.".into());
        })
    };
    let onpointerup = {
        let (recording, note, onstroke) = (recording.clone(), note.clone(), props.onstroke.clone());
        Callback::from(move |_: PointerEvent| {
            let Some(r) = recording.borrow_mut().take() else {
                return;
            };
            let _ = window.remove_event_listener_with_callback(
                "devicemotion",
                r.listener.as_ref().unchecked_ref(),
            );
            let samples = r.samples.borrow();
            if samples.len() < 2 {
                note.set("No motion data: this device reports no gyroscope.".into());
                return;
            }
            note.set(format!("{} motion samples.", samples.len()));
            onstroke.emit(integrate(&samples));
        })
    };
    html! {
        <div class="motion">
            <button data-testid="wand-motion" onpointerdown={onpointerdown}
                    onpointerup={onpointerup.clone()} onpointercancel={onpointerup}
                    title="Hold the phone upright, screen towards you; hold this button and draw in the air by turning and tilting the phone.">
                {"Hold and wave (phone)"}
            </button>
            <span class="hint">{ (*note).clone() }</span>
        </div>
    }
}

/// iOS asks the user before it reports motion: `DeviceMotionEvent.requestPermission()` (a
/// function only there), called from the button's gesture as it requires.
fn request_permission() {
    let Ok(class) =
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("DeviceMotionEvent"))
    else {
        return;
    };
    if let Ok(f) = js_sys::Reflect::get(&class, &JsValue::from_str("requestPermission")) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call0(&class);
        }
    }
}
