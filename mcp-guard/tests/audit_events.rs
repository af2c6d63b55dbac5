//! Every admit and refusal of the guard becomes an audit event with its
//! reason, tool or resource, agent, user and token `jti`; the metadata
//! document does not.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use axum::body::Body;
use axum::http::Request;
use common::*;
use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::{ResourceAccess, UriMapping};
use serde_json::json;
use std::sync::Arc;

const MODEL: &str = "model
  schema 1.1

type user

type resource
  relations
    define reader: [user]
";

fn fga() -> ResourceAccess {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    engine
        .write(
            &[TupleKey::new(
                "resource:crm+3A//contacts/acme-corp",
                "reader",
                "user:a|sarah",
            )],
            &[],
        )
        .unwrap();
    ResourceAccess::new(
        Arc::new(EmbeddedBackend::new(engine)),
        "reader",
        UriMapping::escaped("resource"),
    )
    .issuer_aliases(&[(ISS_A, "a"), (ISS_B, "b")])
    .unwrap()
}

#[tokio::test]
async fn guard_records_admits_and_refusals_with_reason_and_target() {
    let f = Fixture::new();
    let sink = MemorySink::new();
    let guard = f
        .builder()
        .resource_access(fga())
        .audit(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let app = app(&guard);
    let token = f.token("mcp:crm:read");
    let read = |uri: &str| rpc("resources/read", json!({"uri": uri}));

    send(&app, post(Some(&token), read("crm://contacts/acme-corp"))).await;
    send(
        &app,
        post(Some(&token), read("pricing://executive-discounts")),
    )
    .await;
    send(&app, post(None, read("crm://contacts/acme-corp"))).await;
    send(
        &app,
        post(
            Some(&f.token("mcp:docs:read")),
            read("crm://contacts/acme-corp"),
        ),
    )
    .await;
    send(
        &app,
        post(Some("not.a.token"), read("crm://contacts/acme-corp")),
    )
    .await;
    // The metadata document is not a decision.
    let metadata = Request::get("/.well-known/oauth-protected-resource/mcp")
        .header("host", "localhost:8000")
        .body(Body::empty())
        .unwrap();
    send(&app, metadata).await;

    let events = sink.events();
    assert_eq!(events.len(), 5, "{events:#?}");
    assert!(
        events
            .iter()
            .all(|e| e.action == AuditAction::AuthorizationDecision)
    );
    assert!(events.iter().all(|e| e.time == NOW));

    let admitted = &events[0];
    assert_eq!(admitted.outcome, Outcome::Success);
    assert_eq!(admitted.target.as_deref(), Some("crm://contacts/acme-corp"));
    assert_eq!(admitted.agent.as_deref(), Some("sales-agent"));
    assert_eq!(admitted.user.as_deref(), Some("sarah"));
    assert!(admitted.token_jti.is_some());
    assert_eq!(admitted.details["method"], "resources/read");

    let fga_denied = &events[1];
    assert_eq!(fga_denied.outcome, Outcome::Denied);
    assert_eq!(fga_denied.reason.as_deref(), Some("fga_denied"));
    assert_eq!(
        fga_denied.target.as_deref(),
        Some("pricing://executive-discounts")
    );

    assert_eq!(events[2].reason.as_deref(), Some("no_token"));
    assert_eq!(events[2].agent, None);
    assert_eq!(events[3].reason.as_deref(), Some("insufficient_scope"));
    assert_eq!(events[4].reason.as_deref(), Some("invalid_token"));
    // No token bytes in any event.
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&token));
}

#[tokio::test]
async fn guard_without_audit_sink_records_nothing_and_still_decides() {
    let f = Fixture::new();
    let guard = f.builder().resource_access(fga()).build().unwrap();
    let app = app(&guard);
    let (status, _, _) = send(
        &app,
        post(
            None,
            rpc("resources/read", json!({"uri": "crm://contacts/acme-corp"})),
        ),
    )
    .await;
    assert_eq!(status, 401);
}
