//! The tool-call hook as an adapter over agent-auth's tool layers: the same
//! FGA, approval and audit layers an agent puts around its tools decide on the
//! `tools/call` requests an MCP server receives.

use crate::fga::{ToolCallHook, ToolDecision};
use crate::principal::Principal;
use agent_auth::tool::{
    BoxTool, Tool, ToolCall, ToolContext, ToolError, ToolOutput, boxed, tool_fn,
};
use std::future::Ready;
use tower::ServiceExt as _;

/// The tool at the centre of a [`ToolStackHook`]: reaching it means every
/// layer allowed the call (the MCP server then runs the real tool).
pub type Gate = agent_auth::tool::ToolFn<fn(ToolCall) -> Ready<Result<ToolOutput, ToolError>>>;

fn allow(_: ToolCall) -> Ready<Result<ToolOutput, ToolError>> {
    std::future::ready(Ok(ToolOutput::Json(serde_json::Value::Null)))
}

/// A [`ToolCallHook`] that runs each call through layers around a [`Gate`]:
/// the call is allowed when it passes them all; a layer's [`ToolError`]
/// becomes the denial's reason (its message holds no secrets). Who acts comes
/// from the principal's verified claims.
#[derive(Clone)]
pub struct ToolStackHook {
    stack: BoxTool,
}

impl std::fmt::Debug for ToolStackHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolStackHook").finish_non_exhaustive()
    }
}

impl ToolStackHook {
    /// Decides with `layers` (e.g. a `tower::ServiceBuilder` of tool layers).
    pub fn new<L>(layers: L) -> Self
    where
        L: tower::Layer<Gate>,
        L::Service: Tool,
    {
        let gate: Gate = tool_fn(allow as fn(ToolCall) -> _);
        Self {
            stack: boxed(layers.layer(gate)),
        }
    }
}

#[async_trait::async_trait]
impl ToolCallHook for ToolStackHook {
    async fn authorize(
        &self,
        principal: &Principal,
        tool: &str,
        arguments: &serde_json::Value,
    ) -> ToolDecision {
        // The principal's claims were verified by the guard (JWT or RFC 7662).
        let ctx = match ToolContext::from_verified_claims(&principal.claims) {
            Ok(ctx) => ctx,
            Err(e) => {
                return ToolDecision::Deny {
                    reason: e.to_string(),
                };
            }
        };
        let call = ToolCall::new(tool, arguments.clone(), ctx);
        match self.stack.clone().oneshot(call).await {
            Ok(_) => ToolDecision::Allow,
            Err(e) => ToolDecision::Deny {
                reason: e.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;
    use crate::principal::TokenSource;
    use agent_auth::audit::{MemorySink, Outcome};
    use agent_auth::clock::ManualClock;
    use agent_auth::tool::{AuditLayer, FgaCheck, FgaLayer};
    use agent_auth::validate::Claims;
    use fga_core::{EmbeddedBackend, Engine, FgaBackend, TupleKey};
    use serde_json::json;
    use std::sync::Arc;

    fn principal(sub: &str) -> Principal {
        let mut claims = Claims::new().with("client_id", "sales-agent");
        claims.sub = Some(sub.into());
        Principal::from_claims("https://auth.example", claims, TokenSource::Jwt)
    }

    #[tokio::test]
    async fn the_hook_decides_with_the_tool_layers() {
        let engine = Engine::from_dsl(
            "model\n  schema 1.1\ntype user\ntype account\n  relations\n    define editor: [user]\n",
        )
        .unwrap();
        let backend = EmbeddedBackend::new(engine);
        backend
            .write(
                vec![TupleKey::new("account:acme", "editor", "user:sarah")],
                vec![],
            )
            .await
            .unwrap();
        let fga = FgaLayer::new(Arc::new(backend) as Arc<dyn FgaBackend>).rule(
            "crm_update",
            |call: &ToolCall| {
                let account = call.arguments()["account"].as_str().unwrap_or_default();
                Ok(FgaCheck::new(format!("account:{account}"), "editor"))
            },
        );
        let sink = MemorySink::new();
        let audit = AuditLayer::new(Arc::new(sink.clone()), Arc::new(ManualClock::new(0)));
        let hook = ToolStackHook::new(tower::ServiceBuilder::new().layer(audit).layer(fga));

        let args = json!({"account": "acme"});
        assert_eq!(
            hook.authorize(&principal("sarah"), "crm_update", &args)
                .await,
            ToolDecision::Allow
        );
        let ToolDecision::Deny { reason } = hook
            .authorize(&principal("mallory"), "crm_update", &args)
            .await
        else {
            panic!("mallory was allowed");
        };
        assert!(
            reason.contains("editor") && reason.contains("account:acme"),
            "{reason}"
        );
        let events = sink.events();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].outcome, Outcome::Denied);
        assert_eq!(events[1].user.as_deref(), Some("mallory"));
        assert_eq!(events[1].agent.as_deref(), Some("sales-agent"));
    }

    #[tokio::test]
    async fn a_token_naming_no_client_is_denied() {
        let hook = ToolStackHook::new(tower::layer::util::Identity::new());
        let mut claims = Claims::new();
        claims.sub = Some("sarah".into());
        let p = Principal::from_claims("https://auth.example", claims, TokenSource::Jwt);
        assert!(matches!(
            hook.authorize(&p, "crm_update", &json!({})).await,
            ToolDecision::Deny { .. }
        ));
    }
}
