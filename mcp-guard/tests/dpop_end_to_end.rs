//! DPoP end to end, in process: the reference authority (nonces required)
//! issues a bound token to the OAuth core's token client, which retries once
//! on `use_dpop_nonce`; the guard (nonces required too) asks for its own
//! nonce, then accepts the token with a proof of the same per-agent key, and
//! refuses the token when another key or no proof comes with it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock, ManualClock};
use agent_auth::dpop::{DpopKey, NonceSource};
use agent_auth::oauth::{ClientAuth, DpopSigner, Form, HttpClient, TokenEndpoint};
use axum::body::Body;
use axum::http::Request;
use mcp_guard::{DpopPolicy, Guard, HostPolicy, ScopePolicy, TrustedIssuer};
use reference_authority::http::RouterTransport;
use reference_authority::*;
use std::sync::Arc;
use tower::ServiceExt;

const ISSUER: &str = "https://idp.example";
const RESOURCE: &str = "http://localhost:8000/mcp";
const NOW: i64 = 1_750_000_000;

async fn echo(mcp_guard::Authenticated(p): mcp_guard::Authenticated) -> String {
    p.client_id.clone().unwrap_or_default()
}

#[tokio::test]
async fn a_bound_token_from_the_authority_passes_the_guard_with_its_proof() {
    let clock = ManualClock::new(NOW);
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("sales-agent", "agent-secret-0123456789")
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["mcp:crm:read"])
                .resources([RESOURCE])
                .dpop_bound_access_tokens(),
        )
        .unwrap();
    authority.require_dpop_nonce(300).unwrap();
    let http = HttpClient::with_transport(RouterTransport::new(authority.clone()).unwrap());
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let endpoint = TokenEndpoint::with_http(
        http,
        format!("{ISSUER}/token"),
        ClientAuth::basic("sales-agent", "agent-secret-0123456789"),
    )
    .unwrap()
    .clock(Arc::new(clock.clone()))
    .dpop(signer.clone());
    // The first attempt has no nonce; the client retries once with the one
    // the authority sends.
    let tokens = endpoint
        .request(
            Form::new()
                .with("grant_type", "client_credentials")
                .with("scope", "mcp:crm:read")
                .with("resource", RESOURCE),
        )
        .await
        .unwrap();
    assert_eq!(tokens.token_type, "DPoP");
    let token = tokens.access_token.expose_secret().to_owned();

    let guard = Guard::builder(RESOURCE)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            ISSUER,
            authority.keys().active().verifying_key().clone(),
        ))
        .scopes(ScopePolicy::new().method("tools/list", &["mcp:crm:read"]))
        .hosts(HostPolicy::loopback())
        .clock(Arc::new(clock.clone()))
        .dpop(DpopPolicy::new().require_nonce(NonceSource::new(300).unwrap()))
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/mcp", axum::routing::post(echo))
        .layer(guard.layer());
    let call = |proof: Option<String>| {
        let mut r = Request::post("/mcp")
            .header("host", "localhost:8000")
            .header("content-type", "application/json")
            .header("authorization", format!("DPoP {token}"));
        if let Some(p) = proof {
            r = r.header("dpop", p);
        }
        app.clone().oneshot(
            r.body(Body::from(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#,
            ))
            .unwrap(),
        )
    };
    let proof = |s: &DpopSigner| {
        s.proof("POST", RESOURCE, Some(&token), clock.now())
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    // The guard's own nonce is asked for first.
    let first = call(Some(proof(&signer))).await.unwrap();
    assert_eq!(first.status(), 401);
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert!(signer.learn_nonce(Some(&nonce)));
    let ok = call(Some(proof(&signer))).await.unwrap();
    assert_eq!(ok.status(), 200);
    let body = axum::body::to_bytes(ok.into_body(), 1 << 16).await.unwrap();
    assert_eq!(&body[..], b"sales-agent");
    // Another key, or no proof, is refused.
    let thief = DpopSigner::new(DpopKey::generate().unwrap());
    thief.learn_nonce(Some(&nonce));
    assert_eq!(call(Some(proof(&thief))).await.unwrap().status(), 401);
    assert_eq!(call(None).await.unwrap().status(), 401);
}
