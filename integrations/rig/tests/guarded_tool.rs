//! The guarded rig tool, driven by a real rig agent over the scripted model:
//! an allowed call runs, FGA refuses before anything else, a risky call waits
//! for CIBA and runs only when approved, the output filter redacts the
//! credential the tool echoes, and every call leaves one audit event free of
//! secrets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::tool::{ToolCall, ToolError, ToolOutput, tool_fn};
use agent_auth_rig::scripted::{Reply, Script};
use agent_auth_rig::{GuardedTool, Guards};
use rig_agent::AgentBuilder;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{SALESFORCE_TOKEN, World, world};
use token_vault_client::agent::VaultCredential;

/// Sends the proposal with the vault's token and, carelessly, echoes it.
fn send_proposal(runs: Arc<AtomicUsize>) -> impl agent_auth::tool::Tool {
    tool_fn(move |call: ToolCall| {
        runs.fetch_add(1, Ordering::SeqCst);
        async move {
            let credential = call
                .extensions()
                .get::<VaultCredential>()
                .ok_or_else(|| ToolError::tool("no credential"))?;
            Ok(ToolOutput::json(json!({
                "sent": true,
                "debug": format!("Authorization: Bearer {}", credential.token().expose_secret()),
            })))
        }
    })
}

fn guarded(w: &World, user: &str, runs: Arc<AtomicUsize>) -> GuardedTool {
    let guards = Guards::new(w.audit_layer())
        .fga(w.fga_layer())
        .approval(w.approval_layer())
        .credential(w.credential_layer());
    GuardedTool::new(
        "send_proposal",
        "Send a pricing proposal to a customer",
        json!({"type": "object", "properties": {
            "customer": {"type": "string"}, "amount": {"type": "integer"}}}),
        guards.wrap(send_proposal(runs)),
        w.context(user),
    )
}

/// Runs a rig agent whose model calls `send_proposal` with `arguments`, then
/// answers; returns what the model saw as the tool's result.
async fn run_agent(tool: GuardedTool, arguments: serde_json::Value) -> String {
    let model = Script::model([Reply::call("send_proposal", arguments), Reply::text("done")]);
    let script = model.transport.clone();
    let agent = AgentBuilder::new(model)
        .dynamic_tool(tool.into_dynamic().unwrap())
        .build();
    let response = agent
        .prompt("Send Acme the proposal")
        .max_turns(3)
        .await
        .unwrap();
    assert_eq!(script.remaining(), 0, "the agent used both replies");
    let seen = serde_json::to_string(&response.messages).unwrap();
    assert!(seen.contains("send_proposal"), "{seen}");
    seen
}

#[tokio::test]
async fn an_allowed_call_runs_through_rigs_tool_path_and_is_audited() {
    let w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = run_agent(
        guarded(&w, "user-sarah", runs.clone()),
        json!({"customer": "acme", "amount": 20_000}),
    )
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(seen.contains(r#""value":{"sent":true"#), "{seen}");
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, AuditAction::Other("tool_call".into()));
    assert_eq!(events[0].outcome, Outcome::Success);
    assert_eq!(events[0].user.as_deref(), Some("user-sarah"));
    assert_eq!(events[0].agent.as_deref(), Some("sales-agent"));
}

#[tokio::test]
async fn the_output_filter_redacts_the_credential_before_the_model_sees_it() {
    let w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = run_agent(
        guarded(&w, "user-sarah", runs.clone()),
        json!({"customer": "acme", "amount": 20_000}),
    )
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(
        !seen.contains(SALESFORCE_TOKEN),
        "the model saw the token: {seen}"
    );
    assert!(
        seen.contains("Bearer [REDACTED:salesforce-access-token]"),
        "{seen}"
    );
}

#[tokio::test]
async fn fga_refuses_a_user_without_the_relation_before_the_tool_runs() {
    let w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = run_agent(
        guarded(&w, "user-mallory", runs.clone()),
        json!({"customer": "acme", "amount": 20_000}),
    )
    .await;
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the tool never ran");
    assert!(seen.contains("not authorized"), "{seen}");
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, Outcome::Denied);
    assert_eq!(events[0].reason.as_deref(), Some("forbidden"));
}

#[tokio::test]
async fn a_risky_call_waits_for_ciba_and_runs_once_approved() {
    let mut w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let tool = guarded(&w, "user-sarah", runs.clone());
    let (seen, ask) = tokio::join!(
        run_agent(tool, json!({"customer": "acme", "amount": 450_000})),
        w.answer(true)
    );
    assert_eq!(
        ask.binding_message.as_deref(),
        Some("Acme Corp - 450000 EUR")
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(!seen.contains(SALESFORCE_TOKEN), "{seen}");
    assert_eq!(w.audit.events()[0].outcome, Outcome::Success);
}

#[tokio::test]
async fn a_risky_call_the_user_denies_never_runs() {
    let mut w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let tool = guarded(&w, "user-sarah", runs.clone());
    let (seen, _) = tokio::join!(
        run_agent(tool, json!({"customer": "acme", "amount": 450_000})),
        w.answer(false)
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the tool never ran");
    assert!(seen.contains("the action was denied"), "{seen}");
    let events = w.audit.events();
    assert_eq!(events[0].outcome, Outcome::Denied);
    assert_eq!(events[0].reason.as_deref(), Some("approval_denied"));
}

#[tokio::test]
async fn audit_events_never_carry_arguments_tokens_or_outputs() {
    let mut w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let allowed = guarded(&w, "user-sarah", runs.clone());
    run_agent(allowed, json!({"customer": "acme", "amount": 20_000})).await;
    let risky = guarded(&w, "user-sarah", runs.clone());
    let _ = tokio::join!(
        run_agent(risky, json!({"customer": "acme", "amount": 450_000})),
        w.answer(true)
    );
    let refused = guarded(&w, "user-mallory", runs.clone());
    run_agent(refused, json!({"customer": "acme", "amount": 20_000})).await;
    let events = w.audit.events();
    assert_eq!(events.len(), 3, "one event per call");
    let logged = serde_json::to_string(&events).unwrap();
    for secret in [SALESFORCE_TOKEN, support::SECRET, "450000", "Bearer"] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
}

/// rig names no call; each call is still its own for the layers, so the
/// vault layer's token cache (kept for one tool call) never serves a later
/// call, which asks the vault again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_call_asks_the_vault_for_its_own_token() {
    let w = world().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let tool = guarded(&w, "user-sarah", Arc::clone(&runs));
    let before = w.vault_reads();
    for _ in 0..2 {
        tool.call(json!({"customer": "acme", "amount": 10}))
            .await
            .unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(w.vault_reads(), before + 2, "one vault read per call");
}
