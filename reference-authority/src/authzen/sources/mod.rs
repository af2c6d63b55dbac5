//! The decision sources that come with the PDP.
//!
//! - [`FgaSource`]: relationship tuples of an fga-core backend;
//! - [`ContextRules`]: restrictions on the request context (time of day,
//!   network, risk level);
//! - [`EntitlementSource`]: the registry's entitlements of the calling agent
//!   (managed connections, vault connections, scopes, FGA relations), with
//!   just-in-time grants in force until they expire.

mod cidr;
mod context_rules;
mod entitlements;
mod fga;

pub use cidr::{Cidr, CidrError};
pub use context_rules::{ContextRules, RiskLevel};
pub use entitlements::EntitlementSource;
pub use fga::FgaSource;
