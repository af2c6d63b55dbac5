//! One interface over both vaults, and who may ask: the embedded vault as a
//! `dyn CredentialBackend`; accessors come from verified contexts, and the
//! trusted-system path is audited on every use.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use agent_auth::tool::ToolContext;
use agent_auth::validate::Claims;
use std::sync::Arc;
use token_vault_client::*;

const T0: i64 = 1_800_000_000;

fn vault(sink: &Arc<MemorySink>) -> Vault {
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(ManualClock::new(T0)))
        .audit(sink.clone())
        .build();
    vault.add_connection(ConnectionConfig::new("google"));
    vault.add_connection(ConnectionConfig::new("slack"));
    vault
}

fn token_set(at: &str, scopes: &[&str]) -> Credential {
    Credential::OAuth(TokenSet {
        access_token: SecretString::new(at),
        refresh_token: None,
        expires_at: Some(T0 + 3600),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        token_type: "Bearer".into(),
    })
}

fn verified(sub: Option<&str>, client: &str) -> ToolContext {
    let mut claims = Claims::new().with("client_id", client);
    claims.sub = sub.map(str::to_owned);
    ToolContext::from_verified_claims(&claims).unwrap()
}

#[test]
fn an_accessor_from_a_verified_context_names_its_sub_and_client() {
    let a = Accessor::from_context("acme", &verified(Some("alice"), "assistant")).unwrap();
    assert_eq!(
        (a.tenant(), a.user(), a.agent()),
        ("acme", "alice", "assistant")
    );
    assert_eq!(a.origin(), AccessorOrigin::ValidatedToken);
}

#[test]
fn a_context_without_a_user_gives_no_accessor() {
    let err = Accessor::from_context("acme", &verified(None, "assistant")).unwrap_err();
    assert!(matches!(err, VaultError::Invalid(_)));
}

#[tokio::test]
async fn trusted_system_accessors_are_audited_on_every_use_and_token_accessors_are_not() {
    let sink = Arc::new(MemorySink::new());
    let vault = vault(&sink);
    let system = Accessor::trusted_system("acme", "alice", "migration");
    vault
        .store_for(&system, "google", &token_set("at-0", &["calendar"]))
        .unwrap();
    vault.get(&system, "google", &["calendar"]).await.unwrap();
    let trusted = |sink: &MemorySink| {
        sink.events()
            .into_iter()
            .filter(|e| {
                e.details.get("accessor").and_then(|v| v.as_str()) == Some("trusted_system")
            })
            .map(|e| e.details["trusted_op"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(trusted(&sink), ["write", "read"]);

    let agent = Accessor::from_context("acme", &verified(Some("alice"), "assistant")).unwrap();
    vault.get(&agent, "google", &["calendar"]).await.unwrap();
    assert_eq!(
        trusted(&sink).len(),
        2,
        "a token accessor is not marked trusted"
    );
}

#[tokio::test]
async fn the_embedded_vault_serves_through_the_backend_interface() {
    let sink = Arc::new(MemorySink::new());
    let vault = vault(&sink);
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    let bob = Accessor::trusted_system("acme", "bob", "assistant");
    vault
        .store_for(&alice, "slack", &token_set("slack-0", &["chat:write"]))
        .unwrap();
    vault
        .store_for(&alice, "google", &token_set("at-0", &["calendar"]))
        .unwrap();
    vault
        .store_for(&bob, "google", &token_set("bob-0", &["calendar"]))
        .unwrap();
    let backend: &dyn CredentialBackend = &vault;

    let got = backend.get(&alice, "google", &["calendar"]).await.unwrap();
    assert_eq!(got.secret(), "at-0");
    assert_eq!(
        backend.connected_accounts(&alice).await.unwrap(),
        ["google", "slack"]
    );
    // A scope beyond the grant: consent-required, as from the vault itself.
    assert!(matches!(
        backend.get(&alice, "google", &["gmail.send"]).await,
        Err(VaultError::ConsentRequired(c)) if c.missing_scopes == ["gmail.send"]
    ));
    assert!(matches!(
        backend.consent_required("google", vec!["x".into()]),
        VaultError::ConsentRequired(_)
    ));

    // A connection waiting for consent is not listed as connected.
    vault
        .mark_consent_required(&CredentialKey::new("acme", "alice", "slack"))
        .unwrap();
    assert_eq!(
        backend.connected_accounts(&alice).await.unwrap(),
        ["google"]
    );

    // Logout removes alice's credentials only.
    assert_eq!(backend.logout(&alice).await.unwrap(), 2);
    assert!(backend.connected_accounts(&alice).await.unwrap().is_empty());
    assert!(matches!(
        backend.get(&alice, "google", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    assert_eq!(backend.connected_accounts(&bob).await.unwrap(), ["google"]);
    assert!(sink.events().iter().any(|e| e.outcome == Outcome::Success));
}
