//! The approval layer: the guard as a `tower::Layer` over agent-auth's tool
//! calls. The policy decides from the call (its arguments); approved tokens go
//! into the call's extensions as [`ApprovedTokens`].

use super::{ApprovalPolicy, Approver, Refusal, Requirement, seek_approval};
use crate::client::ApprovedTokens;
use agent_auth::tool::{Tool, ToolCall, ToolError, ToolFuture, ToolOutput, ready_inner};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Asks a person before a call runs when the policy requires it. A denial, an
/// expiry or a narrowed grant never reaches the layers inside.
#[derive(Clone)]
pub struct ApprovalLayer {
    policy: Arc<dyn ApprovalPolicy<ToolCall>>,
    approver: Arc<dyn Approver>,
}

impl std::fmt::Debug for ApprovalLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalLayer").finish_non_exhaustive()
    }
}

impl ApprovalLayer {
    /// `policy` decides from each call, `approver` asks the person.
    pub fn new(
        policy: impl ApprovalPolicy<ToolCall> + 'static,
        approver: Arc<dyn Approver>,
    ) -> Self {
        Self {
            policy: Arc::new(policy),
            approver,
        }
    }

    async fn approve(&self, call: &mut ToolCall) -> Result<(), ToolError> {
        let ask = match self.policy.assess(call) {
            Requirement::NotNeeded => return Ok(()),
            Requirement::Approval(ask) => ask,
        };
        let tokens = seek_approval(&*self.approver, ask)
            .await
            .map_err(into_tool_error)?;
        call.extensions_mut().insert::<ApprovedTokens>(tokens);
        Ok(())
    }
}

fn into_tool_error(refusal: Refusal) -> ToolError {
    match refusal {
        Refusal::Denied => ToolError::ApprovalDenied,
        Refusal::Expired => ToolError::ApprovalExpired,
        Refusal::Narrowed => {
            ToolError::ApprovalFailed("the approval did not grant the scope the tool needs".into())
        }
        Refusal::Failed(e) => ToolError::ApprovalFailed(e.to_string()),
    }
}

impl<S> tower::Layer<S> for ApprovalLayer {
    type Service = ApprovalService<S>;

    fn layer(&self, inner: S) -> ApprovalService<S> {
        ApprovalService {
            inner,
            layer: self.clone(),
        }
    }
}

/// A tool inside an [`ApprovalLayer`].
#[derive(Debug, Clone)]
pub struct ApprovalService<S> {
    inner: S,
    layer: ApprovalLayer,
}

impl<S: Tool> tower::Service<ToolCall> for ApprovalService<S> {
    type Response = ToolOutput;
    type Error = ToolError;
    type Future = ToolFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ToolError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut call: ToolCall) -> ToolFuture {
        let mut inner = ready_inner(&mut self.inner);
        let layer = self.layer.clone();
        Box::pin(async move {
            layer.approve(&mut call).await?;
            inner.call(call).await
        })
    }
}
