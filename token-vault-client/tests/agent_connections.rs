//! Per-agent connections: a connection outside the agent's list, or scopes
//! beyond its allowance, are refused and audited; a stored grant broader than
//! the allowance is narrowed by a refresh with a narrower `scope` (RFC 6749
//! section 6), refused on a strict connection that cannot narrow, and handed
//! out (audited as broader) on a lax one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use std::sync::{Arc, Mutex};
use token_vault_client::*;

const T0: i64 = 1_800_000_000;

/// A provider that narrows on refresh and rotates the refresh token.
#[derive(Debug, Default)]
struct Narrowing {
    asked: Mutex<Vec<Vec<String>>>,
}

#[async_trait::async_trait]
impl TokenRefresher for Narrowing {
    async fn refresh(
        &self,
        _rt: &SecretString,
        _s: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        Err(RefreshError::Transient("not used".into()))
    }
    async fn refresh_narrowed(
        &self,
        rt: &SecretString,
        scopes: &[String],
    ) -> Option<Result<RefreshedTokens, RefreshError>> {
        self.asked.lock().unwrap().push(scopes.to_vec());
        Some(Ok(RefreshedTokens {
            access_token: SecretString::new(format!("narrow-{}", scopes.join("+"))),
            refresh_token: Some(SecretString::new(format!("{}'", rt.expose_secret()))),
            expires_in: Some(600),
            scopes: Some(scopes.to_vec()),
            token_type: None,
        }))
    }
}

/// A provider that ignores the narrower scope and answers the whole grant.
#[derive(Debug)]
struct Ignoring;

#[async_trait::async_trait]
impl TokenRefresher for Ignoring {
    async fn refresh(
        &self,
        _rt: &SecretString,
        _s: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        Err(RefreshError::Transient("not used".into()))
    }
    async fn refresh_narrowed(
        &self,
        _rt: &SecretString,
        _scopes: &[String],
    ) -> Option<Result<RefreshedTokens, RefreshError>> {
        Some(Ok(RefreshedTokens {
            access_token: SecretString::new("broad"),
            refresh_token: None,
            expires_in: Some(600),
            scopes: Some(vec!["calendar".into(), "gmail".into()]),
            token_type: None,
        }))
    }
}

fn broad() -> Credential {
    Credential::OAuth(TokenSet {
        access_token: SecretString::new("stored-broad"),
        refresh_token: Some(SecretString::new("rt")),
        expires_at: Some(T0 + 3600),
        scopes: vec!["calendar".into(), "gmail".into()],
        token_type: "Bearer".into(),
    })
}

fn setup(rules: StaticAgentConnections) -> (Vault, Arc<MemorySink>, Accessor) {
    let sink = Arc::new(MemorySink::new());
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(ManualClock::new(T0)))
        .audit(sink.clone())
        .agent_connections(Arc::new(rules))
        .build();
    let alice = Accessor::trusted_system("acme", "alice", "calendar-agent");
    (vault, sink, alice)
}

fn denied(sink: &MemorySink, reason: &str) -> usize {
    sink.events()
        .iter()
        .filter(|e| e.outcome == Outcome::Denied && e.reason.as_deref() == Some(reason))
        .count()
}

#[tokio::test]
async fn a_connection_outside_the_agents_list_is_refused_and_audited() {
    let rules =
        StaticAgentConnections::new().allow("calendar-agent", "google", &["calendar"], true);
    let (vault, sink, alice) = setup(rules);
    vault.add_connection(ConnectionConfig::new("slack"));
    vault.store_for(&alice, "slack", &broad()).unwrap();
    let err = vault.get(&alice, "slack", &[]).await.unwrap_err();
    assert!(matches!(err, VaultError::ConnectionNotAllowed(c) if c == "slack"));
    assert!(matches!(
        vault.get_cached(&alice, "slack", &[]),
        Err(VaultError::ConnectionNotAllowed(_))
    ));
    assert_eq!(denied(&sink, "connection_not_allowed"), 2);
}

#[tokio::test]
async fn scopes_beyond_the_agents_allowance_are_refused_and_audited() {
    let rules =
        StaticAgentConnections::new().allow("calendar-agent", "google", &["calendar"], true);
    let (vault, sink, alice) = setup(rules);
    vault.add_connection(ConnectionConfig::new("google"));
    vault.store_for(&alice, "google", &broad()).unwrap();
    let err = vault.get(&alice, "google", &["gmail"]).await.unwrap_err();
    assert!(matches!(err, VaultError::ScopeNotAllowed { scopes, .. } if scopes == ["gmail"]));
    assert_eq!(denied(&sink, "scope_not_allowed"), 1);
}

#[tokio::test]
async fn a_broader_grant_is_narrowed_by_the_provider_and_the_rotated_refresh_token_kept() {
    let rules =
        StaticAgentConnections::new().allow("calendar-agent", "google", &["calendar"], true);
    let (vault, _sink, alice) = setup(rules);
    let provider = Arc::new(Narrowing::default());
    vault.add_connection(ConnectionConfig::new("google").refresher(provider.clone()));
    vault.store_for(&alice, "google", &broad()).unwrap();

    let token = vault.get(&alice, "google", &["calendar"]).await.unwrap();
    assert_eq!(token.secret(), "narrow-calendar");
    // Nothing asked: the allowance, not the grant.
    let token = vault.get(&alice, "google", &[]).await.unwrap();
    assert_eq!(token.secret(), "narrow-calendar");
    assert_eq!(
        *provider.asked.lock().unwrap(),
        [["calendar"], ["calendar"]]
    );
    // The hot path never hands out the broad token: it asks for a narrowing.
    assert!(matches!(
        vault.get_cached(&alice, "google", &["calendar"]).unwrap(),
        Lookup::Stale
    ));
    // The grant keeps its scopes; the rotated refresh token was stored.
    let record = vault
        .store()
        .get(&CredentialKey::new("acme", "alice", "google"))
        .unwrap()
        .unwrap();
    assert_eq!(record.scopes, ["calendar", "gmail"]);
    assert_eq!(record.version, 3, "one write per rotated refresh token");
}

#[tokio::test]
async fn a_strict_connection_refuses_a_broader_grant_it_cannot_narrow() {
    let rules =
        StaticAgentConnections::new().allow("calendar-agent", "google", &["calendar"], true);
    let (vault, sink, alice) = setup(rules);
    vault.add_connection(ConnectionConfig::new("google"));
    vault.store_for(&alice, "google", &broad()).unwrap();
    let err = vault
        .get(&alice, "google", &["calendar"])
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::BroaderThanAllowed(c) if c == "google"));
    assert_eq!(denied(&sink, "broader_than_allowed"), 1);
}

#[tokio::test]
async fn a_provider_answering_broader_than_asked_is_refused() {
    let rules =
        StaticAgentConnections::new().allow("calendar-agent", "google", &["calendar"], false);
    let (vault, _sink, alice) = setup(rules);
    vault.add_connection(ConnectionConfig::new("google").refresher(Arc::new(Ignoring)));
    vault.store_for(&alice, "google", &broad()).unwrap();
    let err = vault
        .get(&alice, "google", &["calendar"])
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::BroaderThanAllowed(_)));
}

#[tokio::test]
async fn a_lax_connection_hands_out_the_broader_grant_and_audits_it() {
    let rules =
        StaticAgentConnections::new().allow("calendar-agent", "google", &["calendar"], false);
    let (vault, sink, alice) = setup(rules);
    vault.add_connection(ConnectionConfig::new("google"));
    vault.store_for(&alice, "google", &broad()).unwrap();
    let token = vault.get(&alice, "google", &["calendar"]).await.unwrap();
    assert_eq!(token.secret(), "stored-broad");
    assert!(
        sink.events()
            .iter()
            .any(|e| e.reason.as_deref() == Some("broader_than_allowed")
                && e.outcome == Outcome::Success)
    );
}
