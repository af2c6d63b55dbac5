//! Token replay. Rule: one `jti` presented from two different networks
//! within `replay_window` (3600 s). A bearer token is bound to nothing
//! (RFC 6750 section 5.2 asks to guard against its redirection and replay):
//! its use from a second place is a stolen token until shown otherwise.

use super::token_memory::TokenMemory;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::{Activity, Observation};

pub(crate) fn check(
    obs: &Observation<'_>,
    memory: &mut TokenMemory,
    config: &DetectionConfig,
) -> Option<String> {
    if !matches!(obs.activity, Activity::Access | Activity::Token) {
        return None;
    }
    let (jti, network) = (obs.jti?, obs.network.as_deref()?);
    let first = memory.source(jti, network, obs.time, config.replay_window);
    (first != network)
        .then(|| format!("one token used from two networks ({first} first, then {network})"))
}
