//! The guard as an OpenID AuthZEN policy enforcement point (PEP) for
//! `tools/call`, following the COAZ-MCP binding: each call is mapped onto an
//! AuthZEN request (the tool's declared `x-authzen-mapping`, or the default
//! `tools/call` mapping), the request goes to a
//! [`DecisionPoint`](agent_auth::authzen::DecisionPoint) (an embedded PDP,
//! or [`RemotePdp`](agent_auth::authzen::RemotePdp) over HTTP), and the call
//! proceeds only if every decision permits.
//!
//! Identity is anchored to the validated access token, never to the mapping
//! or the caller's arguments:
//!
//! - `subject.id` is the subject-identity claim (`sub`, or a designated
//!   on-behalf-of claim); a mapping may only name that claim, and the
//!   resolved value is verified against the token;
//! - `context.agent` is the agent claim (`client_id`) of the token; a mapping
//!   may only name that claim;
//! - a mapping's `evaluations` entries may not carry a `subject`.
//!
//! Expressions (`$`-prefixed strings) are Common Expression Language over
//! `token` (the validated claims) and `params` (`name`, `arguments`);
//! `$$` escapes a literal `$`.
//!
//! ```
//! use mcp_guard::authzen::{AuthzenHook, IdentityClaims};
//! # fn pdp() -> std::sync::Arc<dyn mcp_guard::agent_auth::authzen::DecisionPoint> { unimplemented!() }
//! # fn build() -> Result<(), mcp_guard::authzen::MappingError> {
//! let hook = AuthzenHook::new(pdp())
//!     .identity(IdentityClaims::default().on_behalf_of("act_for"))
//!     .declare("get_customer", serde_json::json!({"evaluation": {
//!         "subject": {"type": "identity", "id": "$token.act_for"},
//!         "action": {"name": "get_customer"},
//!         "resource": {"type": "customer", "id": "$params.arguments.id"},
//!         "context": {"agent": "$token.?client_id", "case": "$params.arguments.case"}
//!     }}))?;
//! # let _ = hook; Ok(()) }
//! ```

mod error;
mod expression;
mod hook;
mod identity;
mod mapping;

pub use error::MappingError;
pub use hook::AuthzenHook;
pub use identity::IdentityClaims;
pub use mapping::Mapping;
