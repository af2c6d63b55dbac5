//! Failure burst. Rule: refusals (denied decisions, invalid or refused
//! tokens, failed client authentication) in the trailing short window reach
//! `failure_factor` (3) times the largest daily failure peak, never less
//! than `failure_floor` (10), and make at least `failure_ratio` (half) of
//! the window's events.

use crate::detection::baseline::Baseline;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::{Activity, Observation};

pub(crate) fn check(
    obs: &Observation<'_>,
    base: &mut Baseline,
    config: &DetectionConfig,
) -> Option<String> {
    if !matches!(obs.activity, Activity::Access | Activity::Token) {
        return None;
    }
    let events = base.events_window.push(obs.time, config.short_window);
    if !obs.is_failure() {
        return None;
    }
    let failures = base.failures_window.push(obs.time, config.short_window);
    let limit = if base.learning(config) {
        config.failure_floor
    } else {
        base.failure_limit(config)
    };
    base.note_failures(failures, limit);
    let ratio = f64::from(failures) / f64::from(events.max(1));
    (failures >= limit && ratio >= config.failure_ratio).then(|| {
        format!(
            "{failures} refusals in {} s ({:.0}% of its events), limit {limit}",
            config.short_window,
            ratio * 100.0
        )
    })
}
