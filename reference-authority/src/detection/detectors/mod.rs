//! The detectors, one rule per file. Each looks at one observation with the
//! subject's baseline (or, for the token rules, the token memory) and
//! returns the reason of a finding, or nothing.

use super::baseline::Baseline;
use super::config::DetectionConfig;

pub(crate) mod failure_burst;
pub(crate) mod fan_out;
pub(crate) mod first_seen;
pub(crate) mod new_network;
pub(crate) mod off_hours;
pub(crate) mod scope_escalation;
pub(crate) mod token_memory;
pub(crate) mod token_replay;
pub(crate) mod use_after_revocation;
pub(crate) mod volume_spike;

/// The UTC hour of the day of `time`.
pub(crate) fn hour_of(time: i64) -> usize {
    usize::try_from(time.rem_euclid(86_400) / 3_600).unwrap_or(0)
}

/// The shape the windowed-count rules share: `count` (the window's count
/// with this event) against `floor` while the baseline learns, else the
/// limit its history gives (`learned`); `note` folds the count into today's
/// peak. Returns `(count, limit)` when the count is above the limit.
pub(crate) fn above_limit(
    base: &mut Baseline,
    config: &DetectionConfig,
    count: u32,
    floor: u32,
    learned: fn(&Baseline, &DetectionConfig) -> u32,
    note: fn(&mut Baseline, u32, u32),
) -> Option<(u32, u32)> {
    let limit = if base.learning(config) {
        floor
    } else {
        learned(base, config)
    };
    note(base, count, limit);
    (count > limit).then_some((count, limit))
}
