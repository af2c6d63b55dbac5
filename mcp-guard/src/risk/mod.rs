//! The caller's risk level as context for `tools/call` (CAEP 1.0 section 3.8
//! levels, as the authority's detection publishes them): [`RiskHook`] asks a
//! [`RiskProvider`](agent_auth::risk::RiskProvider) for the level of the
//! calling agent and of the user it acts for, and under a [`RiskPolicy`]
//! admits below the threshold, asks a person (a CIBA step-up) at the
//! threshold, and refuses above it. A level that is unknown or unavailable
//! is refused unless the policy says otherwise: fail closed.
//!
//! ```
//! use mcp_guard::agent_auth::risk::{RiskLevel, RiskLevels};
//! use mcp_guard::risk::{RiskHook, RiskPolicy};
//! use std::sync::Arc;
//!
//! // Levels kept from the authority's risk-level-change SETs (give `levels`
//! // to the SSF receiver as a subscriber too).
//! let levels = RiskLevels::new();
//! let hook = RiskHook::new(Arc::new(levels.clone()))
//!     .policy(RiskPolicy::new(RiskLevel::Medium).unknown_as(RiskLevel::Low));
//! # let _ = hook;
//! ```

mod decision;
mod hook;
mod policy;

pub use decision::RiskDecision;
pub use hook::{RISK_DECISION, RiskHook};
pub use policy::{RiskPolicy, Rule};

#[cfg(test)]
mod tests;
