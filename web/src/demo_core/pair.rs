//! An int8 model and its float twin, loaded side by side by a demo page (sine, digits, magic
//! wand), and the latest scores of both for one input.
//!
//! Slot numbers carry a load generation (`2 * gen` for the int8 model, `2 * gen + 1` for the
//! float one), so that an answer from a pair replaced since (another network, another board)
//! is recognised and dropped.

use crate::demo_core::quant::real_values;
use crate::runner::{Invocation, SlotId, SlotInfo};

/// The two models of one generation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ModelPair {
    /// Load generation.
    pub gen: u32,
    /// The int8 model, once loaded.
    pub int8: Option<SlotInfo>,
    /// The float model, once loaded.
    pub float: Option<SlotInfo>,
    /// What went wrong (both models' messages when both failed).
    pub error: Option<String>,
}

impl ModelPair {
    /// A pair being loaded under generation `gen`.
    pub fn new(gen: u32) -> Self {
        ModelPair {
            gen,
            ..ModelPair::default()
        }
    }

    /// The slots of generation `gen`: (int8, float).
    pub fn slots(gen: u32) -> (SlotId, SlotId) {
        (2 * gen, 2 * gen + 1)
    }

    /// `Some(true)` for this generation's int8 slot, `Some(false)` for its float slot, `None`
    /// for another generation's.
    pub fn kind(&self, slot: SlotId) -> Option<bool> {
        (slot / 2 == self.gen).then_some(slot.is_multiple_of(2))
    }

    /// Both models are loaded.
    pub fn ready(&self) -> bool {
        self.int8.is_some() && self.float.is_some()
    }

    /// Takes a load answer; `false` when it belongs to a replaced generation.
    pub fn take_loaded(&mut self, slot: SlotId, result: Result<SlotInfo, String>) -> bool {
        match (self.kind(slot), result) {
            (Some(true), Ok(info)) => self.int8 = Some(info),
            (Some(false), Ok(info)) => self.float = Some(info),
            // Both models may fail (a board too small): keep both messages.
            (Some(int8), Err(e)) => self.fail(format!(
                "{} model: {e}",
                if int8 { "int8" } else { "float" }
            )),
            (None, _) => return false,
        }
        true
    }

    /// Records an error beside any earlier one.
    pub fn fail(&mut self, e: String) {
        self.error = Some(match self.error.take() {
            Some(old) => format!("{old}; {e}"),
            None => e,
        });
    }
}

/// The latest scores (output 0's real values) of both models.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PairScores {
    /// The int8 model's.
    pub int8: Option<Vec<f64>>,
    /// The float model's.
    pub float: Option<Vec<f64>>,
    /// The tag of the input the int8 scores belong to (tests wait on it).
    pub of: Option<u64>,
    /// Milliseconds of the int8 model's last invocation.
    pub int8_ms: Option<f64>,
    /// Milliseconds of the float model's last invocation.
    pub float_ms: Option<f64>,
}

impl PairScores {
    /// Forgets the scores (a new drawing is under way).
    pub fn clear(&mut self) {
        self.int8 = None;
        self.float = None;
        self.of = None;
    }

    /// Takes one model's invocation of input `tag`.
    pub fn take_invoked(&mut self, is_int8: bool, tag: u64, inv: &Invocation) {
        let scores = inv
            .outputs
            .first()
            .map(|o| real_values(o, &o.raw))
            .unwrap_or_default();
        if is_int8 {
            self.int8 = Some(scores);
            self.of = Some(tag);
            self.int8_ms = Some(inv.ms);
        } else {
            self.float = Some(scores);
            self.float_ms = Some(inv.ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_a_replaced_generation_are_dropped() {
        let mut pair = ModelPair::new(3);
        assert_eq!(ModelPair::slots(3), (6, 7));
        assert_eq!(pair.kind(6), Some(true));
        assert_eq!(pair.kind(7), Some(false));
        assert_eq!(pair.kind(5), None);
        assert!(!pair.take_loaded(4, Err("old".into())));
        assert!(pair.take_loaded(6, Err("too big".into())));
        assert!(pair.take_loaded(7, Err("too big too".into())));
        assert_eq!(
            pair.error.as_deref(),
            Some("int8 model: too big; float model: too big too")
        );
        assert!(!pair.ready());
    }
}
