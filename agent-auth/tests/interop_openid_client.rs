//! Our authority's HTTP face driven by openid-client 6.8.9: discovery, code +
//! PKCE with its own ID token validation, userinfo, refresh with rotation and
//! reuse detection, introspection, revocation, client_credentials with
//! private_key_jwt, pushed authorization requests (RFC 9126); access tokens
//! verified by jose 6.2.17.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::audit::{AuditAction, MemorySink};
use agent_auth::jose::{Algorithm, SigningKey};
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, UserSpec, grant_types};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_completes_every_flow_against_our_authority() {
    let (listener, issuer) = common::bind().await;
    let audit = MemorySink::new();
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("sarah")
                .id("user-sarah")
                .password("correct horse battery")
                .email("sarah@acme.example"),
        )
        .unwrap();
    let redirect = format!("{issuer}/cb");
    authority
        .register_client(
            ClientSpec::confidential("portal", "portal-secret-0123456789")
                .trusted_first_party()
                .redirect_uri(&redirect)
                .post_logout_redirect_uri(format!("{issuer}/bye")),
        )
        .unwrap();
    let agent_key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = serde_json::json!({"keys": [agent_key.verifying_key().to_jwk().unwrap()]});
    authority
        .register_client(
            ClientSpec::private_key_jwt("sales-agent", jwks.to_string())
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"])
                .resources(["https://crm.example/mcp"]),
        )
        .unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(authority)).await.unwrap();
    });

    let env = [
        ("ISSUER", issuer.clone()),
        ("CLIENT_ID", "portal".into()),
        ("CLIENT_SECRET", "portal-secret-0123456789".into()),
        ("REDIRECT_URI", redirect),
        ("USERNAME", "sarah".into()),
        ("PASSWORD", "correct horse battery".into()),
        ("AGENT_CLIENT_ID", "sales-agent".into()),
        (
            "AGENT_KEY_PEM",
            agent_key.to_pkcs8_pem().unwrap().expose_secret().to_owned(),
        ),
        ("AGENT_KEY_KID", agent_key.kid().to_owned()),
        ("RESOURCE", "https://crm.example/mcp".into()),
        ("POST_LOGOUT_REDIRECT_URI", format!("{issuer}/bye")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let out = common::run_script("openid-client-rp.mjs", env).await;
    server.abort();

    assert_eq!(out["discovered_issuer"], issuer);
    assert_eq!(out["callback_has_iss"], true);
    assert_eq!(out["session_cookie_http_only"], true);
    assert_eq!(out["id_token"]["sub"], "user-sarah");
    assert_eq!(out["id_token"]["azp"], "portal");
    assert_eq!(out["id_token"]["has_at_hash"], true);
    assert_eq!(out["id_token"]["has_sid"], true);
    assert_eq!(out["has_refresh_token"], true);
    assert_eq!(out["access_token"]["typ"], "at+jwt");
    assert_eq!(out["access_token"]["client_id"], "portal");
    assert_eq!(out["userinfo"]["sub"], "user-sarah");
    assert_eq!(out["userinfo"]["email"], "sarah@acme.example");
    assert_eq!(out["refresh"]["new_refresh_token"], true);
    assert_eq!(out["refresh"]["id_token_sub"], "user-sarah");
    assert_eq!(out["reuse_refused"], true);
    assert_eq!(out["family_revoked_after_reuse"], true);
    assert_eq!(out["introspection_after_family_revocation"], false);
    assert_eq!(out["client_credentials"]["sub"], "sales-agent");
    assert_eq!(out["client_credentials"]["scope"], "crm:read");
    assert_eq!(out["client_credentials"]["aud"], "https://crm.example/mcp");
    assert_eq!(out["client_credentials"]["refresh"], false);
    assert_eq!(out["cc_introspection"]["before"], true);
    assert_eq!(out["cc_introspection"]["scope"], "crm:read");
    assert_eq!(out["cc_introspection"]["after"], false);
    assert_eq!(out["end_session_url"], true);
    assert_eq!(out["logout_redirect"], format!("{issuer}/bye?state=bye"));
    assert_eq!(out["par_url_has_request_uri"], true);
    assert_eq!(out["par_sub"], "user-sarah");
    let actions: Vec<_> = audit.events().into_iter().map(|e| e.action).collect();
    for expected in [
        AuditAction::Authentication,
        AuditAction::TokenIssued,
        AuditAction::TokenRefreshed,
        AuditAction::TokenRevoked,
        AuditAction::TokenValidated,
        AuditAction::Logout,
    ] {
        assert!(actions.contains(&expected), "no {expected:?} audit event");
    }
}
