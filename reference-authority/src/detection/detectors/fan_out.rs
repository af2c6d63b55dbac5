//! Fan-out across users' data. Rule: successful accesses on behalf of more
//! distinct users within the long window (3600 s) than `fan_out_factor` (3)
//! times the agent's largest daily peak, never less than `fan_out_floor` (10).

use crate::detection::baseline::Baseline;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::{Activity, Observation};

pub(crate) fn check(
    obs: &Observation<'_>,
    base: &mut Baseline,
    config: &DetectionConfig,
) -> Option<String> {
    if obs.activity != Activity::Access || !obs.success {
        return None;
    }
    let user = obs.user?;
    let count = base.users_window.push(obs.time, config.long_window, user);
    let (count, limit) = super::above_limit(
        base,
        config,
        count,
        config.fan_out_floor,
        Baseline::users_limit,
        Baseline::note_users,
    )?;
    Some(format!(
        "data of {count} users within {} s, above the limit of {limit}",
        config.long_window
    ))
}
