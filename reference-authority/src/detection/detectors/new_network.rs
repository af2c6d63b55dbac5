//! New source network. Rule: once out of learning mode, an event from a
//! network (the `network` detail, or the /24 or /48 of the `ip` detail) the
//! agent never used.

use crate::detection::baseline::Baseline;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::Observation;

pub(crate) fn check(
    obs: &Observation<'_>,
    base: &mut Baseline,
    config: &DetectionConfig,
) -> Option<String> {
    let network = obs.network.as_deref()?;
    if base.networks.contains(network) {
        return None;
    }
    base.networks.insert(network.to_owned());
    (!base.learning(config)).then(|| format!("first event from network {network}"))
}
