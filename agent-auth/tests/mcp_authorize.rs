//! `McpAuthorizer` over loopback HTTP: client credentials (secret and
//! private_key_jwt) against our reference authority, and the authorization
//! code flow's refusals (RFC 9207 `iss`, `state`, redirect target, error)
//! against a scripted authorization server.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::jose::{Algorithm, SigningKey, base64url};
use agent_auth::mcp_client::{McpAuthError, McpAuthorizer, McpGrant, Registration};
use agent_auth::secret::SecretString;
use axum::Router;
use axum::extract::{Form, Query};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig, ClientSpec, grant_types};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

fn prm_route(resource: String, issuer: String) -> Router {
    Router::new().route(
        "/.well-known/oauth-protected-resource/mcp",
        get(move || {
            let body = json!({"resource": resource, "authorization_servers": [issuer], "scopes_supported": ["crm:read"]});
            async move { axum::Json(body) }
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_against_our_authority() {
    let (as_listener, issuer) = common::bind().await;
    let (mcp_listener, base) = common::bind().await;
    let mcp = format!("{base}/mcp");
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let jwks = json!({"keys": [key.verifying_key().to_jwk().unwrap()]});
    authority
        .register_client(
            ClientSpec::confidential("agent-secret", "agent-secret-0123456789")
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"])
                .resources([mcp.clone()]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::private_key_jwt("agent-key", jwks.to_string())
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["crm:read"])
                .resources([mcp.clone()]),
        )
        .unwrap();
    let servers = [
        tokio::spawn({
            let authority = authority.clone();
            async move { axum::serve(as_listener, router(authority)).await.unwrap() }
        }),
        tokio::spawn({
            let app = prm_route(mcp.clone(), issuer.clone());
            async move { axum::serve(mcp_listener, app).await.unwrap() }
        }),
    ];
    for grant in [
        McpGrant::ClientSecret {
            client_id: "agent-secret".into(),
            secret: SecretString::new("agent-secret-0123456789"),
        },
        McpGrant::PrivateKeyJwt {
            client_id: "agent-key".into(),
            key: Box::new(key),
        },
    ] {
        let token = McpAuthorizer::new(grant)
            .unwrap()
            .authorize(&mcp, None)
            .await
            .unwrap();
        assert_eq!(token.scope, ["crm:read"]);
        let claims = authority
            .verify_access_token(token.access_token.expose_secret())
            .unwrap();
        assert_eq!(claims.aud, std::slice::from_ref(&mcp));
        assert_eq!(claims.str("scope"), Some("crm:read"));
    }
    for s in servers {
        s.abort();
    }
}

/// How the scripted authorization server answers the authorization request.
#[derive(Clone, Copy)]
enum Mode {
    Good = 0,
    WrongIss = 1,
    MissingIss = 2,
    WrongState = 3,
    Elsewhere = 4,
    Denied = 5,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_checks_the_response() {
    let (listener, base) = common::bind().await;
    let mcp = format!("{base}/mcp");
    let redirect = "http://127.0.0.1:9/callback";
    let mode = Arc::new(AtomicU8::new(0));
    let challenge = Arc::new(Mutex::new(String::new()));
    let issuer = base.clone();
    let metadata = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": true,
    });
    let app = prm_route(mcp.clone(), base.clone())
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let m = metadata.clone();
                async move { axum::Json(m) }
            }),
        )
        .route(
            "/authorize",
            get({
                let (mode, challenge, issuer) = (mode.clone(), challenge.clone(), issuer.clone());
                move |Query(q): Query<HashMap<String, String>>| {
                    let (mode, challenge, issuer) = (mode.clone(), challenge.clone(), issuer.clone());
                    async move {
                        assert_eq!(q["code_challenge_method"], "S256");
                        assert_eq!(q["resource"], format!("{issuer}/mcp"));
                        *challenge.lock().unwrap() = q["code_challenge"].clone();
                        let state = q["state"].clone();
                        let target = q["redirect_uri"].clone();
                        let iss = url::form_urlencoded::byte_serialize(issuer.as_bytes())
                            .collect::<String>();
                        let location = match mode.load(Ordering::SeqCst) {
                            0 => format!("{target}?code=c1&state={state}&iss={iss}"),
                            1 => format!("{target}?code=c1&state={state}&iss=https%3A%2F%2Fevil.example"),
                            2 => format!("{target}?code=c1&state={state}"),
                            3 => format!("{target}?code=c1&state=other&iss={iss}"),
                            4 => format!("https://elsewhere.example/cb?code=c1&state={state}&iss={iss}"),
                            _ => format!("{target}?error=access_denied&state={state}&iss={iss}"),
                        };
                        Redirect::to(&location).into_response()
                    }
                }
            }),
        )
        .route(
            "/token",
            post({
                let challenge = challenge.clone();
                move |Form(f): Form<HashMap<String, String>>| {
                    let challenge = challenge.clone();
                    async move {
                        let digest = aws_lc_rs::digest::digest(
                            &aws_lc_rs::digest::SHA256,
                            f["code_verifier"].as_bytes(),
                        );
                        assert_eq!(base64url::encode(digest), *challenge.lock().unwrap());
                        assert_eq!(f["client_id"], "agent");
                        assert_eq!(f["code"], "c1");
                        axum::Json(json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 60}))
                    }
                }
            }),
        );
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let authorizer = || {
        McpAuthorizer::new(McpGrant::AuthorizationCode {
            redirect_uri: redirect.into(),
            registration: Registration::Preregistered {
                client_id: "agent".into(),
                secret: None,
            },
        })
        .unwrap()
    };
    mode.store(Mode::Good as u8, Ordering::SeqCst);
    let token = authorizer().authorize(&mcp, None).await.unwrap();
    assert_eq!(token.access_token.expose_secret(), "at-1");
    for bad in [
        Mode::WrongIss,
        Mode::MissingIss,
        Mode::WrongState,
        Mode::Elsewhere,
        Mode::Denied,
    ] {
        mode.store(bad as u8, Ordering::SeqCst);
        let err = authorizer().authorize(&mcp, None).await.unwrap_err();
        assert!(
            matches!(err, McpAuthError::AuthorizationResponse(_)),
            "mode {}: {err}",
            bad as u8
        );
    }
    server.abort();
}
