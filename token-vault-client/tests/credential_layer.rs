//! The credential layer: the vault's token for the call's verified user goes
//! into the call's extensions; a provider 401 gets one retry with a fresh
//! token, then consent-required with the connect URL; a call for one user
//! never receives another user's credential.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use agent_auth::tool::{ToolCall, ToolContext, ToolError, ToolOutput, tool_fn};
use agent_auth::validate::Claims;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use token_vault_client::agent::{CredentialLayer, VaultCredential};
use token_vault_client::*;
use tower::{Layer as _, ServiceExt as _};

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

fn vault() -> (Vault, Arc<Counter>) {
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(ManualClock::new(T0)))
        .build();
    let counter = Arc::new(Counter::default());
    vault.add_connection(
        ConnectionConfig::new("google")
            .refresher(counter.clone())
            .reconnect_url("https://app.example/connect/google"),
    );
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    vault
        .store_for(
            &alice,
            "google",
            &Credential::OAuth(TokenSet {
                access_token: SecretString::new("at-0"),
                refresh_token: Some(SecretString::new("rt-0")),
                expires_at: Some(T0 + 3600),
                scopes: vec!["calendar.readonly".into()],
                token_type: "Bearer".into(),
            }),
        )
        .unwrap();
    (vault, counter)
}

fn call(user: &str) -> ToolCall {
    let mut claims = Claims::new().with("client_id", "assistant");
    claims.sub = Some(user.into());
    let ctx = ToolContext::from_verified_claims(&claims).unwrap();
    ToolCall::new("calendar_today", json!({"user": "alice"}), ctx)
        .in_thread("t1")
        .with_id("c1")
}

fn calendar(vault: &Vault, scopes: &[&str]) -> CredentialLayer {
    CredentialLayer::new(TokenTool::new(vault.clone(), "google", scopes), "acme")
}

/// A provider that accepts every token but `refused`.
fn provider(refused: &'static str) -> impl agent_auth::tool::Tool {
    tool_fn(move |call: ToolCall| async move {
        let credential = call
            .extensions()
            .get::<VaultCredential>()
            .ok_or_else(|| ToolError::tool("no credential"))?;
        let token = credential.token().expose_secret().to_owned();
        if token == refused {
            return Err(ToolError::CredentialRejected);
        }
        Ok(ToolOutput::text(format!("events read with {token}")))
    })
}

#[tokio::test]
async fn the_users_token_is_injected_into_the_call() {
    let (vault, _) = vault();
    let tool = calendar(&vault, &["calendar.readonly"]).layer(provider("none"));
    let out = tool.oneshot(call("alice")).await.unwrap();
    assert_eq!(out.as_text(), Some("events read with at-0"));
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_then_consent_is_required() {
    let (vault, counter) = vault();
    let tool = calendar(&vault, &["calendar.readonly"]).layer(provider("at-0"));
    let out = tool.clone().oneshot(call("alice")).await.unwrap();
    assert_eq!(out.as_text(), Some("events read with at-1"));
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);

    let always = calendar(&vault, &["calendar.readonly"]).layer(tool_fn(|_| async {
        Err::<ToolOutput, _>(ToolError::CredentialRejected)
    }));
    let err = always.oneshot(call("alice")).await.unwrap_err();
    match err {
        ToolError::ConsentRequired {
            connection,
            missing_scopes,
            connect_url,
        } => {
            assert_eq!(connection, "google");
            assert_eq!(missing_scopes, ["calendar.readonly"]);
            let url = connect_url.expect("the connect URL");
            assert!(
                url.starts_with("https://app.example/connect/google?"),
                "{url}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn missing_scopes_require_consent_before_the_tool_runs() {
    let (vault, _) = vault();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let tool = calendar(&vault, &["admin.directory"]).layer(tool_fn(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(ToolOutput::text("ran")) }
    }));
    let err = tool.oneshot(call("alice")).await.unwrap_err();
    assert!(
        matches!(&err, ToolError::ConsentRequired { missing_scopes, .. } if missing_scopes == &["admin.directory"]),
        "{err:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn arguments_naming_another_user_never_fetch_their_credential() {
    // Mallory's call asks, in its arguments, for alice's calendar: the layer
    // reads the user from the verified context, and Mallory has no credential.
    let (vault, _) = vault();
    let tool = calendar(&vault, &["calendar.readonly"]).layer(provider("none"));
    let err = tool.oneshot(call("mallory")).await.unwrap_err();
    assert!(
        matches!(&err, ToolError::CredentialUnavailable { connection, reason }
            if connection == "google" && reason == "not_found"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("at-0"));
}

#[tokio::test]
async fn a_tool_can_be_tested_with_a_credential_built_by_hand() {
    use agent_auth::secret::Token;
    let mut call = call("alice");
    call.extensions_mut()
        .insert(VaultCredential::new("google", Token::new("at-by-hand")));
    let credential = call.extensions().get::<VaultCredential>().unwrap();
    assert_eq!(credential.connection(), "google");
    assert!(!format!("{credential:?}").contains("at-by-hand"));
    let out = provider("none").oneshot(call).await.unwrap();
    assert_eq!(out.as_text(), Some("events read with at-by-hand"));
}
