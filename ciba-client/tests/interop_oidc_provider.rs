//! Our CIBA client against oidc-provider 9.13.3 (`peers/ciba-provider.mjs`):
//! poll and ping modes, approval and denial decided through the provider's
//! `backchannelResult`, ID tokens validated from the provider's JWKS; signed
//! authentication requests (CIBA Core 1.0 section 7.1.1) with a user code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::jwks::RemoteJwks;
use agent_auth::validate::{IdToken, Validator};
use ciba_client::{
    ApprovalOutcome, AuthenticationRequest, CibaClient, ClientAuth, DeliveryMode, Hint,
};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

const SECRET: &str = "agent-secret-0123456789";

fn peers() -> PathBuf {
    node_peers::dir()
}

fn node() -> PathBuf {
    node_peers::node(&["oidc-provider"])
}

struct Peer(std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn client(
    issuer: &str,
    endpoints: ciba_client::Endpoints,
    jwks_uri: &str,
    id: &str,
    mode: DeliveryMode,
) -> CibaClient {
    let validator = Validator::<IdToken>::builder(RemoteJwks::new(jwks_uri).unwrap())
        .issuer(issuer)
        .audience(id)
        .build();
    CibaClient::builder(endpoints, ClientAuth::secret_basic(id, SECRET))
        .mode(mode)
        .id_token_validator(validator)
        .build()
}

fn ask(message: &str) -> AuthenticationRequest {
    // The provider's default binding-message rule: 1-20 of [A-Za-z0-9-._+/!?#].
    AuthenticationRequest::new(Hint::LoginHint("sarah".into()))
        .scope(["email"])
        .binding_message(message)
}

/// Starts the provider with `env`; returns it and its issuer.
async fn provider(receiver: &str, env: &[(&str, &str)]) -> (Peer, String) {
    let mut child = Command::new(node())
        .arg("ciba-provider.mjs")
        .current_dir(peers())
        .env("CLIENT_SECRET", SECRET)
        .env("RECEIVER", receiver)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let stdout = child.stdout.take().unwrap();
    let peer = Peer(child);
    // Read the first line, then keep draining so the provider never writes to a closed pipe.
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next().and_then(Result::ok).unwrap_or_default());
        for _ in lines {}
    });
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), rx)
        .await
        .expect("the provider started in time")
        .unwrap();
    let started: serde_json::Value =
        serde_json::from_str(&line).expect("the provider printed its issuer");
    let issuer = started["issuer"].as_str().unwrap().to_owned();
    (peer, issuer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_oidc_provider_poll_and_ping() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = format!("http://{}/ciba/notify", listener.local_addr().unwrap());
    let (_peer, issuer) = provider(&receiver, &[]).await;
    let (endpoints, jwks_uri) = CibaClient::discover(&issuer).await.unwrap();

    // Poll mode: approved, then denied.
    let poll = client(
        &issuer,
        endpoints.clone(),
        &jwks_uri,
        "poll-agent",
        DeliveryMode::Poll,
    );
    let outcome = poll.start(ask("ACME-450k-EUR")).await.unwrap().wait().await;
    let tokens = outcome
        .approved()
        .unwrap_or_else(|| panic!("poll approval: {outcome:?}"));
    assert_eq!(
        tokens.id_token_claims.as_ref().unwrap().sub.as_deref(),
        Some("user-sarah")
    );
    assert!(tokens.scope.contains(&"openid".to_owned()));
    let outcome = poll.start(ask("deny-poll")).await.unwrap().wait().await;
    assert!(matches!(outcome, ApprovalOutcome::Denied), "{outcome:?}");

    // Ping mode: the provider pings our receiver, we fetch the token.
    let ping = client(
        &issuer,
        endpoints.clone(),
        &jwks_uri,
        "ping-agent",
        DeliveryMode::Ping,
    );
    let app = ping.notification_router("/ciba/notify");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let outcome = ping.start(ask("ACME-450k-EUR")).await.unwrap().wait().await;
    let tokens = outcome
        .approved()
        .unwrap_or_else(|| panic!("ping approval: {outcome:?}"));
    assert_eq!(
        tokens.id_token_claims.as_ref().unwrap().sub.as_deref(),
        Some("user-sarah")
    );
    let outcome = ping.start(ask("deny-ping")).await.unwrap().wait().await;
    assert!(matches!(outcome, ApprovalOutcome::Denied), "{outcome:?}");

    // The provider's own rules are reported as typed refusals.
    let refused = poll
        .start(ask("Acme Corp - 450,000 EUR"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ciba_client::CibaError::Refused { ref code, .. } if code == "invalid_binding_message"),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_with_a_user_code_against_oidc_provider() {
    use agent_auth::jose::{Algorithm, SigningKey};
    const CODE: &str = "4711-blue-heron";
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [key.verifying_key().to_jwk().unwrap()]}).to_string();
    let (_peer, issuer) = provider(
        "http://127.0.0.1:9/unused",
        &[("CLIENT_JWKS", &jwks), ("USER_CODE", CODE)],
    )
    .await;
    let meta = CibaClient::discover_metadata(&issuer).await.unwrap();
    assert!(
        meta.request_signing_algs
            .as_ref()
            .is_some_and(|a| a.contains(&"ES256".to_owned())),
        "{:?}",
        meta.request_signing_algs
    );
    let validator = Validator::<IdToken>::builder(RemoteJwks::new(&meta.jwks_uri).unwrap())
        .issuer(issuer.clone())
        .audience("signed-agent")
        .build();
    let signed = CibaClient::builder(
        meta.endpoints.clone(),
        ClientAuth::secret_basic("signed-agent", SECRET),
    )
    .sign_requests(key)
    .provider_metadata(&meta)
    .id_token_validator(validator)
    .build();

    let outcome = signed
        .start(ask("ACME-450k-EUR").user_code(CODE).requested_expiry(60))
        .await
        .unwrap()
        .wait()
        .await;
    let tokens = outcome
        .approved()
        .unwrap_or_else(|| panic!("signed approval: {outcome:?}"));
    assert_eq!(
        tokens.id_token_claims.as_ref().unwrap().sub.as_deref(),
        Some("user-sarah")
    );
    for (request, code) in [
        (ask("ACME-450k-EUR"), "missing_user_code"),
        (ask("ACME-450k-EUR").user_code("wrong"), "invalid_user_code"),
    ] {
        let err = signed.start(request).await.unwrap_err();
        assert!(
            matches!(&err, ciba_client::CibaError::Refused { code: c, .. } if c == code),
            "{err:?}"
        );
    }
    // The provider requires this client's requests signed: a plain one is refused.
    let plain = CibaClient::builder(
        meta.endpoints.clone(),
        ClientAuth::secret_basic("signed-agent", SECRET),
    )
    .build();
    let err = plain
        .start(ask("ACME-450k-EUR").user_code(CODE))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ciba_client::CibaError::Refused { code, .. } if code == "invalid_request"),
        "{err:?}"
    );
}
