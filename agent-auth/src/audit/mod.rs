//! The one audit model of the workspace.
//!
//! Every security decision (authentication, token issue or exchange, vault access,
//! authorization decision on protected data, approval request or decision,
//! revocation) becomes an [`AuditEvent`] naming the agent and the user it acts for.
//! Events go to an [`AuditSink`]; sinks are pluggable.

mod event;
#[cfg(feature = "tool-fga")]
mod fga;
mod keyed_hash;
#[cfg(feature = "audit-shipping")]
#[cfg_attr(docsrs, doc(cfg(feature = "audit-shipping")))]
pub mod shipping;
mod sink;

pub use event::{AuditAction, AuditEvent, Outcome};
#[cfg(feature = "tool-fga")]
#[cfg_attr(docsrs, doc(cfg(feature = "tool-fga")))]
pub use fga::FgaAuditHook;
pub use keyed_hash::{AuditHashKey, KEYED_HASH_PREFIX};
pub use sink::{AuditSink, FanoutSink, JsonLinesSink, MemorySink, NoopSink, SharedSink};
