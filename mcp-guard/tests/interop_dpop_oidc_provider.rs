//! DPoP interop with an independent authorization server: oidc-provider
//! (`features.dPoP`, nonces required) issues a DPoP-bound RFC 9068 token to
//! the OAuth core's token client, which proves its per-agent key and retries
//! once on `use_dpop_nonce`; the guard, trusting oidc-provider's JWKS, accepts
//! that token with a proof of the same key and refuses it as a bearer token or
//! with another key's proof. The peer runs on loopback from `peers/`
//! (installed by `npm ci`, which scripts/test.sh runs); a missing peer fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock, SystemClock};
use agent_auth::dpop::DpopKey;
use agent_auth::oauth::{ClientAuth, DpopSigner, Form, TokenEndpoint};
use axum::body::Body;
use axum::http::Request;
use mcp_guard::{DpopPolicy, Guard, ScopePolicy, TrustedIssuer};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use tower::ServiceExt;

const RESOURCE: &str = "http://localhost:8000/mcp";

/// The peer process, killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `peers/dpop-oidc-provider.mjs` on a free loopback port; returns the
/// process and the issuer it printed.
fn start_peer() -> (Peer, String) {
    let node = node_peers::node(&["oidc-provider", "jose"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(node)
        .arg("dpop-oidc-provider.mjs")
        .current_dir(node_peers::dir())
        .env("PORT", port.to_string())
        .env("RESOURCE", RESOURCE)
        .env("SCOPES", "mcp:crm:read")
        .env("CLIENT_ID", "sales-agent")
        .env("CLIENT_SECRET", "agent-secret-0123456789")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    let mut reader = std::io::BufReader::new(stdout);
    reader.read_line(&mut line).unwrap();
    std::thread::spawn(move || for _ in reader.lines().map_while(Result::ok) {});
    let ready: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("dpop-oidc-provider.mjs did not start ({e}): {line:?}"));
    (Peer(child), ready["issuer"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_provider_bound_token_obtained_by_our_client_is_accepted_by_the_guard() {
    let (_peer, issuer) = tokio::task::spawn_blocking(start_peer).await.unwrap();
    let signer = DpopSigner::new(DpopKey::generate().unwrap());
    let endpoint = TokenEndpoint::new(
        format!("{issuer}/token"),
        ClientAuth::basic("sales-agent", "agent-secret-0123456789"),
    )
    .unwrap()
    .dpop(signer.clone());
    // oidc-provider requires its nonce: the first attempt is answered
    // `use_dpop_nonce` and the client retries once with it.
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
        .trust(TrustedIssuer::remote_jwks(&issuer, &format!("{issuer}/jwks")).unwrap())
        .scopes(ScopePolicy::new().method("tools/list", &["mcp:crm:read"]))
        .dpop(DpopPolicy::new())
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/mcp", axum::routing::post(|| async { "ok" }))
        .layer(guard.layer());
    let call = |scheme: &str, proof: Option<String>| {
        let mut r = Request::post("/mcp")
            .header("content-type", "application/json")
            .header("authorization", format!("{scheme} {token}"));
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
        s.proof("POST", RESOURCE, Some(&token), SystemClock.now())
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    assert_eq!(
        call("DPoP", Some(proof(&signer))).await.unwrap().status(),
        200
    );
    assert_eq!(call("Bearer", None).await.unwrap().status(), 401);
    let thief = DpopSigner::new(DpopKey::generate().unwrap());
    assert_eq!(
        call("DPoP", Some(proof(&thief))).await.unwrap().status(),
        401
    );
}
