//! `RemoteVault::from_env` and `RemoteSession::from_env` through an injected
//! map (the process environment is never changed): each missing variable
//! named in the error, and no secret value in any error or `Debug` output.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::env::{self, EnvError};
use std::collections::HashMap;
use token_vault_client::remote::{ACCESS_TOKEN, REFRESH_TOKEN, RemoteSession, RemoteVault};

const CLIENT_SECRET: &str = "client-secret-value-0123456789";
const USER_TOKEN: &str = "users-access-token-value-9876543210";

fn vars(extra: &[(&str, &str)]) -> HashMap<String, String> {
    [
        (env::TOKEN_ENDPOINT, "https://idp.example/oauth/token"),
        (env::CLIENT_ID, "agent"),
        (env::CLIENT_SECRET, CLIENT_SECRET),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Neither the client secret nor the user's token in the text.
fn assert_no_secret(text: &str) {
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert!(!text.contains(USER_TOKEN), "{text}");
}

#[test]
fn a_session_with_either_token_hides_both_secrets() {
    for name in [ACCESS_TOKEN, REFRESH_TOKEN] {
        let session = RemoteSession::from_env(&vars(&[(name, USER_TOKEN)])).unwrap();
        assert_no_secret(&format!("{session:?}"));
    }
    let vault = RemoteVault::from_env(&vars(&[])).unwrap();
    assert_no_secret(&format!("{vault:?}"));
}

#[test]
fn each_missing_variable_is_named() {
    for name in [env::TOKEN_ENDPOINT, env::CLIENT_ID] {
        let mut v = vars(&[(ACCESS_TOKEN, USER_TOKEN)]);
        v.remove(name);
        let err = RemoteSession::from_env(&v).unwrap_err();
        assert_eq!(err, EnvError::Missing(name));
        assert!(err.to_string().contains(name));
        assert_no_secret(&format!("{err} {err:?}"));
    }
    let err = RemoteSession::from_env(&vars(&[])).unwrap_err();
    assert_eq!(err, EnvError::Missing(ACCESS_TOKEN));
    assert!(err.to_string().contains(ACCESS_TOKEN));
}

#[test]
fn both_tokens_are_refused_without_echoing_either() {
    let err = RemoteSession::from_env(&vars(&[
        (ACCESS_TOKEN, USER_TOKEN),
        (REFRESH_TOKEN, USER_TOKEN),
    ]))
    .unwrap_err();
    assert!(matches!(err, EnvError::Invalid { name, .. } if name == ACCESS_TOKEN));
    assert_no_secret(&format!("{err} {err:?}"));
}

#[test]
fn an_unusable_endpoint_or_credential_is_named_never_shown() {
    // A secret pasted into the wrong variable stays out of the error.
    let mut v = vars(&[(ACCESS_TOKEN, USER_TOKEN)]);
    v.insert(
        env::TOKEN_ENDPOINT.into(),
        format!("http://{USER_TOKEN}.example/"),
    );
    let err = RemoteSession::from_env(&v).unwrap_err();
    assert!(matches!(err, EnvError::Invalid { name, .. } if name == env::TOKEN_ENDPOINT));
    assert_no_secret(&format!("{err} {err:?}"));
    let mut v = vars(&[(ACCESS_TOKEN, USER_TOKEN)]);
    v.insert(env::PRIVATE_KEY_FILE.into(), "/nonexistent/key.pem".into());
    let err = RemoteSession::from_env(&v).unwrap_err();
    assert!(matches!(err, EnvError::Invalid { name, .. } if name == env::CLIENT_SECRET));
    assert_no_secret(&format!("{err} {err:?}"));
}
