//! From a stream of class scores to detections, as TFLM's micro_speech example decides when a
//! word was heard (`RecognizeCommands` in `recognize_commands.cc`), and as microWakeWord does
//! (the mean of the last few probabilities above a cutoff).
//!
//! A single inference is noisy: a window that catches half a word scores oddly, and a word
//! that stays in the one-second window for several inferences should be reported once. So:
//!
//! - **Average**: scores of the inferences in the last `average_window_ms` are averaged per
//!   class; with fewer than `minimum_count` results, or results spanning less than a quarter of
//!   the window, nothing is decided yet.
//! - **Threshold**: the top average must exceed `threshold`.
//! - **Suppression**: the same label again within `suppression_ms` of its last detection is
//!   not a new command (another label is). Label 0 (silence) never suppresses, as in TFLM.

use std::collections::VecDeque;

/// The recogniser's settings (TFLM's defaults: 1000 ms, 200/255, 1500 ms, 3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecognizerConfig {
    /// Scores of the last this many milliseconds are averaged.
    pub average_window_ms: u64,
    /// The top average score must exceed this (0..1).
    pub threshold: f32,
    /// A repeat of the last detected label within this many milliseconds is not new.
    pub suppression_ms: u64,
    /// Fewer results than this in the window decide nothing.
    pub minimum_count: usize,
}

impl Default for RecognizerConfig {
    fn default() -> Self {
        RecognizerConfig {
            average_window_ms: 1000,
            threshold: 200.0 / 255.0,
            suppression_ms: 1500,
            minimum_count: 3,
        }
    }
}

/// What one result decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The top label of the averaged scores (or the previous top label while undecided).
    pub label: usize,
    /// Its averaged score (0 while undecided).
    pub score: f32,
    /// True when this is a new detection.
    pub is_new: bool,
}

/// Averages, thresholds and suppresses a stream of per-class scores (see the module docs).
pub struct Recognizer {
    config: RecognizerConfig,
    results: VecDeque<(u64, Vec<f32>)>,
    previous_label: usize,
    previous_time: Option<u64>,
}

impl Recognizer {
    /// A recogniser that has seen nothing (previous label: 0, silence).
    pub fn new(config: RecognizerConfig) -> Self {
        Recognizer {
            config,
            results: VecDeque::new(),
            previous_label: 0,
            previous_time: None,
        }
    }

    /// Forgets every result, as after a restart.
    pub fn reset(&mut self) {
        *self = Recognizer::new(self.config);
    }

    /// Takes the scores of the inference ending at `time_ms` (non-decreasing). Results out of
    /// order, or with a different number of classes, clear the history first.
    pub fn process(&mut self, scores: &[f32], time_ms: u64) -> Decision {
        let consistent = self
            .results
            .back()
            .is_none_or(|(t, s)| *t <= time_ms && s.len() == scores.len());
        if !consistent {
            self.results.clear();
        }
        self.results.push_back((time_ms, scores.to_vec()));
        let limit = time_ms.saturating_sub(self.config.average_window_ms);
        while self.results.front().is_some_and(|(t, _)| *t < limit) {
            self.results.pop_front();
        }
        let earliest = self.results.front().map_or(time_ms, |(t, _)| *t);
        if self.results.len() < self.config.minimum_count
            || time_ms - earliest < self.config.average_window_ms / 4
        {
            return Decision {
                label: self.previous_label,
                score: 0.0,
                is_new: false,
            };
        }
        let n = self.results.len() as f32;
        let mut average = vec![0.0f32; scores.len()];
        for (_, s) in &self.results {
            for (a, v) in average.iter_mut().zip(s) {
                *a += v;
            }
        }
        let (mut label, mut score) = (0, f32::MIN);
        for (i, a) in average.iter().enumerate() {
            let a = a / n;
            if a > score {
                (label, score) = (i, a);
            }
        }
        let since_last = match self.previous_time {
            Some(t) if self.previous_label != 0 => time_ms - t,
            _ => u64::MAX,
        };
        let is_new = score > self.config.threshold
            && (label != self.previous_label || since_last > self.config.suppression_ms);
        if is_new {
            self.previous_label = label;
            self.previous_time = Some(time_ms);
        }
        Decision {
            label,
            score,
            is_new,
        }
    }
}

/// microWakeWord's rule: the mean of the last `window` probabilities above `cutoff` is a
/// detection; after one, the next `refractory_ms` detect nothing (the model keeps hearing the
/// same word for a while; pymicro-wakeword resets the model instead).
pub struct WakeDetector {
    cutoff: f32,
    window: usize,
    refractory_ms: u64,
    recent: VecDeque<f32>,
    last: Option<u64>,
}

impl WakeDetector {
    /// A detector with the model's JSON settings (`probability_cutoff`,
    /// `sliding_window_size`).
    pub fn new(cutoff: f32, window: usize, refractory_ms: u64) -> Self {
        WakeDetector {
            cutoff,
            window: window.max(1),
            refractory_ms,
            recent: VecDeque::new(),
            last: None,
        }
    }

    /// Takes the probability of the inference ending at `time_ms`; the mean and whether it is a
    /// new detection.
    pub fn process(&mut self, probability: f32, time_ms: u64) -> (f32, bool) {
        self.recent.push_back(probability);
        while self.recent.len() > self.window {
            self.recent.pop_front();
        }
        if self.recent.len() < self.window {
            return (0.0, false);
        }
        let mean = self.recent.iter().sum::<f32>() / self.window as f32;
        let quiet = self
            .last
            .is_none_or(|t| time_ms.saturating_sub(t) > self.refractory_ms);
        let hit = mean > self.cutoff && quiet;
        if hit {
            self.last = Some(time_ms);
        }
        (mean, hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YES: [f32; 4] = [0.0, 0.05, 0.95, 0.0];
    const SILENCE: [f32; 4] = [0.9, 0.1, 0.0, 0.0];

    #[test]
    fn waits_for_enough_results_then_detects_once() {
        let mut r = Recognizer::new(RecognizerConfig::default());
        // Two results: too few.
        assert!(!r.process(&YES, 0).is_new);
        assert!(!r.process(&YES, 100).is_new);
        // Three, but spanning 200 ms < 250 ms.
        assert!(!r.process(&YES, 200).is_new);
        let d = r.process(&YES, 300);
        assert_eq!((d.label, d.is_new), (2, true));
        assert!((d.score - 0.95).abs() < 1e-6);
        // Still yes: suppressed for 1500 ms.
        for t in (400..=1800).step_by(100) {
            let d = r.process(&YES, t);
            assert_eq!((d.label, d.is_new), (2, false), "at {t}");
        }
        // More than 1500 ms after: a new yes.
        assert!(r.process(&YES, 1900).is_new);
    }

    #[test]
    fn averages_over_the_window_only() {
        let mut r = Recognizer::new(RecognizerConfig::default());
        for t in (0..=1000).step_by(100) {
            r.process(&SILENCE, t);
        }
        // One yes among ten silences averages far below the threshold: silence is on top (and,
        // as in TFLM, silence is never suppressed, so it is "new" whenever it passes).
        let d = r.process(&YES, 1100);
        assert_eq!(d.label, 0);
        // After 1000 ms of yes the silences have left the window.
        let mut fired = Vec::new();
        for t in (1200..=2200).step_by(100) {
            if r.process(&YES, t).is_new {
                fired.push(t);
            }
        }
        // The average (k yes of 11) passes 200/255 when k ≥ 10: at 2000 ms.
        assert_eq!(fired, vec![2000]);
        assert_eq!(r.process(&YES, 2300).label, 2);
    }

    #[test]
    fn another_label_is_not_suppressed() {
        let mut r = Recognizer::new(RecognizerConfig {
            average_window_ms: 300,
            ..Default::default()
        });
        let no = [0.0, 0.0, 0.0, 1.0];
        let mut fired = Vec::new();
        for (k, t) in (0..2000u64).step_by(100).enumerate() {
            let s: &[f32] = if k < 5 { &YES } else { &no };
            let d = r.process(s, t);
            if d.is_new {
                fired.push((d.label, t));
            }
        }
        // Yes once three results span 75 ms (200 ms); no once it dominates the window (800 ms).
        assert_eq!(fired, vec![(2, 200), (3, 800)]);
    }

    #[test]
    fn silence_is_never_new_from_the_start_nor_below_threshold() {
        let mut r = Recognizer::new(RecognizerConfig::default());
        let weak = [0.3, 0.3, 0.4, 0.0];
        for t in (0..3000).step_by(100) {
            assert!(!r.process(&weak, t).is_new);
        }
    }

    #[test]
    fn time_going_back_clears_the_history() {
        let mut r = Recognizer::new(RecognizerConfig::default());
        for t in [1000, 1100, 1200, 1300] {
            r.process(&YES, t);
        }
        // A restart at 0: only one result in the window again.
        assert!(!r.process(&YES, 0).is_new);
        assert_eq!(r.process(&YES, 0).score, 0.0);
    }

    #[test]
    fn wake_detector_means_and_refractory() {
        let mut d = WakeDetector::new(0.85, 3, 1000);
        assert_eq!(d.process(0.9, 0), (0.0, false));
        assert_eq!(d.process(0.9, 30), (0.0, false));
        let (mean, hit) = d.process(0.6, 60);
        assert!(!hit && (mean - 0.8).abs() < 1e-6);
        // (0.9 + 0.6 + 1.0) / 3 = 0.833: not yet; (0.6 + 1 + 1) / 3 = 0.867: detected.
        assert!(!d.process(1.0, 90).1);
        assert!(d.process(1.0, 120).1);
        // Within the refractory second: not again; after it, again.
        assert!(!d.process(1.0, 150).1);
        assert!(d.process(1.0, 1200).1);
    }
}
