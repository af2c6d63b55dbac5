//! Tools as layers: FGA check, CIBA approval (through the reference
//! authority's CIBA OP), vault credential, output filter and audit around one
//! tool, in two nesting orders; a denial by FGA never reaches approval or the
//! vault, a denial by the person never fetches the credential.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../integrations/rig/tests/support/mod.rs"]
mod support;

use agent_auth::audit::{AuditAction, AuditEvent, MemorySink, Outcome};
use agent_auth::tool::{BoxTool, ToolCall, ToolError, ToolOutput, boxed, tool_fn};
use ciba_client::ApprovedTokens;
use serde_json::json;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::SALESFORCE_TOKEN;
use token_vault_client::agent::VaultCredential;
use token_vault_client::filter::{FilterMode, OutputFilter, OutputFilterLayer};
use tower::{ServiceBuilder, ServiceExt as _};

/// The shared tool-layer world, and how many times the tool ran.
struct World {
    base: support::World,
    runs: Arc<AtomicUsize>,
}

impl Deref for World {
    type Target = support::World;
    fn deref(&self) -> &support::World {
        &self.base
    }
}

impl DerefMut for World {
    fn deref_mut(&mut self) -> &mut support::World {
        &mut self.base
    }
}

async fn world() -> World {
    World {
        base: support::world().await,
        runs: Arc::new(AtomicUsize::new(0)),
    }
}

impl World {
    fn call(&self, user: &str, amount: u64) -> ToolCall {
        ToolCall::new(
            "send_proposal",
            json!({"customer": "acme", "amount": amount}),
            self.context(user),
        )
    }

    /// The tool: sends the proposal with the Salesforce token and, carelessly,
    /// echoes the token in its output.
    fn tool(&self) -> impl agent_auth::tool::Tool {
        let runs = Arc::clone(&self.runs);
        tool_fn(move |call: ToolCall| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move {
                let credential = call
                    .extensions()
                    .get::<VaultCredential>()
                    .ok_or_else(|| ToolError::tool("no credential"))?;
                let approved = call.extensions().get::<ApprovedTokens>().is_some();
                Ok(ToolOutput::json(json!({
                    "sent": true,
                    "approved": approved,
                    "debug": format!("Authorization: Bearer {}", credential.token().expose_secret()),
                })))
            }
        })
    }

    fn filter_layer(&self) -> OutputFilterLayer {
        let values = self.vault.secret_values().unwrap();
        OutputFilterLayer::new(OutputFilter::new(FilterMode::Redact).with_values(&values))
    }

    /// Audit outermost, then the output filter, FGA, approval, credential.
    fn stack_a(&self) -> BoxTool {
        boxed(
            ServiceBuilder::new()
                .layer(self.audit_layer())
                .layer(self.filter_layer())
                .layer(self.fga_layer())
                .layer(self.approval_layer())
                .layer(self.credential_layer())
                .service(self.tool()),
        )
    }

    /// Another nesting: FGA outermost, then approval, audit, credential, and
    /// the filter right around the tool.
    fn stack_b(&self) -> BoxTool {
        boxed(
            ServiceBuilder::new()
                .layer(self.fga_layer())
                .layer(self.approval_layer())
                .layer(self.audit_layer())
                .layer(self.credential_layer())
                .layer(self.filter_layer())
                .service(self.tool()),
        )
    }
}

fn last(audit: &MemorySink) -> AuditEvent {
    audit.events().pop().expect("an audit event")
}

async fn approved_call_is_filtered_and_audited(w: &mut World, stack: BoxTool) {
    let runs = w.runs.load(Ordering::SeqCst);
    let call = w.call("user-sarah", 450_000);
    let (out, ask) = tokio::join!(stack.oneshot(call), w.answer(true));
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450000 EUR")
    );
    let out = out.unwrap();
    let json = out.as_json().unwrap();
    assert_eq!(json["sent"], true);
    assert_eq!(
        json["approved"], true,
        "the approved tokens reached the tool"
    );
    let shown = out.to_string();
    assert!(!shown.contains(SALESFORCE_TOKEN), "{shown}");
    assert!(shown.contains("[REDACTED:"), "{shown}");
    assert_eq!(w.runs.load(Ordering::SeqCst), runs + 1);

    let event = last(&w.audit);
    assert_eq!(event.action, AuditAction::Other("tool_call".into()));
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.agent.as_deref(), Some("sales-agent"));
    assert_eq!(event.user.as_deref(), Some("user-sarah"));
    assert_eq!(event.details["tool"], "send_proposal");
    assert!(
        !serde_json::to_string(&event)
            .unwrap()
            .contains(SALESFORCE_TOKEN)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_layer_acts_in_either_nesting_order() {
    let mut w = world().await;
    let stack = w.stack_a();
    approved_call_is_filtered_and_audited(&mut w, stack).await;
    let stack = w.stack_b();
    approved_call_is_filtered_and_audited(&mut w, stack).await;

    // Below the threshold nobody is asked; the credential is still injected.
    let out = w
        .stack_a()
        .oneshot(w.call("user-sarah", 10_000))
        .await
        .unwrap();
    assert_eq!(out.as_json().unwrap()["approved"], false);
    assert!(w.phone.try_recv().is_err(), "no approval was asked");
    assert_eq!(w.audit.events().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_fga_denial_never_reaches_approval_or_the_vault() {
    let mut w = world().await;
    let reads = w.vault_reads();
    for stack in [w.stack_a(), w.stack_b()] {
        let err = stack
            .oneshot(w.call("user-mallory", 450_000))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ToolError::Forbidden { user, .. } if user == "user:user-mallory"),
            "{err:?}"
        );
    }
    // Audit is outermost in the first order: it records the refusal.
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, Outcome::Denied);
    assert_eq!(events[0].reason.as_deref(), Some("forbidden"));
    assert_eq!(events[0].user.as_deref(), Some("user-mallory"));
    assert!(w.phone.try_recv().is_err(), "no approval was asked");
    assert_eq!(w.vault_reads(), reads, "the vault was never read");
    assert_eq!(w.runs.load(Ordering::SeqCst), 0, "the tool never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_denial_never_fetches_the_credential() {
    let mut w = world().await;
    let reads = w.vault_reads();
    for stack in [w.stack_a(), w.stack_b()] {
        let call = w.call("user-sarah", 450_000);
        let (result, _) = tokio::join!(stack.oneshot(call), w.answer(false));
        assert!(
            matches!(result, Err(ToolError::ApprovalDenied)),
            "{result:?}"
        );
    }
    let event = last(&w.audit);
    assert_eq!(event.outcome, Outcome::Denied);
    assert_eq!(event.reason.as_deref(), Some("approval_denied"));
    assert_eq!(
        w.audit.events().len(),
        1,
        "the second order audits inside approval"
    );
    assert_eq!(w.vault_reads(), reads, "the vault was never read");
    assert_eq!(w.runs.load(Ordering::SeqCst), 0, "the tool never ran");
}
