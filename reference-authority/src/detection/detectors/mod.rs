//! The detectors, one rule per file. Each looks at one observation with the
//! subject's baseline (or, for the token rules, the token memory) and
//! returns the reason of a finding, or nothing.

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
