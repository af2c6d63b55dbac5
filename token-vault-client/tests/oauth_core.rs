//! The vault's OAuth clients on the OAuth core of agent-auth, over a
//! scripted transport given with `with_http`: the refresher and the
//! connected-accounts code exchange (client authentication, PKCE verifier,
//! `invalid_grant` as lost consent), the remote vault client (its errors
//! keep their cause), and the https-or-loopback rule for every endpoint.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::jose::base64url;
use agent_auth::oauth::{
    Cause, ClientAuth, HttpClient, HttpError, HttpRequest, HttpResponse, TokenError, UrlError,
};
use agent_auth::secret::SecretString;
use serde_json::json;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use token_vault_client::oauth::{ConnectedAccounts, OAuthClient};
use token_vault_client::remote::{RemoteVault, SubjectToken};
use token_vault_client::vault::{RefreshError, TokenRefresher};
use token_vault_client::*;

type Seen = Arc<Mutex<Vec<HttpRequest>>>;

/// A transport that answers every request with `answer` and keeps the requests.
fn answering(answer: Result<HttpResponse, HttpError>) -> (HttpClient, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let http = HttpClient::with_transport(move |req: HttpRequest| {
        record.lock().unwrap().push(req);
        let answer = answer.clone();
        async move { answer }
    });
    (http, seen)
}

fn tokens() -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::json(
        200,
        &json!({"access_token": "at-2", "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": "rt-2", "scope": "calendar.readonly"}),
    ))
}

fn form_of(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.body())
        .into_owned()
        .collect()
}

fn param(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn provider(http: HttpClient) -> OAuthClient {
    OAuthClient::with_http(
        http,
        "https://provider.example/authorize",
        "https://provider.example/token",
        ClientAuth::basic("vault-client", "s3cret"),
        "https://app.example/callback",
    )
    .unwrap()
}

#[tokio::test]
async fn refresh_posts_the_refresh_token_with_client_secret_basic() {
    let (http, seen) = answering(tokens());
    let refreshed = provider(http)
        .refresh(&SecretString::new("rt-1"), &[])
        .await
        .unwrap();
    assert_eq!(refreshed.access_token.expose_secret(), "at-2");
    assert_eq!(
        refreshed
            .refresh_token
            .map(|t| t.expose_secret().to_owned()),
        Some("rt-2".to_owned())
    );
    assert_eq!(refreshed.expires_in, Some(3600));
    assert_eq!(refreshed.scopes, Some(vec!["calendar.readonly".to_owned()]));
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].url().as_str(), "https://provider.example/token");
    let form = form_of(&seen[0]);
    assert_eq!(param(&form, "grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(param(&form, "refresh_token").as_deref(), Some("rt-1"));
    assert_eq!(param(&form, "client_secret"), None);
    assert_eq!(
        seen[0]
            .header_value("authorization")
            .map(|v| v.expose_secret().to_owned())
            .as_deref(),
        Some("Basic dmF1bHQtY2xpZW50OnMzY3JldA==")
    );
}

#[tokio::test]
async fn invalid_grant_on_refresh_is_lost_consent_per_rfc6749_5_2() {
    let (http, _) = answering(Ok(HttpResponse::json(
        400,
        &json!({"error": "invalid_grant", "error_description": "revoked"}),
    )));
    let err = provider(http)
        .refresh(&SecretString::new("rt-1"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, RefreshError::ConsentGone(_)), "{err:?}");
}

#[tokio::test]
async fn a_refresh_that_cannot_reach_the_provider_is_transient() {
    let (http, _) = answering(Err(HttpError::Timeout {
        host: "provider.example".into(),
    }));
    let err = provider(http)
        .refresh(&SecretString::new("rt-1"), &[])
        .await
        .unwrap_err();
    // Retried later by the vault; the timeout stays the error's cause.
    assert!(
        matches!(
            &err,
            RefreshError::Endpoint(TokenError::Transport(HttpError::Timeout { host }))
                if host == "provider.example"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let (http, _) = answering(Ok(
        HttpResponse::new(307).with_header("location", "https://evil.example/token")
    ));
    let err = provider(http)
        .refresh(&SecretString::new("rt-1"), &[])
        .await
        .unwrap_err();
    // The cause is kept: the core's redirect refusal, as the error's source.
    assert!(
        matches!(
            &err,
            RefreshError::Endpoint(TokenError::Transport(HttpError::RedirectRefused { .. }))
        ),
        "{err:?}"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn plain_http_provider_endpoints_are_refused() {
    // RFC 6749 section 3.1: the authorization endpoint requires TLS.
    let err = OAuthClient::new(
        "http://provider.example/authorize",
        "https://provider.example/token",
        "vault-client",
        None,
        "https://app.example/callback",
    )
    .unwrap_err();
    assert!(matches!(err, VaultError::Invalid(_)), "{err:?}");
    // RFC 6749 section 10.9 (the core's rule): so does the token endpoint.
    let err = OAuthClient::new(
        "https://provider.example/authorize",
        "http://provider.example/token",
        "vault-client",
        None,
        "https://app.example/callback",
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::TokenEndpoint(TokenError::Transport(HttpError::Url(UrlError::Insecure)))
        ),
        "{err:?}"
    );
    let err = RemoteVault::new(
        "http://vault.example/token",
        "assistant",
        SecretString::new("s3cret"),
    )
    .unwrap_err();
    assert!(matches!(err, VaultError::TokenEndpoint(_)), "{err:?}");
    // Loopback is for tests and local development.
    assert!(
        OAuthClient::new(
            "http://127.0.0.1:9/authorize",
            "http://localhost:9/token",
            "vault-client",
            None,
            "http://127.0.0.1:9/callback",
        )
        .is_ok()
    );
}

#[tokio::test]
async fn the_code_exchange_sends_the_verifier_of_the_s256_challenge() {
    let (http, seen) = answering(tokens());
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys).build();
    let flow = ConnectedAccounts::new(vault.clone(), "calendar", provider(http));
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    let url = url::Url::parse(&flow.start(&alice, &["calendar.readonly"]).unwrap()).unwrap();
    let query = |n: &str| {
        url.query_pairs()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_eq!(query("code_challenge_method"), "S256");
    let callback = format!(
        "https://app.example/callback?code=c0de&state={}",
        query("state")
    );
    assert_eq!(flow.complete(&callback).await.unwrap(), 1);
    let form = form_of(&seen.lock().unwrap()[0]);
    assert_eq!(
        param(&form, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(param(&form, "code").as_deref(), Some("c0de"));
    let verifier = param(&form, "code_verifier").unwrap();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    assert_eq!(base64url::encode(digest.as_ref()), query("code_challenge"));
    let issued = vault
        .get(&alice, "calendar", &["calendar.readonly"])
        .await
        .unwrap();
    assert_eq!(issued.secret(), "at-2");
}

#[tokio::test]
async fn a_failed_code_exchange_keeps_the_cause() {
    let (http, _) = answering(Ok(HttpResponse::new(503)));
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys).build();
    let flow = ConnectedAccounts::new(vault, "calendar", provider(http));
    let url = flow
        .start(
            &Accessor::trusted_system("acme", "alice", "assistant"),
            &["x"],
        )
        .unwrap();
    let state = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let err = flow
        .complete(&format!(
            "https://app.example/callback?code=c&state={state}"
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::TokenEndpoint(_)), "{err:?}");
    let cause = err.source().expect("the token endpoint error");
    assert!(cause.to_string().contains("503"), "{cause}");
}

/// Asks a remote vault behind `http` for alice's Google token; it fails.
async fn ask_remote_vault(http: HttpClient) -> VaultError {
    RemoteVault::with_http(
        http,
        "https://vault.example/token",
        ClientAuth::basic("assistant", "s3cret"),
    )
    .unwrap()
    .federated_token(
        SubjectToken::AccessToken("at-user"),
        "google",
        &["email"],
        None,
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn the_remote_vault_keeps_the_cause_of_a_failed_exchange() {
    let (http, seen) = answering(Err(HttpError::Connect {
        host: "vault.example".into(),
        source: Cause::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    }));
    let err = ask_remote_vault(http).await;
    assert_eq!(err.reason(), "token_endpoint");
    let cause = err.source().expect("the token endpoint error");
    assert!(
        cause
            .source()
            .is_some_and(|c| c.to_string() == "connecting to vault.example failed"),
        "{cause}"
    );
    let form = form_of(&seen.lock().unwrap()[0]);
    assert_eq!(param(&form, "subject_token").as_deref(), Some("at-user"));
    assert_eq!(param(&form, "scope").as_deref(), Some("email"));
    assert!(!format!("{err:?} {err}").contains("s3cret"));
}

#[tokio::test]
async fn the_remote_vault_reads_a_missing_connection_as_consent_required() {
    let (http, _) = answering(Ok(HttpResponse::json(
        400,
        &json!({"error": token_vault_client::remote::NOT_CONNECTED}),
    )));
    let err = ask_remote_vault(http).await;
    match err {
        VaultError::ConsentRequired(c) => {
            assert_eq!(c.connection, "google");
            assert_eq!(c.missing_scopes, ["email"]);
        }
        other => panic!("{other:?}"),
    }
}
