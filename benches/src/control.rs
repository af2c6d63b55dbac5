//! The `control` group: the control point's operations against what they
//! reduce to: a SCIM filtered list over the registry against fga-core's
//! ListObjects, and one AuthZEN evaluation against the bare FGA check.

mod authzen;
mod scim;

/// Runs both comparisons.
pub fn run() {
    scim::run();
    authzen::run();
}
