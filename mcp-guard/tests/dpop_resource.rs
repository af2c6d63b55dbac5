//! RFC 9449 at the resource: a DPoP-bound token is accepted only with the
//! `DPoP` scheme and a proof of its key for this request (section 7.1), is
//! refused as a bearer token (section 7.2), and the guard answers with `DPoP`
//! challenges carrying `algs` and, when it requires them, nonces (section 9).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::Clock;
use agent_auth::dpop::{DpopKey, NonceSource};
use axum::body::Body;
use axum::http::{Request, Response};
use common::{Fixture, ISS_A, RESOURCE, app, rpc};
use mcp_guard::DpopPolicy;
use serde_json::json;
use tower::ServiceExt;

const HTU: &str = RESOURCE;

struct Answer {
    status: u16,
    challenges: Vec<String>,
    nonce: Option<String>,
    body: String,
}

async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response: Response<Body> = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let nonce = response
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Answer {
        status,
        challenges,
        nonce,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn request(scheme: &str, token: &str, proofs: &[&str]) -> Request<Body> {
    let mut b = Request::post("/mcp")
        .header("host", "localhost:8000")
        .header("content-type", "application/json")
        .header("authorization", format!("{scheme} {token}"));
    for p in proofs {
        b = b.header("dpop", *p);
    }
    b.body(Body::from(rpc("tools/list", json!({})))).unwrap()
}

fn bound_token(f: &Fixture, key: &DpopKey) -> String {
    let mut c = f.claims(ISS_A, "mcp:crm:read");
    c.extra
        .insert("cnf".into(), json!({"jkt": key.thumbprint()}));
    f.sign(&c)
}

fn proof(f: &Fixture, key: &DpopKey, method: &str, uri: &str, token: Option<&str>) -> String {
    key.proof(method, uri, token, None, f.clock.now())
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn guard_app(f: &Fixture, policy: DpopPolicy) -> axum::Router {
    app(&f.builder().dpop(policy).build().unwrap())
}

fn dpop_error(answer: &Answer) -> Option<String> {
    answer.challenges.iter().find_map(|c| {
        let parsed = agent_auth::oauth::parse_www_authenticate(c).unwrap();
        parsed
            .into_iter()
            .find(|p| p.scheme.eq_ignore_ascii_case("dpop"))
            .and_then(|p| p.param("error").map(str::to_owned))
    })
}

#[tokio::test]
async fn a_bound_token_with_its_proof_is_accepted() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let p = proof(&f, &key, "POST", HTU, Some(&token));
    let a = send(&app, request("DPoP", &token, &[&p])).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.starts_with("sarah|"));
}

#[tokio::test]
async fn section_7_2_a_bound_token_presented_as_bearer_is_refused() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let a = send(&app, request("Bearer", &token, &[])).await;
    assert_eq!(a.status, 401);
    assert!(a.body.contains("sender-constrained"), "{}", a.body);
    // Even with a valid proof next to it.
    let p = proof(&f, &key, "POST", HTU, Some(&token));
    assert_eq!(
        send(&app, request("Bearer", &token, &[&p])).await.status,
        401
    );
}

#[tokio::test]
async fn a_bound_token_is_refused_by_a_guard_without_dpop() {
    let f = Fixture::new();
    let app = app(&f.builder().build().unwrap());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let p = proof(&f, &key, "POST", HTU, Some(&token));
    assert_eq!(send(&app, request("DPoP", &token, &[&p])).await.status, 401);
    assert_eq!(send(&app, request("Bearer", &token, &[])).await.status, 401);
}

#[tokio::test]
async fn check_12_a_proof_by_another_key_is_refused() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let thief = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let p = proof(&f, &thief, "POST", HTU, Some(&token));
    let a = send(&app, request("DPoP", &token, &[&p])).await;
    assert_eq!(a.status, 401);
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_dpop_proof"));
}

#[tokio::test]
async fn check_12_the_proof_must_carry_this_tokens_hash() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let without_ath = proof(&f, &key, "POST", HTU, None);
    let a = send(&app, request("DPoP", &token, &[&without_ath])).await;
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_dpop_proof"));
    let for_another = proof(&f, &key, "POST", HTU, Some("another-token"));
    let a = send(&app, request("DPoP", &token, &[&for_another])).await;
    assert_eq!(a.status, 401);
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_dpop_proof"));
}

#[tokio::test]
async fn checks_8_and_9_the_proof_is_for_this_method_and_uri() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    for (method, uri) in [
        ("GET", HTU),
        ("POST", "http://localhost:8000/other"),
        ("POST", "http://evil.example:8000/mcp"),
    ] {
        let p = proof(&f, &key, method, uri, Some(&token));
        let a = send(&app, request("DPoP", &token, &[&p])).await;
        assert_eq!(a.status, 401, "{method} {uri}");
        assert_eq!(dpop_error(&a).as_deref(), Some("invalid_dpop_proof"));
    }
    // The same URI spelled differently is the same target.
    let p = proof(
        &f,
        &key,
        "POST",
        "HTTP://LOCALHOST:8000/./mcp",
        Some(&token),
    );
    assert_eq!(send(&app, request("DPoP", &token, &[&p])).await.status, 200);
}

#[tokio::test]
async fn check_1_exactly_one_proof() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let a = send(&app, request("DPoP", &token, &[])).await;
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_dpop_proof"));
    let p1 = proof(&f, &key, "POST", HTU, Some(&token));
    let p2 = proof(&f, &key, "POST", HTU, Some(&token));
    let a = send(&app, request("DPoP", &token, &[&p1, &p2])).await;
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_dpop_proof"));
}

#[tokio::test]
async fn section_11_1_a_replayed_proof_is_refused() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let p = proof(&f, &key, "POST", HTU, Some(&token));
    assert_eq!(send(&app, request("DPoP", &token, &[&p])).await.status, 200);
    let a = send(&app, request("DPoP", &token, &[&p])).await;
    assert_eq!(a.status, 401);
    assert!(a.body.contains("replayed"), "{}", a.body);
}

#[tokio::test]
async fn a_dpop_scheme_token_must_be_bound() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let key = DpopKey::generate().unwrap();
    let token = f.token("mcp:crm:read");
    let p = proof(&f, &key, "POST", HTU, Some(&token));
    let a = send(&app, request("DPoP", &token, &[&p])).await;
    assert_eq!(a.status, 401);
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_token"));
    // The same unbound token as a bearer token passes (DPoP not required).
    assert_eq!(send(&app, request("Bearer", &token, &[])).await.status, 200);
}

#[tokio::test]
async fn section_9_the_resource_nonce_is_asked_for_then_accepted() {
    let f = Fixture::new();
    let app = guard_app(
        &f,
        DpopPolicy::new().require_nonce(NonceSource::new(300).unwrap()),
    );
    let key = DpopKey::generate().unwrap();
    let token = bound_token(&f, &key);
    let p = proof(&f, &key, "POST", HTU, Some(&token));
    let a = send(&app, request("DPoP", &token, &[&p])).await;
    assert_eq!(a.status, 401);
    assert_eq!(dpop_error(&a).as_deref(), Some("use_dpop_nonce"));
    let nonce = a.nonce.expect("DPoP-Nonce header");
    let retry = key
        .proof("POST", HTU, Some(&token), Some(&nonce), f.clock.now())
        .unwrap();
    let a = send(&app, request("DPoP", &token, &[retry.expose_secret()])).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn section_7_1_challenges_name_dpop_and_its_algorithms() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new());
    let r = Request::post("/mcp")
        .header("host", "localhost:8000")
        .header("content-type", "application/json")
        .body(Body::from(rpc("tools/list", json!({}))))
        .unwrap();
    let a = send(&app, r).await;
    assert_eq!(a.status, 401);
    let schemes: Vec<_> = a
        .challenges
        .iter()
        .flat_map(|c| agent_auth::oauth::parse_www_authenticate(c).unwrap())
        .collect();
    assert!(schemes.iter().any(|c| c.scheme == "Bearer"));
    let dpop = schemes.iter().find(|c| c.scheme == "DPoP").unwrap();
    assert_eq!(dpop.param("algs"), Some("ES256 EdDSA PS256 RS256"));
    // The metadata says so too (RFC 9728 section 2).
    let m = Request::get("/.well-known/oauth-protected-resource/mcp")
        .header("host", "localhost:8000")
        .body(Body::empty())
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&send(&app, m).await.body).unwrap();
    assert_eq!(doc["dpop_signing_alg_values_supported"][0], "ES256");
    assert_eq!(doc["dpop_bound_access_tokens_required"], false);
}

#[tokio::test]
async fn a_guard_requiring_dpop_refuses_bearer_tokens() {
    let f = Fixture::new();
    let app = guard_app(&f, DpopPolicy::new().require_dpop());
    let a = send(&app, request("Bearer", &f.token("mcp:crm:read"), &[])).await;
    assert_eq!(a.status, 401);
    assert_eq!(dpop_error(&a).as_deref(), Some("invalid_token"));
}
