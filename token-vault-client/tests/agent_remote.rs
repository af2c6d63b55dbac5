//! The agent-facing wrapper (context caching, one retry on 401, then
//! consent-required, nesting) and the remote backend: the federated-connection
//! token exchange served by the reference authority over HTTP from the
//! embedded vault, called by [`RemoteVault`] with an access token or a
//! refresh token as the subject.
#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use reference_authority::http::router;
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, GrantFacts, IssueOptions, UserSpec,
};
use reference_authority::{ConnectionAccess, FederatedConnectionGrant};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use token_vault_client::remote::{
    GRANT_TYPE, REQUESTED_TOKEN_TYPE, RemoteSession, RemoteVault, SubjectToken,
};
use token_vault_client::*;

const T0: i64 = 1_800_000_000;

#[derive(Debug, Default)]
struct Counter(AtomicU64);

#[async_trait::async_trait]
impl TokenRefresher for Counter {
    async fn refresh(
        &self,
        _rt: &SecretString,
        _s: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(RefreshedTokens {
            access_token: SecretString::new(format!("at-{n}")),
            refresh_token: Some(SecretString::new(format!("rt-{n}"))),
            expires_in: Some(3600),
            scopes: None,
            token_type: None,
        })
    }
}

fn token_set(at: &str, scopes: &[&str]) -> Credential {
    Credential::OAuth(TokenSet {
        access_token: SecretString::new(at),
        refresh_token: Some(SecretString::new("rt-0")),
        expires_at: Some(T0 + 3600),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        token_type: "Bearer".into(),
    })
}

fn vault() -> (Vault, Arc<Counter>) {
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(ManualClock::new(T0)))
        .build();
    let counter = Arc::new(Counter::default());
    vault.add_connection(
        ConnectionConfig::new("google")
            .refresher(counter.clone())
            .reconnect_url("https://app.example/connect"),
    );
    vault.add_connection(ConnectionConfig::new("slack").refresher(counter.clone()));
    (vault, counter)
}

#[tokio::test]
async fn the_tool_wrapper_caches_per_context_retries_once_then_needs_consent() {
    let (vault, counter) = vault();
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    vault
        .store_for(&alice, "google", &token_set("at-0", &["calendar.readonly"]))
        .unwrap();
    vault
        .store_for(&alice, "slack", &token_set("slack-0", &["chat:write"]))
        .unwrap();
    let calendar = TokenTool::new(vault.clone(), "google", &["calendar.readonly"])
        .cache_scope(CacheScope::Thread);
    let ctx = CredentialsContext {
        agent: "assistant".into(),
        thread: Some("t1".into()),
        tool_call: Some("c1".into()),
    };

    // A provider that refuses at-0 (revoked on its side): one retry with a fresh token.
    let out = calendar
        .call(&alice, &ctx, |token| async move {
            if token.expose_secret() == "at-0" {
                Err(ToolError::<()>::Unauthorized)
            } else {
                Ok(token.expose_secret().to_owned())
            }
        })
        .await
        .unwrap();
    assert_eq!(out, "at-1");
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    // Same thread, another tool call: cached token, no refresh.
    let ctx2 = CredentialsContext {
        tool_call: Some("c2".into()),
        ..ctx.clone()
    };
    let out = calendar
        .call(&alice, &ctx2, |t| async move {
            Ok::<_, ToolError<()>>(t.expose_secret().to_owned())
        })
        .await
        .unwrap();
    assert_eq!(out, "at-1");

    // Composable: a tool inside a tool, each with its own connection.
    let chat = TokenTool::new(vault.clone(), "slack", &["chat:write"]);
    let nested = calendar
        .call(&alice, &ctx, |cal| {
            let chat = chat.clone();
            let alice = alice.clone();
            let ctx = ctx.clone();
            async move {
                let s = chat
                    .call(&alice, &ctx, |slack| async move {
                        Ok::<_, ToolError<()>>(slack.expose_secret().to_owned())
                    })
                    .await
                    .map_err(|_| ToolError::Other(()))?;
                Ok::<_, ToolError<()>>(format!("{}+{s}", cal.expose_secret()))
            }
        })
        .await
        .unwrap();
    assert_eq!(nested, "at-1+slack-0");

    // Always 401: one refresh, then consent-required with the reconnect URL.
    let err = calendar
        .call(&alice, &ctx, |_t| async move {
            Err::<(), _>(ToolError::<()>::Unauthorized)
        })
        .await
        .unwrap_err();
    match err {
        TokenToolError::Vault(VaultError::ConsentRequired(c)) => {
            assert_eq!(c.connection, "google");
            assert_eq!(c.missing_scopes, ["calendar.readonly"]);
            assert!(c.reconnect_url.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    // Scopes the connection lacks: consent-required before the closure runs.
    let admin = TokenTool::new(vault.clone(), "google", &["admin.directory"]);
    let err = admin
        .call(&alice, &ctx, |_t| async move { Ok::<_, ToolError<()>>(()) })
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        TokenToolError::Vault(VaultError::ConsentRequired(_))
    ));
    // Universal logout empties the wrapper's cache too.
    vault.wipe_user("acme", "alice").await.unwrap();
    let err = calendar
        .call(
            &alice,
            &ctx2,
            |_t| async move { Ok::<_, ToolError<()>>(()) },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        TokenToolError::Vault(VaultError::NotFound(_))
    ));
}

struct RemoteFixture {
    authority: Authority,
    issuer: String,
    server: tokio::task::JoinHandle<()>,
    remote: RemoteVault,
}

impl Drop for RemoteFixture {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The reference authority's HTTP face on loopback with the federated
/// connection grant over an embedded vault holding alice's Google tokens.
async fn remote_fixture() -> RemoteFixture {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_user(
            UserSpec::new("alice")
                .id("alice")
                .password("correct horse battery"),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("assistant", "assistant-secret-0123456789").grant_types([
                GRANT_TYPE,
                "client_credentials",
                "refresh_token",
            ]),
        )
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("other", "other-secret-0123456789")
                .grant_types([GRANT_TYPE, "refresh_token"]),
        )
        .unwrap();
    let (vault, _) = vault();
    let alice = Accessor::trusted_system(&issuer, "alice", "assistant");
    vault
        .store_for(
            &alice,
            "google",
            &token_set(
                "ya29.federated-google-token",
                &["calendar.readonly", "email"],
            ),
        )
        .unwrap();
    // The agent may use Google (scopes beyond the stored grant reach the
    // vault and come back as consent-required) and Slack (never connected).
    authority.register_grant(Arc::new(
        FederatedConnectionGrant::new(vault.clone(), &issuer)
            .connection(
                "google",
                ConnectionAccess::new().client("assistant").scopes([
                    "calendar.readonly",
                    "email",
                    "drive",
                ]),
            )
            .connection(
                "slack",
                ConnectionAccess::new()
                    .client("assistant")
                    .scopes(["chat:write"]),
            ),
    ));
    let served = authority.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router(served)).await.unwrap() });
    let remote = RemoteVault::new(
        format!("{issuer}/token"),
        "assistant",
        SecretString::new("assistant-secret-0123456789"),
    )
    .unwrap();
    RemoteFixture {
        authority,
        issuer,
        server,
        remote,
    }
}

/// Tokens the authority issued to `client` for alice.
fn tokens_for(authority: &Authority, client: &str) -> (String, String) {
    let issued = authority
        .issue(
            &GrantFacts {
                client_id: client.into(),
                user_id: Some("alice".into()),
                scope: vec!["openid".into(), "offline_access".into()],
                ..GrantFacts::default()
            },
            IssueOptions {
                refresh_token: true,
                ..IssueOptions::default()
            },
        )
        .unwrap();
    (
        issued.access_token.expose_secret().to_owned(),
        issued
            .refresh_token
            .expect("a refresh token")
            .expose_secret()
            .to_owned(),
    )
}

fn assert_google_token(got: &IssuedCredential) {
    assert_eq!(got.secret(), "ya29.federated-google-token");
    match got {
        IssuedCredential::AccessToken {
            scopes, expires_at, ..
        } => {
            assert!(scopes.contains(&"calendar.readonly".to_owned()));
            assert!(expires_at.is_some());
        }
        other => panic!("{other:?}"),
    }
}

fn assert_refused(result: Result<IssuedCredential, VaultError>, code: &str) {
    match result {
        Err(VaultError::Refused(c)) => assert_eq!(c, code),
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_token_vault_over_the_authoritys_http_face() {
    let f = remote_fixture().await;
    let (at, _) = tokens_for(&f.authority, "assistant");
    let (at_other, _) = tokens_for(&f.authority, "other");
    let remote = &f.remote;
    let got = remote
        .federated_token(
            SubjectToken::AccessToken(&at),
            "google",
            &["calendar.readonly"],
            Some("alice"),
        )
        .await
        .unwrap();
    assert_google_token(&got);
    // Not connected / scope not granted: consent required.
    let err = remote
        .federated_token(SubjectToken::AccessToken(&at), "slack", &[], None)
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::ConsentRequired(_)), "{err:?}");
    let err = remote
        .federated_token(SubjectToken::AccessToken(&at), "google", &["drive"], None)
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::ConsentRequired(_)), "{err:?}");
    // A login_hint naming someone else, a token of another client, garbage: invalid_grant.
    assert_refused(
        remote
            .federated_token(SubjectToken::AccessToken(&at), "google", &[], Some("bob"))
            .await,
        "invalid_grant",
    );
    assert_refused(
        remote
            .federated_token(SubjectToken::AccessToken(&at_other), "google", &[], None)
            .await,
        "invalid_grant",
    );
    assert_refused(
        remote
            .federated_token(
                SubjectToken::AccessToken("not-a-token"),
                "google",
                &[],
                None,
            )
            .await,
        "invalid_grant",
    );
    let wrong_secret = RemoteVault::new(
        format!("{}/token", f.issuer),
        "assistant",
        SecretString::new("wrong"),
    )
    .unwrap();
    assert_refused(
        wrong_secret
            .federated_token(SubjectToken::AccessToken(&at), "google", &[], None)
            .await,
        "invalid_client",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_is_a_subject_token_until_it_is_revoked_used_or_anothers() {
    let f = remote_fixture().await;
    let (_, rt) = tokens_for(&f.authority, "assistant");
    let (_, rt_other) = tokens_for(&f.authority, "other");
    let remote = &f.remote;

    // The client's own live refresh token: the federated token, and the
    // refresh token is not consumed (it works again).
    for _ in 0..2 {
        let got = remote
            .federated_token(
                SubjectToken::RefreshToken(&rt),
                "google",
                &["calendar.readonly"],
                Some("alice"),
            )
            .await
            .unwrap();
        assert_google_token(&got);
    }
    // Another client's refresh token, or an unknown one: invalid_grant.
    assert_refused(
        remote
            .federated_token(SubjectToken::RefreshToken(&rt_other), "google", &[], None)
            .await,
        "invalid_grant",
    );
    assert_refused(
        remote
            .federated_token(
                SubjectToken::RefreshToken("rt-unknown"),
                "google",
                &[],
                None,
            )
            .await,
        "invalid_grant",
    );
    // An access token declared as a refresh token is not one.
    let (at, _) = tokens_for(&f.authority, "assistant");
    assert_refused(
        remote
            .federated_token(SubjectToken::RefreshToken(&at), "google", &[], None)
            .await,
        "invalid_grant",
    );
    // Any other subject_token_type: unsupported_token_type (RFC 8693 section 2.2.2).
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/token", f.issuer))
        .basic_auth("assistant", Some("assistant-secret-0123456789"))
        .form(&[
            ("grant_type", GRANT_TYPE),
            ("subject_token", rt.as_str()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:id_token",
            ),
            ("requested_token_type", REQUESTED_TOKEN_TYPE),
            ("connection", "google"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_token_type");

    // A refresh token rotated by the refresh_token grant is spent.
    let (_, rt_rotated) = tokens_for(&f.authority, "assistant");
    let resp = http
        .post(format!("{}/token", f.issuer))
        .basic_auth("assistant", Some("assistant-secret-0123456789"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt_rotated),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_refused(
        remote
            .federated_token(SubjectToken::RefreshToken(&rt_rotated), "google", &[], None)
            .await,
        "invalid_grant",
    );

    // Revoked at the revocation endpoint (RFC 7009): refused from then on.
    let resp = http
        .post(format!("{}/revoke", f.issuer))
        .basic_auth("assistant", Some("assistant-secret-0123456789"))
        .form(&[("token", rt.as_str()), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_refused(
        remote
            .federated_token(SubjectToken::RefreshToken(&rt), "google", &[], None)
            .await,
        "invalid_grant",
    );
    // The subject token never appears in the client's Debug output.
    let shown = format!("{:?} {:?}", SubjectToken::RefreshToken(&rt), remote);
    assert!(!shown.contains(&rt), "{shown}");
}

/// A tool call for alice by the assistant, from verified claims.
fn alice_call() -> agent_auth::tool::ToolCall {
    let mut claims = agent_auth::validate::Claims::new().with("client_id", "assistant");
    claims.sub = Some("alice".into());
    let ctx = agent_auth::tool::ToolContext::from_verified_claims(&claims).unwrap();
    agent_auth::tool::ToolCall::new("calendar_today", serde_json::json!({}), ctx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_tool_reads_through_a_remote_session_as_through_the_embedded_vault() {
    let f = remote_fixture().await;
    let (at, _) = tokens_for(&f.authority, "assistant");
    let session = RemoteSession::with_access_token(f.remote.clone(), SecretString::new(at));
    let tool = TokenTool::with_backend(Arc::new(session), "google", &["calendar.readonly"]);
    let alice = Accessor::trusted_system(&f.issuer, "alice", "assistant");
    let ctx = CredentialsContext {
        agent: "assistant".into(),
        ..CredentialsContext::default()
    };
    let seen = tool
        .call(&alice, &ctx, |token| async move {
            Ok::<_, ToolError<()>>(token.expose_secret().to_owned())
        })
        .await
        .unwrap();
    assert_eq!(seen, "ya29.federated-google-token");
    // A connection the user never connected: consent required, remotely too.
    let slack = TokenTool::with_backend(
        Arc::new(RemoteSession::with_access_token(
            f.remote.clone(),
            SecretString::new(tokens_for(&f.authority, "assistant").0),
        )),
        "slack",
        &["chat:write"],
    );
    let err = slack
        .call(&alice, &ctx, |_| async { Ok::<_, ToolError<()>>(()) })
        .await
        .unwrap_err();
    assert!(
        matches!(err, TokenToolError::Vault(VaultError::ConsentRequired(_))),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credential_layer_injects_a_remote_sessions_token() {
    use agent_auth::tool::{ToolError, ToolOutput, tool_fn};
    use token_vault_client::agent::{CredentialLayer, VaultCredential};
    use tower::{Layer as _, ServiceExt as _};
    let f = remote_fixture().await;
    let (at, _) = tokens_for(&f.authority, "assistant");
    let session = RemoteSession::with_access_token(f.remote.clone(), SecretString::new(at));
    let layer = CredentialLayer::new(
        TokenTool::with_backend(Arc::new(session), "google", &["calendar.readonly"]),
        f.issuer.clone(),
    );
    let tool = layer.layer(tool_fn(|call: agent_auth::tool::ToolCall| async move {
        let credential = call
            .extensions()
            .get::<VaultCredential>()
            .ok_or_else(|| ToolError::tool("no credential"))?;
        Ok(ToolOutput::text(credential.token().expose_secret()))
    }));
    let out = tool.oneshot(alice_call()).await.unwrap();
    assert_eq!(out.as_text(), Some("ya29.federated-google-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_from_the_environment_exchanges_the_users_token() {
    let f = remote_fixture().await;
    let (at, rt) = tokens_for(&f.authority, "assistant");
    let alice = Accessor::trusted_system(&f.issuer, "alice", "assistant");
    for (name, token) in [
        (token_vault_client::remote::ACCESS_TOKEN, at),
        (token_vault_client::remote::REFRESH_TOKEN, rt),
    ] {
        let env: std::collections::HashMap<String, String> = [
            (
                agent_auth::env::TOKEN_ENDPOINT,
                format!("{}/token", f.issuer),
            ),
            (agent_auth::env::CLIENT_ID, "assistant".into()),
            (
                agent_auth::env::CLIENT_SECRET,
                "assistant-secret-0123456789".into(),
            ),
            (name, token),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let session = RemoteSession::from_env(&env).unwrap();
        let got = session
            .get(&alice, "google", &["calendar.readonly"])
            .await
            .unwrap();
        assert_google_token(&got);
    }
}
