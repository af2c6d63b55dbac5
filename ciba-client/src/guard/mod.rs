//! The tool guard: an approval policy wraps an async tool. From the tool's
//! arguments it decides whether a person must approve, builds the binding
//! message and authorization details, and runs the tool only with the
//! approved token. A denial or an expiry never runs the tool.
//!
//! Two shapes share one approval step:
//! - [`ApprovalLayer`]: a `tower::Layer` over agent-auth's tool calls
//!   (`agent_auth::tool`), nesting in any order with the FGA, vault, output
//!   filter and audit layers; the approved tokens go into the call's
//!   extensions as [`ApprovedTokens`]. Prefer it for new tools.
//! - [`Guarded`]: a typed wrapper over this module's [`Tool`] trait, for tools
//!   taking Rust arguments; guards nest with each other.

mod approver;
mod layer;
mod tool;

pub use approver::{Approver, CibaApprover};
pub use layer::{ApprovalLayer, ApprovalService};
pub use tool::{FnTool, ToolContext, tool_fn};

use crate::client::{ApprovalOutcome, ApprovedTokens, CibaError};
use crate::details::AuthorizationDetails;
use std::sync::Arc;

/// What a person is asked to approve.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalAsk {
    /// Shown on the agent's side and on the person's device.
    pub binding_message: String,
    /// The RFC 9396 details of the action.
    pub authorization_details: Option<AuthorizationDetails>,
    /// The scopes the tool needs (besides `openid`).
    pub scope: Vec<String>,
}

impl ApprovalAsk {
    /// An ask with a binding message and the scopes the tool needs.
    pub fn new(
        binding_message: impl Into<String>,
        scope: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            binding_message: binding_message.into(),
            authorization_details: None,
            scope: scope.into_iter().map(Into::into).collect(),
        }
    }

    /// Adds authorization details.
    #[must_use]
    pub fn details(mut self, details: AuthorizationDetails) -> Self {
        self.authorization_details = Some(details);
        self
    }
}

/// Whether a call needs approval.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Requirement {
    /// The call runs without asking anyone.
    NotNeeded,
    /// A person must approve this.
    Approval(ApprovalAsk),
}

/// Decides from a tool's arguments whether a person must approve the call.
/// A closure `Fn(&A) -> Requirement` is a policy.
pub trait ApprovalPolicy<A>: Send + Sync {
    /// The requirement for these arguments.
    fn assess(&self, args: &A) -> Requirement;
}

impl<A, F> ApprovalPolicy<A> for F
where
    F: Fn(&A) -> Requirement + Send + Sync,
{
    fn assess(&self, args: &A) -> Requirement {
        self(args)
    }
}

/// Why a guarded call did not run (or failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The person denied the action: the tool did not run.
    #[error("the action was denied")]
    Denied,
    /// Nobody decided in time: the tool did not run.
    #[error("the approval request expired")]
    Expired,
    /// The approval granted less than the tool needs: the tool did not run.
    #[error("the approval did not grant the scope the tool needs")]
    Narrowed,
    /// Asking for approval failed: the tool did not run.
    #[error("asking for approval failed: {0}")]
    Approval(#[from] CibaError),
    /// The tool itself failed.
    #[error("the tool failed: {0}")]
    Tool(Box<dyn std::error::Error + Send + Sync>),
}

/// An async tool taking arguments `A`.
#[async_trait::async_trait]
pub trait Tool<A: Send + 'static>: Send + Sync {
    /// What the tool returns.
    type Output: Send;

    /// Runs the tool. `ctx` carries the approved tokens when a guard asked.
    async fn call(&self, args: A, ctx: ToolContext) -> Result<Self::Output, GuardError>;
}

/// A tool wrapped by an approval policy.
pub struct Guarded<T, P> {
    tool: T,
    policy: P,
    approver: Arc<dyn Approver>,
}

impl<T, P> std::fmt::Debug for Guarded<T, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded").finish_non_exhaustive()
    }
}

impl<T, P> Guarded<T, P> {
    /// Wraps `tool`: `policy` decides, `approver` asks the person.
    pub fn new(tool: T, policy: P, approver: Arc<dyn Approver>) -> Self {
        Self {
            tool,
            policy,
            approver,
        }
    }
}

#[async_trait::async_trait]
impl<A, T, P> Tool<A> for Guarded<T, P>
where
    A: Send + Sync + 'static,
    T: Tool<A>,
    P: ApprovalPolicy<A>,
{
    type Output = T::Output;

    async fn call(&self, args: A, ctx: ToolContext) -> Result<Self::Output, GuardError> {
        let ask = match self.policy.assess(&args) {
            Requirement::NotNeeded => return self.tool.call(args, ctx).await,
            Requirement::Approval(ask) => ask,
        };
        match seek_approval(&*self.approver, ask).await {
            Ok(tokens) => {
                let tokens: Arc<ApprovedTokens> = Arc::new(tokens);
                self.tool.call(args, ctx.with_approval(tokens)).await
            }
            Err(Refusal::Denied) => Err(GuardError::Denied),
            Err(Refusal::Expired) => Err(GuardError::Expired),
            Err(Refusal::Narrowed) => Err(GuardError::Narrowed),
            Err(Refusal::Failed(e)) => Err(GuardError::Approval(e)),
        }
    }
}

/// Why no approved tokens came back.
pub(crate) enum Refusal {
    Denied,
    Expired,
    Narrowed,
    Failed(CibaError),
}

/// Asks the person and checks the grant covers every scope asked for: an OP
/// may issue fewer scopes than requested (RFC 6749 section 3.3), and a tool
/// must not run on a narrowed grant.
pub(crate) async fn seek_approval(
    approver: &dyn Approver,
    ask: ApprovalAsk,
) -> Result<ApprovedTokens, Refusal> {
    let needed = ask.scope.clone();
    match approver.approve(ask).await {
        ApprovalOutcome::Approved(tokens) => {
            if needed.iter().all(|s| tokens.scope.contains(s)) {
                Ok(*tokens)
            } else {
                Err(Refusal::Narrowed)
            }
        }
        ApprovalOutcome::Denied | ApprovalOutcome::Cancelled => Err(Refusal::Denied),
        ApprovalOutcome::Expired => Err(Refusal::Expired),
        ApprovalOutcome::Failed(e) => Err(Refusal::Failed(e)),
    }
}
