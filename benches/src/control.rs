//! The `control` group: the control point's operations against what they
//! reduce to: a SCIM filtered list over the registry against fga-core's
//! ListObjects, and one AuthZEN evaluation against the bare FGA check; and
//! the agent lookup and dependency map of one agent at the scale.

mod authzen;
mod scale;
mod scim;

/// Runs both comparisons and the scale figures.
pub fn run() {
    scim::run();
    authzen::run();
}
