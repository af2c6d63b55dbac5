//! The audit layer: one [`AuditEvent`] per tool call, naming the agent, the
//! user it acts for, the tool, the outcome and the reason of a refusal.

use super::{Tool, ToolCall, ToolError, ToolFuture, ToolOutput, ready_inner};
use crate::audit::{AuditAction, AuditEvent, Outcome, SharedSink};
use crate::clock::SharedClock;
use std::task::{Context, Poll};

/// The name of the [`AuditAction::Other`] action tool calls are recorded as.
pub const TOOL_CALL_ACTION: &str = "tool_call";

/// Records every call that passes through it. Outermost, it sees every
/// refusal of the layers inside; innermost, only calls that reached the tool.
#[derive(Debug, Clone)]
pub struct AuditLayer {
    sink: SharedSink,
    clock: SharedClock,
}

impl AuditLayer {
    /// Records into `sink`, with times from `clock`.
    pub fn new(sink: SharedSink, clock: SharedClock) -> Self {
        Self { sink, clock }
    }
}

impl<S> tower::Layer<S> for AuditLayer {
    type Service = AuditService<S>;

    fn layer(&self, inner: S) -> AuditService<S> {
        AuditService {
            inner,
            layer: self.clone(),
        }
    }
}

/// A tool inside an [`AuditLayer`].
#[derive(Debug, Clone)]
pub struct AuditService<S> {
    inner: S,
    layer: AuditLayer,
}

impl<S: Tool> tower::Service<ToolCall> for AuditService<S> {
    type Response = ToolOutput;
    type Error = ToolError;
    type Future = ToolFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ToolError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: ToolCall) -> ToolFuture {
        let mut inner = ready_inner(&mut self.inner);
        let layer = self.layer.clone();
        Box::pin(async move {
            if !layer.sink.enabled() {
                return inner.call(call).await;
            }
            let event = started(&call);
            let result = inner.call(call).await;
            let event = match &result {
                Ok(_) => event.outcome(Outcome::Success),
                Err(e) => event.outcome(e.outcome()).reason(e.reason()),
            };
            layer.sink.record(&event.at(layer.clock.now()));
            result
        })
    }
}

/// The event's facts known before the call runs (the call moves inward).
struct Started {
    agent: String,
    user: Option<String>,
    tool: String,
    chain: Vec<String>,
    outcome: Outcome,
    reason: Option<&'static str>,
}

fn started(call: &ToolCall) -> Started {
    let ctx = call.context();
    Started {
        agent: ctx.agent().to_owned(),
        user: ctx.user().map(str::to_owned),
        tool: call.name().to_owned(),
        chain: ctx
            .on_behalf_of()
            .iter()
            .map(|a| a.subject().to_owned())
            .collect(),
        outcome: Outcome::Success,
        reason: None,
    }
}

impl Started {
    fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    fn reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    fn at(self, time: i64) -> AuditEvent {
        let mut event = AuditEvent::new(
            time,
            AuditAction::Other(TOOL_CALL_ACTION.to_owned()),
            self.outcome,
        )
        .agent(self.agent)
        .target(self.tool.clone())
        .detail("tool", self.tool);
        if let Some(user) = self.user {
            event = event.user(user);
        }
        if let Some(reason) = self.reason {
            event = event.reason(reason);
        }
        if !self.chain.is_empty() {
            event.on_behalf_of.clone_from(&self.chain);
            event = event.detail("act", self.chain);
        }
        event
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::audit::MemorySink;
    use crate::clock::ManualClock;
    use crate::tool::{ToolContext, tool_fn};
    use crate::validate::Claims;
    use serde_json::json;
    use std::sync::Arc;
    use tower::{Layer as _, ServiceExt as _};

    fn call(name: &str) -> ToolCall {
        let mut claims = Claims::new()
            .with("client_id", "sales-agent")
            .with("act", json!({"sub": "sales-agent"}));
        claims.sub = Some("user-sarah".into());
        let ctx = ToolContext::from_verified_claims(&claims).unwrap();
        ToolCall::new(name, json!({"secret_arg": "do-not-log"}), ctx)
    }

    #[tokio::test]
    async fn every_call_is_audited_with_actor_user_tool_outcome_and_reason() {
        let sink = MemorySink::new();
        let layer = AuditLayer::new(Arc::new(sink.clone()), Arc::new(ManualClock::new(1_000)));
        let ok = layer.layer(tool_fn(|_| async { Ok(ToolOutput::text("done")) }));
        let denied = layer.layer(tool_fn(|_| async { Err(ToolError::ApprovalDenied) }));
        let broken = layer.layer(tool_fn(|_| async { Err(ToolError::tool("boom")) }));

        ok.oneshot(call("send")).await.unwrap();
        denied.oneshot(call("send")).await.unwrap_err();
        broken.oneshot(call("crm")).await.unwrap_err();

        let events = sink.events();
        assert_eq!(events.len(), 3);
        let first = &events[0];
        assert_eq!(first.action, AuditAction::Other("tool_call".into()));
        assert_eq!(first.time, 1_000);
        assert_eq!(first.agent.as_deref(), Some("sales-agent"));
        assert_eq!(first.user.as_deref(), Some("user-sarah"));
        assert_eq!(first.details["tool"], "send");
        assert_eq!(first.details["act"], json!(["sales-agent"]));
        assert_eq!(first.target.as_deref(), Some("send"));
        assert_eq!(first.on_behalf_of, ["sales-agent"]);
        assert_eq!(first.outcome, Outcome::Success);
        assert_eq!(first.reason, None);
        assert_eq!(events[1].outcome, Outcome::Denied);
        assert_eq!(events[1].reason.as_deref(), Some("approval_denied"));
        assert_eq!(events[2].outcome, Outcome::Error);
        assert_eq!(events[2].reason.as_deref(), Some("tool_error"));
        let logged = serde_json::to_string(&events).unwrap();
        assert!(!logged.contains("do-not-log"), "arguments never logged");
    }
}
