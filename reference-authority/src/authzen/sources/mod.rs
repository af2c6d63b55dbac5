//! The decision sources that come with the PDP.
//!
//! - [`FgaSource`]: relationship tuples of an fga-core backend;
//! - [`ContextRules`]: restrictions on the request context (time of day,
//!   network, risk level).

mod cidr;
mod context_rules;
mod fga;

pub use cidr::{Cidr, CidrError};
pub use context_rules::{ContextRules, RiskLevel};
pub use fga::FgaSource;
