//! The agent-auth tool layers for the [rig](https://docs.rs/rig-core) agent
//! framework.
//!
//! - [`GuardedTool`]: a tool behind the standard [`Guards`] (audit, output
//!   credential filter, FGA check, CIBA approval, vault credential) offered to
//!   a rig agent as a rig tool; rig's tool path calls the layers with the
//!   session's verified context.
//! - [`FgaIndex`]: a rig vector-store index filtered by FGA, by pre-filtering
//!   (ListObjects) or post-filtering with top-k refill (BatchCheck).
//! - [`scripted`]: a completion model that answers from a script, with no
//!   network, to drive a real rig agent in tests and demos.
//!
//! What an agent developer adds to a rig agent:
//!
//! ```ignore
//! let guards = Guards::new(AuditLayer::new(audit_sink, clock))
//!     .fga(fga_layer)
//!     .approval(approval_layer)
//!     .credential(credential_layer);
//! let tool = GuardedTool::new("send_proposal", "Send a proposal", schema,
//!     guards.wrap(send_proposal), ToolContext::from_token(&token)?);
//! let agent = AgentBuilder::new(model).dynamic_tool(tool.into_dynamic()?).build();
//! ```
//!
//! The guide is `docs/rig.md` in the workspace.

mod guarded;
mod guards;
mod index;
pub mod refusal;
pub mod scripted;

pub use guarded::{GuardedTool, GuardedToolError};
pub use guards::Guards;
pub use index::{FgaIndex, IndexFilterError, Strategy};
