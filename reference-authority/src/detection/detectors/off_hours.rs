//! Off-hours activity. Rule: once out of learning mode, at least
//! `off_hours_events` (3) accesses or token uses within the long window
//! (3600 s) at a UTC hour that, with the hour either side, holds less than
//! `off_hours_share` (0.5 %) of the subject's events of past days. An approval request goes with an
//! access and is not counted again.

use super::hour_of;
use crate::detection::baseline::Baseline;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::{Activity, Observation};

pub(crate) fn check(
    obs: &Observation<'_>,
    base: &mut Baseline,
    config: &DetectionConfig,
) -> Option<String> {
    if base.learning(config) || !matches!(obs.activity, Activity::Access | Activity::Token) {
        return None;
    }
    let hour = hour_of(obs.time);
    if base.hour_share(hour) >= config.off_hours_share {
        return None;
    }
    let count = base.off_hours.push(obs.time, config.long_window);
    (count >= config.off_hours_events).then(|| {
        format!(
            "{count} events at unusual hours (now {hour:02}:00 UTC, {:.2}% of its history)",
            base.hour_share(hour) * 100.0
        )
    })
}
