//! First-seen resource type. Rule: once out of learning mode, an access to
//! a resource whose type (scheme and first path segment, see
//! [`resource_type`](crate::detection::resource_type)) the agent never
//! touched. New resources of a known type are normal and never fire.

use crate::detection::baseline::Baseline;
use crate::detection::config::DetectionConfig;
use crate::detection::observation::{Activity, Observation, resource_type};

pub(crate) fn check(
    obs: &Observation<'_>,
    base: &mut Baseline,
    config: &DetectionConfig,
) -> Option<String> {
    if obs.activity != Activity::Access {
        return None;
    }
    let kind = resource_type(obs.resource?);
    if base.resource_types.contains(kind) {
        return None;
    }
    base.resource_types.insert(kind.to_owned());
    (!base.learning(config)).then(|| format!("first access to a resource of type {kind}"))
}
