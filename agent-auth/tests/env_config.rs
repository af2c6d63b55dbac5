//! Configuration from environment variables, through an injected map (the
//! process environment is never changed): each client's `from_env`, the
//! missing variable named in the error, and no secret value in any error
//! or `Debug` output.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::env::{self, EnvError, audience_from_env};
use agent_auth::exchange::ExchangeClient;
use agent_auth::jose::{Algorithm, SigningKey};
use agent_auth::login::{ClientAuth, LoginConfig};
use agent_auth::mcp_client::McpGrant;
use std::collections::HashMap;

const SECRET: &str = "very-secret-value-0123456789";

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn login_vars() -> HashMap<String, String> {
    vars(&[
        (env::ISSUER, "https://idp.example"),
        (env::CLIENT_ID, "portal"),
        (env::REDIRECT_URI, "https://portal.example/cb"),
        (env::CLIENT_SECRET, SECRET),
        (env::SCOPES, "email offline_access"),
    ])
}

#[test]
fn login_config_from_env() {
    let config = LoginConfig::from_env(&login_vars()).unwrap();
    assert_eq!(config.issuer, "https://idp.example");
    assert_eq!(config.client_id, "portal");
    assert_eq!(config.redirect_uri, "https://portal.example/cb");
    assert_eq!(config.scopes, ["openid", "email", "offline_access"]);
    assert!(matches!(&config.auth, ClientAuth::SecretBasic(s) if s.expose_secret() == SECRET));
    assert!(
        !format!("{config:?}").contains(SECRET),
        "Debug hides the secret"
    );
}

#[test]
fn each_missing_login_variable_is_named() {
    for name in [env::ISSUER, env::CLIENT_ID, env::REDIRECT_URI] {
        let mut v = login_vars();
        v.remove(name);
        let err = LoginConfig::from_env(&v).unwrap_err();
        assert_eq!(err, EnvError::Missing(name));
        assert!(err.to_string().contains(name));
    }
    // Empty counts as unset.
    let mut v = login_vars();
    v.insert(env::ISSUER.into(), String::new());
    assert_eq!(
        LoginConfig::from_env(&v).unwrap_err(),
        EnvError::Missing(env::ISSUER)
    );
}

#[test]
fn a_secret_and_a_key_file_together_are_refused_without_echoing_the_secret() {
    let mut v = login_vars();
    v.insert(env::PRIVATE_KEY_FILE.into(), "/nonexistent/key.pem".into());
    let err = LoginConfig::from_env(&v).unwrap_err();
    assert!(matches!(err, EnvError::Invalid { name, .. } if name == env::CLIENT_SECRET));
    assert!(!err.to_string().contains(SECRET));
    assert!(!format!("{err:?}").contains(SECRET));
}

#[test]
fn a_private_key_file_gives_private_key_jwt() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let path = dir.path().join("agent.pem");
    std::fs::write(&path, key.to_pkcs8_pem().unwrap().expose_secret()).unwrap();
    let mut v = login_vars();
    v.remove(env::CLIENT_SECRET);
    v.insert(
        env::PRIVATE_KEY_FILE.into(),
        path.to_string_lossy().into_owned(),
    );
    let config = LoginConfig::from_env(&v).unwrap();
    assert!(matches!(config.auth, ClientAuth::PrivateKeyJwt(_)));

    // A file that is not a key of that algorithm, and an unknown algorithm.
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "-----BEGIN PRIVATE KEY-----\nnot a key\n").unwrap();
    v.insert(
        env::PRIVATE_KEY_FILE.into(),
        garbage.to_string_lossy().into_owned(),
    );
    let err = LoginConfig::from_env(&v).unwrap_err();
    assert!(matches!(err, EnvError::Invalid { name, .. } if name == env::PRIVATE_KEY_FILE));
    assert!(
        !err.to_string().contains("not a key"),
        "the file is not echoed"
    );
    v.insert(
        env::PRIVATE_KEY_FILE.into(),
        path.to_string_lossy().into_owned(),
    );
    v.insert(env::PRIVATE_KEY_ALG.into(), "none".into());
    assert!(matches!(
        LoginConfig::from_env(&v).unwrap_err(),
        EnvError::Invalid { name, .. } if name == env::PRIVATE_KEY_ALG
    ));
}

#[test]
fn exchange_client_from_env() {
    let mut v = vars(&[
        (env::CLIENT_ID, "agent"),
        (env::CLIENT_SECRET, SECRET),
        (env::AUDIENCE, "https://api.example"),
    ]);
    assert_eq!(
        ExchangeClient::from_env(&v).unwrap_err(),
        EnvError::Missing(env::TOKEN_ENDPOINT)
    );
    v.insert(
        env::TOKEN_ENDPOINT.into(),
        "http://idp.example/token".into(),
    );
    assert!(matches!(
        ExchangeClient::from_env(&v).unwrap_err(),
        EnvError::Invalid { name, .. } if name == env::TOKEN_ENDPOINT
    ));
    v.insert(
        env::TOKEN_ENDPOINT.into(),
        "https://idp.example/token".into(),
    );
    let client = ExchangeClient::from_env(&v).unwrap();
    assert!(!format!("{client:?}").contains(SECRET));
    assert_eq!(audience_from_env(&v).unwrap(), "https://api.example");
    v.remove(env::AUDIENCE);
    assert_eq!(
        audience_from_env(&v).unwrap_err(),
        EnvError::Missing(env::AUDIENCE)
    );
}

#[test]
fn mcp_grant_from_env() {
    let secret = vars(&[(env::CLIENT_ID, "agent"), (env::CLIENT_SECRET, SECRET)]);
    assert!(matches!(
        McpGrant::from_env(&secret).unwrap(),
        McpGrant::ClientSecret { client_id, .. } if client_id == "agent"
    ));
    let id_only = vars(&[(env::CLIENT_ID, "agent")]);
    assert!(matches!(
        McpGrant::from_env(&id_only).unwrap(),
        McpGrant::Interactive(_)
    ));
    let metadata = vars(&[(
        env::CLIENT_METADATA_URL,
        "https://agent.example/client.json",
    )]);
    let grant = McpGrant::from_env(&metadata).unwrap();
    assert!(format!("{grant:?}").contains("MetadataDocument"));
    assert!(format!("{:?}", McpGrant::from_env(&vars(&[])).unwrap()).contains("Dynamic"));
    let secret_without_id = vars(&[(env::CLIENT_SECRET, SECRET)]);
    assert_eq!(
        McpGrant::from_env(&secret_without_id).unwrap_err(),
        EnvError::Missing(env::CLIENT_ID)
    );
}
