//! Every kind of bad request gets the right status code and challenge.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::json;

const META: &str = "http://localhost:8000/.well-known/oauth-protected-resource/mcp";

fn assert_invalid_token(status: u16, challenge: Option<String>, description: &str) {
    assert_eq!(status, 401, "{description}");
    let c = challenge.expect("challenge");
    assert_eq!(param(&c, "error").as_deref(), Some("invalid_token"), "{c}");
    assert_eq!(param(&c, "resource_metadata").as_deref(), Some(META));
    assert!(
        param(&c, "error_description")
            .unwrap()
            .contains(description),
        "{c}"
    );
}

#[tokio::test]
async fn missing_token_gets_a_challenge_without_error_code() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let (status, c, _) = send(
        &app,
        post(None, rpc("tools/call", json!({"name": "crm_lookup"}))),
    )
    .await;
    assert_eq!(status, 401);
    let c = c.unwrap();
    assert_eq!(param(&c, "error"), None);
    assert_eq!(param(&c, "resource_metadata").as_deref(), Some(META));
    // Another scheme is no bearer token either.
    let req = Request::get("/mcp")
        .header("host", "localhost")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(Body::empty())
        .unwrap();
    let (status, c, _) = send(&app, req).await;
    assert_eq!(status, 401);
    assert_eq!(param(&c.unwrap(), "error"), None);
}

#[tokio::test]
async fn malformed_requests_get_400_invalid_request() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    for value in ["Bearer", "Bearer a b", "Bearer a,b", "Bearer =x"] {
        let req = Request::get("/mcp")
            .header("host", "localhost")
            .header("authorization", value)
            .body(Body::empty())
            .unwrap();
        let (status, c, _) = send(&app, req).await;
        assert_eq!(status, 400, "{value}");
        assert_eq!(
            param(&c.unwrap(), "error").as_deref(),
            Some("invalid_request")
        );
    }
    // Two Authorization headers.
    let token = f.token("mcp:crm:read");
    let req = Request::get("/mcp")
        .header("host", "localhost")
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, c, _) = send(&app, req).await;
    assert_eq!(status, 400);
    assert_eq!(
        param(&c.unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    // A token in the query string is refused even when the header is fine.
    let req = Request::get(format!("/mcp?access_token={token}"))
        .header("host", "localhost")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, c, _) = send(&app, req).await;
    assert_eq!(status, 400);
    assert_eq!(
        param(&c.unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    // A body that is not JSON-RPC, with a valid token.
    let (status, _, body) = send(&app, post(Some(&token), "{\"method\":1}".into())).await;
    assert_eq!(status, 400);
    assert!(body.contains("-32700"));
}

#[tokio::test]
async fn oversized_token() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let big = "a".repeat(40 * 1024);
    let (status, c, _) = send(&app, post(Some(&big), rpc("tools/list", json!({})))).await;
    assert_invalid_token(status, c, "too large");
    // Under the header cap but over the validator's 16 KiB token cap.
    let big = format!(
        "{}.{}.{}",
        "a".repeat(9000),
        "b".repeat(9000),
        "c".repeat(300)
    );
    let (status, c, _) = send(&app, post(Some(&big), rpc("tools/list", json!({})))).await;
    assert_invalid_token(status, c, "exceeds");
}

#[tokio::test]
async fn expired_wrong_audience_issuer_and_typ() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let body = || rpc("tools/list", json!({}));

    let mut c = f.claims(ISS_A, "mcp:crm:read");
    c.exp = Some(NOW - 1);
    let (s, ch, _) = send(&app, post(Some(&f.sign(&c)), body())).await;
    assert_invalid_token(s, ch, "expired");

    let mut c = f.claims(ISS_A, "mcp:crm:read");
    c.aud = vec!["http://localhost:8000/other".into()];
    let (s, ch, _) = send(&app, post(Some(&f.sign(&c)), body())).await;
    assert_invalid_token(s, ch, "wrong audience");

    // Issuer B's name on a token signed with A's key: B's key does not verify it.
    let mut c = f.claims(ISS_A, "mcp:crm:read");
    c.iss = Some(ISS_B.into());
    let token = agent_auth::jose::sign_compact(&f.key_a, Some("at+jwt"), &c).unwrap();
    let (s, ch, _) = send(&app, post(Some(token.expose_secret()), body())).await;
    assert_eq!(s, 401);
    assert_eq!(
        param(&ch.unwrap(), "error").as_deref(),
        Some("invalid_token")
    );

    // An issuer nobody trusts.
    let mut c = f.claims(ISS_A, "mcp:crm:read");
    c.iss = Some("https://evil.example".into());
    let token = agent_auth::jose::sign_compact(&f.key_a, Some("at+jwt"), &c).unwrap();
    let (s, ch, _) = send(&app, post(Some(token.expose_secret()), body())).await;
    assert_invalid_token(s, ch, "untrusted issuer");

    // Issuer A, audience right, but typed as an ID token.
    let c = f.claims(ISS_A, "mcp:crm:read");
    let token = agent_auth::jose::sign_compact(&f.key_a, Some("JWT"), &c).unwrap();
    let (s, ch, _) = send(&app, post(Some(token.expose_secret()), body())).await;
    assert_invalid_token(s, ch, "wrong token type");

    // Sender-constrained token used as a bearer token.
    let c = f
        .claims(ISS_A, "mcp:crm:read")
        .with("cnf", json!({"jkt": "abc"}));
    let (s, ch, _) = send(&app, post(Some(&f.sign(&c)), body())).await;
    assert_invalid_token(s, ch, "sender-constrained");

    // Tampered signature.
    let t = f.token("mcp:crm:read");
    let sig_start = t.rfind('.').unwrap() + 1;
    let mut bytes = t.into_bytes();
    let i = sig_start + 10;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let t = String::from_utf8(bytes).unwrap();
    let (s, ch, _) = send(&app, post(Some(&t), body())).await;
    assert_eq!(s, 401);
    assert_eq!(
        param(&ch.unwrap(), "error").as_deref(),
        Some("invalid_token")
    );
}

#[tokio::test]
async fn audience_spelling_and_two_issuers() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let mut c = f.claims(ISS_A, "mcp:crm:read");
    c.aud = vec![format!("{RESOURCE}/")];
    let (s, _, body) = send(&app, post(Some(&f.sign(&c)), rpc("tools/list", json!({})))).await;
    assert_eq!(s, 200, "{body}");
    let c = f.claims(ISS_B, "mcp:docs:read");
    let (s, _, body) = send(&app, post(Some(&f.sign(&c)), rpc("tools/list", json!({})))).await;
    assert_eq!(s, 200);
    assert!(body.starts_with("sarah|mcp:docs:read|"), "{body}");
}

#[tokio::test]
async fn revoked_token() {
    let f = Fixture::new();
    let guard = f.builder().build().unwrap();
    let app = app(&guard);
    let c = f.claims(ISS_A, "mcp:crm:read");
    let token = f.sign(&c);
    let (s, _, _) = send(&app, post(Some(&token), rpc("tools/list", json!({})))).await;
    assert_eq!(s, 200);
    guard
        .revocations()
        .revoke_token(ISS_A, c.jti.as_deref().unwrap(), c.exp.unwrap());
    let (s, ch, _) = send(&app, post(Some(&token), rpc("tools/list", json!({})))).await;
    assert_invalid_token(s, ch, "revoked");
}

#[tokio::test]
async fn insufficient_scope_lists_every_required_scope() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let token = f.token("mcp:docs:read");
    let (s, ch, _) = send(
        &app,
        post(
            Some(&token),
            rpc(
                "tools/call",
                json!({"name": "calendar_today", "arguments": {}}),
            ),
        ),
    )
    .await;
    assert_eq!(s, 403);
    let ch = ch.unwrap();
    assert_eq!(param(&ch, "error").as_deref(), Some("insufficient_scope"));
    // Required first, then what the token already holds, so step-up keeps it.
    assert_eq!(
        param(&ch, "scope").as_deref(),
        Some("mcp:calendar:read mcp:docs:read")
    );
    assert_eq!(param(&ch, "resource_metadata").as_deref(), Some(META));
    // A batch needs the union of its calls.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "crm_lookup"}},
        {"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {"uri": "docs://proposals/templates"}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "calendar_today"}}
    ]);
    let (s, ch, _) = send(&app, post(Some(&f.token("")), batch.to_string())).await;
    assert_eq!(s, 403);
    assert_eq!(
        param(&ch.unwrap(), "scope").as_deref(),
        Some("mcp:calendar:read mcp:crm:read mcp:docs:read")
    );
    // With the scope, the call goes through.
    let (s, _, _) = send(
        &app,
        post(
            Some(&f.token("mcp:calendar:read")),
            rpc("tools/call", json!({"name": "calendar_today"})),
        ),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn host_and_origin_against_dns_rebinding() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let token = f.token("mcp:crm:read");
    for (host, origin) in [
        ("evil.example.com", None),
        ("localhost:8000", Some("http://evil.example.com")),
    ] {
        let mut b = Request::post("/mcp")
            .header("host", host)
            .header("authorization", format!("Bearer {token}"));
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        let (s, _, _) = send(
            &app,
            b.body(Body::from(rpc("tools/list", json!({})))).unwrap(),
        )
        .await;
        assert_eq!(s, 403, "{host} {origin:?}");
    }
    let req = Request::post("/mcp")
        .header("host", "127.0.0.1:8000")
        .header("origin", "http://localhost:8000")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(rpc("tools/list", json!({}))))
        .unwrap();
    assert_eq!(send(&app, req).await.0, 200);
}

#[tokio::test]
async fn metadata_at_path_inserted_and_root_urls() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let req = Request::get(path)
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        let (s, _, body) = send(&app, req).await;
        assert_eq!(s, 200);
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["resource"], RESOURCE);
        assert_eq!(doc["authorization_servers"], json!([ISS_A, ISS_B]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(doc["resource_name"], "Seed CRM");
        assert_eq!(
            doc["scopes_supported"],
            json!(["mcp:calendar:read", "mcp:crm:read", "mcp:docs:read"])
        );
    }
}
