//! Scope escalation attempts. Rule: at least `scope_refusals` (2) refusals
//! for a scope the caller does not hold (`insufficient_scope`,
//! `invalid_scope`, ...) within the long window (3600 s). Runs in learning
//! mode too: asking for what one does not hold needs no history.

use crate::detection::baseline::Baseline;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::Observation;

pub(crate) fn check(
    obs: &Observation<'_>,
    base: &mut Baseline,
    config: &DetectionConfig,
) -> Option<String> {
    if !obs.scope_refusal {
        return None;
    }
    let count = base.scope_refusals.push(obs.time, config.long_window);
    (count >= config.scope_refusals).then(|| {
        format!(
            "{count} refusals for scopes it does not hold within {} s",
            config.long_window
        )
    })
}
