//! Tools as layers: one abstraction for a tool an agent calls, and the layers
//! that guard it.
//!
//! A tool is a [`tower::Service`] from a [`ToolCall`] to a [`ToolOutput`],
//! failing with a [`ToolError`]. Every guard is a [`tower::Layer`] around such a
//! service, so guards nest in any order around any tool and agent frameworks
//! adapt one shape:
//!
//! | Layer | Crate | What it does |
//! |---|---|---|
//! | [`AuditLayer`] | `agent-auth` | one [`AuditEvent`](crate::audit::AuditEvent) per call: agent, user, tool, outcome, reason |
//! | `FgaLayer` | `agent-auth` (`tool-fga`) | a relationship check per tool; denied calls never reach the tool |
//! | `ApprovalLayer` | `ciba-client` | a person approves over CIBA; the approved tokens go into the call's extensions |
//! | `CredentialLayer` | `token-vault-client` | the vault's token for the call's user goes into the extensions |
//! | `OutputFilterLayer` | `token-vault-client` | credentials in the output are redacted or the output is withheld |
//!
//! Who acts comes from the call's [`ToolContext`], built only from verified
//! inputs (a validated token, or claims a resource server verified), never from
//! what a model wrote. Layers add what they learn to the call's
//! [`Extensions`]; they cannot change who acts.
//!
//! The guide with the full composition is `docs/tools.md` in the workspace.

mod audit;
mod call;
mod context;
mod error;
mod extensions;
#[cfg(feature = "tool-fga")]
mod fga;
mod func;
mod output;

pub use audit::{AuditLayer, AuditService, TOOL_CALL_ACTION};
pub use call::ToolCall;
pub use context::{Actor, ContextError, ToolContext};
pub use error::ToolError;
pub use extensions::Extensions;
#[cfg(feature = "tool-fga")]
pub use fga::{FgaCheck, FgaLayer, FgaService};
pub use func::{ToolFn, tool_fn};
pub use output::ToolOutput;

use std::future::Future;
use std::pin::Pin;

/// The future a layer's service returns.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, ToolError>> + Send>>;

/// Any tool, with any layers around it, boxed: clonable, `Send` and `Sync`.
pub type BoxTool = tower::util::BoxCloneSyncService<ToolCall, ToolOutput, ToolError>;

/// What every layer wraps: a clonable service over tool calls.
pub trait Tool:
    tower::Service<ToolCall, Response = ToolOutput, Error = ToolError, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Tool for S where
    S: tower::Service<ToolCall, Response = ToolOutput, Error = ToolError, Future: Send>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Boxes a tool (with its layers) into a [`BoxTool`].
pub fn boxed<S: Tool>(tool: S) -> BoxTool {
    BoxTool::new(tool)
}

/// Calls `inner` with `call` from a layer's `call`: the service that
/// `poll_ready` readied runs the call, a clone stays behind (the pattern
/// `tower` documents for services that move their inner service into a future).
pub fn ready_inner<S: Tool>(inner: &mut S) -> S {
    let clone = inner.clone();
    std::mem::replace(inner, clone)
}
