//! Who may call the PDP: bearer access tokens of the authority, meant for the
//! PDP (audience) and holding its scope (RFC 6750 section 3).

use crate::{ISSUER, harness, no_directory, post};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::authzen::paths;
use axum::body::Body;
use axum::http::Request;
use reference_authority::authzen::http::PDP_SCOPE;
use serde_json::json;

fn question() -> String {
    json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"},
        "resource": {"type": "doc", "id": "1"}})
    .to_string()
}

#[tokio::test]
async fn a_call_without_a_token_is_401_with_a_bare_bearer_challenge() {
    let h = harness(|b| b.directory(no_directory()));
    for path in [paths::EVALUATION, paths::EVALUATIONS, paths::SEARCH_ACTION] {
        let (status, headers, _) = h.send(post(path, None, question())).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(headers.get("www-authenticate").unwrap(), "Bearer");
    }
}

#[tokio::test]
async fn a_forged_token_is_401_invalid_token() {
    let h = harness(|b| b);
    let (status, headers, body) = h
        .send(post(
            paths::EVALUATION,
            Some("eyJhbGciOiJub25lIn0.e30."),
            question(),
        ))
        .await;
    assert_eq!(status, 401);
    assert!(
        headers
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn a_token_for_another_audience_is_401() {
    let h = harness(|b| b);
    let token = h.token("pep", PDP_SCOPE, "https://crm.example/mcp").await;
    let (status, _, body) = h
        .send(post(paths::EVALUATION, Some(&token), question()))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("not meant for this PDP")
    );
}

#[tokio::test]
async fn a_token_without_the_pdp_scope_is_403_insufficient_scope() {
    let h = harness(|b| b);
    let token = h.token("other", "crm:read", ISSUER).await;
    let (status, headers, _) = h
        .send(post(paths::EVALUATION, Some(&token), question()))
        .await;
    assert_eq!(status, 403);
    let challenge = headers.get("www-authenticate").unwrap().to_str().unwrap();
    assert!(challenge.contains("insufficient_scope") && challenge.contains(PDP_SCOPE));
}

#[tokio::test]
async fn a_refused_caller_gets_no_decision_and_is_audited() {
    let h = harness(|b| b);
    let before = h.audit.events().len();
    let _ = h
        .send(post(paths::EVALUATION, Some("not-a-token"), question()))
        .await;
    let events = h.audit.events();
    let new = &events[before..];
    assert!(
        new.iter()
            .any(|e| e.action == AuditAction::TokenValidated && e.outcome == Outcome::Denied)
    );
    assert!(
        !new.iter()
            .any(|e| e.action == AuditAction::AuthorizationDecision)
    );
    // The secret token never reaches the audit trail.
    assert!(!format!("{new:?}").contains("not-a-token"));
}

#[tokio::test]
async fn the_metadata_document_is_public() {
    let h = harness(|b| b);
    let request = Request::get(paths::METADATA).body(Body::empty()).unwrap();
    let (status, _, body) = h.send(request).await;
    assert_eq!(status, 200);
    assert_eq!(body["policy_decision_point"], ISSUER);
}
