//! Choosing a board: its SRAM, flash, core and clock, the reserve kept for stack and
//! application, and the engine's verdict on the arena budget that leaves.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::boards::{BOARDS, CUSTOM_ID};
use crate::codesize;
use crate::cost::{self, Core};
use crate::format;
use crate::state::{Action, State};

/// Props of [`BoardPanel`].
#[derive(Properties, PartialEq)]
pub struct BoardPanelProps {
    /// Page state.
    pub state: UseReducerHandle<State>,
    /// Changes.
    pub ondispatch: Callback<Action>,
}

fn number_input(value: usize, id: &'static str, onset: Callback<usize>) -> Html {
    let onchange = Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        if let Ok(v) = input
            .value()
            .trim()
            .replace([',', '_', ' '], "")
            .parse::<usize>()
        {
            onset.emit(v);
        }
    });
    html! {
        <input type="number" min="0" {id} data-testid={id} value={value.to_string()} {onchange} />
    }
}

/// The board panel.
#[function_component]
pub fn BoardPanel(props: &BoardPanelProps) -> Html {
    let state = &props.state;
    let board = state.board();
    let budget = state.budget();
    let dispatch = props.ondispatch.clone();

    let onboard = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            dispatch.emit(Action::SelectBoard(select.value()));
        })
    };
    let onreserve = {
        let dispatch = dispatch.clone();
        Callback::from(move |v: usize| dispatch.emit(Action::SetReserve(v)))
    };
    let custom = state.custom;
    let custom_fields = if board.id == CUSTOM_ID {
        let set = |f: fn(&mut crate::state::CustomBoard, usize)| {
            let dispatch = dispatch.clone();
            Callback::from(move |v: usize| {
                let mut c = custom;
                f(&mut c, v);
                dispatch.emit(Action::SetCustom(c));
            })
        };
        let oncore = {
            let dispatch = dispatch.clone();
            Callback::from(move |e: Event| {
                let select: HtmlSelectElement = e.target_unchecked_into();
                if let Some(core) = Core::from_id(&select.value()) {
                    dispatch.emit(Action::SetCustom(crate::state::CustomBoard {
                        core,
                        ..custom
                    }));
                }
            })
        };
        html! {
            <div class="custom">
                <label>{"SRAM (B) "}{ number_input(custom.sram, "custom-sram", set(|c, v| c.sram = v)) }</label>
                <label>{"Flash (B) "}{ number_input(custom.flash, "custom-flash", set(|c, v| c.flash = v)) }</label>
                <label>{"Core "}
                    <select id="custom-core" onchange={oncore}>
                        { for Core::ALL.iter().map(|c| html! {
                            <option value={c.id()} selected={*c == custom.core}>{ c.name() }</option>
                        }) }
                    </select>
                </label>
                <label>{"Clock (MHz) "}{ number_input(custom.clock_mhz as usize, "custom-clock",
                    set(|c, v| c.clock_mhz = v.clamp(1, 10_000) as u32)) }</label>
            </div>
        }
    } else {
        html! {}
    };

    // The engine's verdict, shown only when it answers for the budget now chosen.
    let fit = match (&state.model, &state.fit) {
        (None, _) => html! { <p class="hint">{"Load a model to see whether it fits."}</p> },
        (Some(_), Some(f)) if f.budget == budget => match &f.result {
            Ok(used) => html! {
                <p class="ok" data-testid="fit">
                    { format!("Fits: the engine planned it in {} of the {} budget ({:.1}%).",
                        format::bytes(*used), format::bytes(budget),
                        *used as f64 * 100.0 / budget.max(1) as f64) }
                </p>
            },
            Err(e) => html! {
                <div class="error" data-testid="fit-error">
                    <p><strong>{"Does not fit. "}</strong>{"The engine says: "}
                        <q data-testid="engine-error">{ e }</q></p>
                    <p>{ format!("The {} budget is {} (SRAM {} − reserve {}).",
                        board.name, format::bytes(budget), format::bytes(board.sram),
                        format::bytes(state.reserve)) }</p>
                </div>
            },
        },
        (Some(_), _) => html! { <p class="status">{"Asking the engine…"}</p> },
    };

    let (engine_bytes, engine_source) = codesize::engine_bytes(board.core);
    let flash = state.model.as_ref().map(|m| {
        let used = m.file_bytes + engine_bytes;
        let pct = used as f64 * 100.0 / board.flash.max(1) as f64;
        html! {
            <p class={if used <= board.flash { "ok" } else { "error" }} data-testid="flash">
                { format!("Flash: {} = model {} + engine {} ({engine_source}) — {:.0}% of {}.",
                    format::bytes(used), format::bytes(m.file_bytes), format::bytes(engine_bytes),
                    pct, format::bytes(board.flash)) }
            </p>
        }
    });
    let estimate = state.model.as_ref().map(|m| {
        let total: f64 = cost::estimate_ms(m, board.core, board.clock_mhz)
            .iter()
            .flatten()
            .sum();
        html! {
            <p data-testid="estimate">
                { format!("Estimated latency on this board: {} ", format::ms(total)) }
                <span class="muted">{ format!("(an estimate: cycles per MAC for the {} at {} MHz \
                    from instruction timings, not a measurement; see the Run section)",
                    board.core.name(), board.clock_mhz) }</span>
            </p>
        }
    });

    html! {
        <section class="panel board">
            <h2>{"2. Choose a board"}</h2>
            <select id="board" data-testid="board" onchange={onboard}>
                { for BOARDS.iter().map(|b| html! {
                    <option value={b.id} selected={b.id == board.id}>
                        { format!("{} ({}, {} KB SRAM)", b.name, b.mcu, b.sram / 1024) }
                    </option>
                }) }
                <option value={CUSTOM_ID} selected={board.id == CUSTOM_ID}>{"Custom board"}</option>
            </select>
            { custom_fields }
            <table class="facts">
                <tr><th>{"SRAM"}</th><td>{ format::bytes(board.sram) }</td></tr>
                <tr><th>{"Flash"}</th><td>{ format::bytes(board.flash) }</td></tr>
                <tr><th>{"Core"}</th><td>{ format!("{} at {} MHz", board.core.name(), board.clock_mhz) }</td></tr>
                <tr><th>{"Reserve"}</th><td>
                    { number_input(state.reserve, "reserve", onreserve) }
                    <span class="muted">{" B for stack and application"}</span>
                </td></tr>
                <tr><th>{"Arena budget"}</th>
                    <td data-testid="budget" data-bytes={budget.to_string()}>
                        { format!("{} (SRAM − reserve): the engine is given exactly this", format::bytes(budget)) }
                    </td></tr>
            </table>
            <p class="note">{ board.note }</p>
            { fit }
            { for flash }
            { for estimate }
        </section>
    }
}
