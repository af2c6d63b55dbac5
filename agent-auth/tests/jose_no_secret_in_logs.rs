//! Signing, validation (accepted and refused tokens) and remote JWKS fetching,
//! with every log line and the `Debug` and `Display` of every value captured:
//! no token, signature or private key appears in them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::jose::{Algorithm, Jwks, SigningKey, sign_compact};
use agent_auth::jwks::RemoteJwks;
use agent_auth::secret::Token;
use agent_auth::validate::{AccessToken, Claims, Validator};
use std::sync::Arc;

#[path = "support/log_capture.rs"]
mod log_capture;
use log_capture::Capture;

const NOW: i64 = 1_800_000_000;

#[tokio::test]
async fn no_token_signature_or_key_reaches_logs_or_debug_output() {
    let capture = Capture::default();
    let _guard = capture.install();
    let mut printed = String::new();

    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let pem = key.to_pkcs8_pem().unwrap();
    let jwks = Jwks {
        keys: vec![key.verifying_key().to_jwk().unwrap().clone()],
    };
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let body = serde_json::to_string(&jwks).unwrap();
            async move { body }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let clock = Arc::new(ManualClock::new(NOW));
    let source = RemoteJwks::with_config(&url, Default::default(), clock.clone()).unwrap();
    let validator = Validator::<AccessToken>::builder(source)
        .issuer("https://idp.example")
        .audience("https://api.example")
        .clock(clock.clone())
        .build();

    let mut claims = Claims::new().with("client_id", "agent");
    claims.iss = Some("https://idp.example".into());
    claims.sub = Some("sarah".into());
    claims.aud = vec!["https://api.example".into()];
    claims.iat = Some(NOW);
    claims.exp = Some(NOW + 60);
    claims.jti = Some("j-1".into());
    let token: Token = sign_compact(&key, Some("at+jwt"), &claims).unwrap();
    let text = token.expose_secret().to_owned();
    let signature = text.rsplit('.').next().unwrap().to_owned();

    let valid = validator.validate(&text).await.unwrap();
    printed.push_str(&format!("{valid:?}{token:?}{key:?}{pem:?}"));
    // Change a character in the middle of the signature: always a real change.
    let middle = text.len() - signature.len() / 2;
    let swapped = if &text[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!("{}{swapped}{}", &text[..middle], &text[middle + 1..]);
    for bad in [tampered.as_str(), &text[..text.len() / 2], "x.y.z"] {
        let error = validator.validate(bad).await.unwrap_err();
        printed.push_str(&format!("{error}{error:?}"));
    }
    clock.advance(3600);
    let expired = validator.validate(&text).await.unwrap_err();
    printed.push_str(&format!("{expired}{expired:?}"));

    let logs = capture.text();
    assert!(logs.contains("fetched JWKS"), "the flow was logged: {logs}");
    let secrets = [text.as_str(), signature.as_str(), pem.expose_secret()];
    for secret in secrets {
        let probe = &secret[..secret.len().min(40)];
        assert!(!logs.contains(probe), "secret in logs");
        assert!(
            !printed.contains(probe),
            "secret in Debug or Display output"
        );
    }
    let pem_body: String = pem
        .expose_secret()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!logs.contains(&pem_body[..40]) && !printed.contains(&pem_body[..40]));
}
