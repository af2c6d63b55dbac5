//! Volume spike. Rule: successful accesses in the trailing short window
//! (600 s) exceed `volume_factor` (3) times the largest short-window count
//! of any of the subject's last `history_days` days, and never less than
//! `volume_floor` (20). In learning mode the limit is `learning_volume_floor`.

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
    let count = base.accesses_window.push(obs.time, config.short_window);
    let (count, limit) = super::above_limit(
        base,
        config,
        count,
        config.learning_volume_floor,
        Baseline::volume_limit,
        Baseline::note_volume,
    )?;
    Some(format!(
        "{count} accesses in {} s, above the limit of {limit} learned from its history",
        config.short_window
    ))
}
