//! Our login client (HTTP backend) against oidc-provider 9.13.3: authorization
//! code + PKCE with headless interaction, userinfo, refresh with rotation,
//! introspection, revocation, signing-key rotation, and client_credentials
//! with private_key_jwt.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::clock::system_clock;
use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::jwks::RemoteJwksConfig;
use agent_auth::login::*;
use agent_auth::secret::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;

const REDIRECT: &str = "http://127.0.0.1:9/rp/callback";
const SECRET: &str = "rp-secret-0123456789-abcdefghij";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_client_against_oidc_provider() {
    let agent_key = Arc::new(SigningKey::generate(Algorithm::Es256).unwrap());
    let agent_jwks = serde_json::json!({"keys": [agent_key.verifying_key().to_jwk().unwrap()]});
    let peer = common::spawn_script(
        "oidc-provider-server.mjs",
        [
            ("RP_REDIRECT_URI", REDIRECT.to_owned()),
            ("RP_SECRET", SECRET.to_owned()),
            ("AGENT_JWKS", agent_jwks.to_string()),
            ("ACCOUNT", "user-42".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    )
    .await;
    let issuer = peer.ready["issuer"].as_str().unwrap().to_owned();
    let backend = Arc::new(HttpBackend::new().unwrap().jwks_config(RemoteJwksConfig {
        cooldown_secs: 0,
        ..RemoteJwksConfig::default()
    }));
    let config = LoginConfig::new(&issuer, "rp", REDIRECT)
        .auth(ClientAuth::SecretBasic(SecretString::new(SECRET)))
        .scopes(["openid", "email", "offline_access"]);
    let rp = LoginClient::discover(backend.clone(), config, system_clock())
        .await
        .unwrap();
    assert!(rp.metadata().authorization_response_iss_parameter_supported);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar = BTreeMap::new();
    let options = AuthOptions {
        prompt: Some("consent".into()),
        ..AuthOptions::default()
    };
    let req = rp.authorization_request(&options).unwrap();
    let query = common::browse_until(&http, &mut jar, &req.url, REDIRECT).await;
    let session = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(session.subject, "user-42");
    assert!(session.tokens.refresh_token.is_some());
    let info = rp.userinfo(&session).await.unwrap();
    assert_eq!(info["email"], "user-42@example.test");

    // Refresh with rotation.
    let refreshed = rp.refresh(&session).await.unwrap();
    assert_ne!(
        refreshed.tokens.refresh_token, session.tokens.refresh_token,
        "rotated"
    );
    assert_eq!(refreshed.subject, "user-42");

    // Signing-key rotation: the provider signs with a new key; the client
    // refetches the JWKS on the unknown kid.
    let rotate = http
        .post(format!("{issuer}/test/rotate-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(rotate.status(), 204);
    let after = rp.refresh(&refreshed).await.unwrap();
    let kid_of = |t: &agent_auth::secret::Token| {
        let header = t.expose_secret().split('.').next().unwrap().to_owned();
        let bytes = agent_auth::jose::base64url::decode(header).unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["kid"].clone()
    };
    assert_eq!(kid_of(&refreshed.id_token), "key-a");
    assert_eq!(kid_of(&after.id_token), "key-b");
    let req = rp.authorization_request(&options).unwrap();
    let query = common::browse_until(&http, &mut jar, &req.url, REDIRECT).await;
    let again = rp.callback(&req.pending, &query).await.unwrap();
    assert_eq!(kid_of(&again.id_token), "key-b");

    // Introspection and revocation of opaque tokens (revoking one ends
    // the whole grant at oidc-provider).
    let at = &again.tokens.access_token;
    assert_eq!(rp.introspect(at).await.unwrap()["active"], true);
    rp.revoke(at, Some("access_token")).await.unwrap();
    assert_eq!(rp.introspect(at).await.unwrap()["active"], false);
    // A replayed callback fails: the code is single use at the provider (which
    // also revokes what the code granted).
    assert!(rp.callback(&req.pending, &query).await.is_err());

    // The refresh token is revoked at logout.
    let logout = rp.logout(&after, Some(REDIRECT)).await.unwrap();
    assert!(logout.unwrap().starts_with(&issuer));
    assert!(rp.refresh(&after).await.is_err());

    // client_credentials with private_key_jwt.
    let agent = LoginClient::discover(
        backend,
        LoginConfig::new(&issuer, "agent", "http://127.0.0.1:9/unused")
            .auth(ClientAuth::PrivateKeyJwt(agent_key)),
        system_clock(),
    )
    .await
    .unwrap();
    let tokens = agent
        .client_credentials(&["reports:read"], None)
        .await
        .unwrap();
    let info = agent.introspect(&tokens.access_token).await.unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], "agent");
    assert_eq!(info["scope"], "reports:read");
    agent.revoke(&tokens.access_token, None).await.unwrap();
    assert_eq!(
        agent.introspect(&tokens.access_token).await.unwrap()["active"],
        false
    );
    drop(peer);
}
