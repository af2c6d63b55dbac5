//! The whole login + token + refresh + revoke flow, with every log line and the
//! `Debug` of every value captured: no secret value appears in them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::MemorySink;
use reference_authority::*;
use std::sync::Arc;

#[path = "support/log_capture.rs"]
mod log_capture;
use log_capture::Capture;

#[tokio::test]
async fn no_secret_reaches_logs_debug_or_audit() {
    let capture = Capture::default();
    let _guard = capture.install();

    const PASSWORD: &str = "correct horse battery staple";
    const SECRET: &str = "portal-client-secret-0123456789";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let audit = MemorySink::new();
    let authority = Authority::builder("https://idp.example")
        .config(AuthorityConfig::for_tests())
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_user(UserSpec::new("sarah").password(PASSWORD))
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("portal", SECRET)
                .trusted_first_party()
                .redirect_uri("https://portal.example/cb"),
        )
        .unwrap();
    // A failed login logs the attempt, not the password.
    let wrong = Credentials::password("sarah", "wrong-password-guess-xyz");
    assert!(authority.sign_in(&wrong).is_err());
    let credentials = Credentials::password("sarah", PASSWORD);
    let session = authority.sign_in(&credentials).unwrap();
    let params = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", "https://portal.example/cb"),
        ("scope", "openid profile"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]);
    let outcome = authority.authorize(&params, Some(&session)).unwrap();
    tracing::info!(?outcome, ?session, ?credentials, "authorized");
    let AuthorizeOutcome::Redirect(url) = &outcome else {
        panic!()
    };
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let request = TokenRequest::new(Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://portal.example/cb"),
        ("code_verifier", VERIFIER),
    ]))
    .basic("portal", SECRET);
    tracing::info!(?request, "token request");
    let tokens = authority.token(&request).await.unwrap();
    tracing::info!(?tokens, "tokens");
    let rt = tokens.refresh_token.clone().unwrap();
    let refresh = TokenRequest::new(Params::from_pairs([
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.expose_secret()),
    ]))
    .basic("portal", SECRET);
    let refreshed = authority.token(&refresh).await.unwrap();
    tracing::info!(?refresh, ?refreshed, "refreshed");
    // A wrong secret is logged as a failure, without the secret.
    let bad = refresh.clone().basic("portal", "guessed-secret-abcdefghij");
    let err = authority.token(&bad).await.unwrap_err();
    tracing::warn!(%err, ?err, "refused");
    let revoke = TokenRequest::new(Params::from_pairs([(
        "token",
        refreshed.refresh_token.as_ref().unwrap().expose_secret(),
    )]))
    .basic("portal", SECRET);
    authority.revoke(&revoke).unwrap();
    tracing::info!(?revoke, "revoked");

    let logs = capture.text();
    let audit_json = serde_json::to_string(&audit.events()).unwrap();
    assert!(logs.contains("authority decision"), "the flow was logged");
    let secrets = [
        PASSWORD,
        "wrong-password-guess-xyz",
        SECRET,
        "guessed-secret-abcdefghij",
        VERIFIER,
        code.as_str(),
        session.expose_secret(),
        tokens.access_token.expose_secret(),
        tokens.id_token.as_ref().unwrap().expose_secret(),
        rt.expose_secret(),
        refreshed.access_token.expose_secret(),
        refreshed.refresh_token.as_ref().unwrap().expose_secret(),
    ];
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret reached the logs");
        assert!(
            !audit_json.contains(secret),
            "a secret reached the audit trail"
        );
    }
}
