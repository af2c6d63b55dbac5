//! The vault as a subscriber of security signals: a signal that ends a
//! user's access wipes that user's credentials at once and asks each
//! provider to revoke the refresh token it issued (RFC 7009), recording the
//! providers that could not. Other users and other signals change nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::secret::SecretString;
use agent_auth::signals::{Signal, SignalKind, SignalSubscriber, Subject};
use std::sync::{Arc, Mutex};
use token_vault_client::*;

const IDP: &str = "https://idp.example";

/// A provider's revocation endpoint, in process: keeps what it was given.
#[derive(Debug, Default)]
struct Provider(Mutex<Vec<String>>);

#[agent_auth::async_trait]
impl TokenRevoker for Provider {
    async fn revoke_refresh_token(&self, token: &SecretString) -> Result<(), RevokeError> {
        self.0
            .lock()
            .unwrap()
            .push(token.expose_secret().to_owned());
        Ok(())
    }
}

fn oauth(rt: &str) -> Credential {
    Credential::OAuth(TokenSet {
        access_token: SecretString::new(format!("at-{rt}")),
        refresh_token: Some(SecretString::new(rt)),
        expires_at: None,
        scopes: vec!["calendar.readonly".into()],
        token_type: "Bearer".into(),
    })
}

struct Fixture {
    vault: Vault,
    provider: Arc<Provider>,
    audit: MemorySink,
    alice: Accessor,
    bob: Accessor,
}

fn fixture() -> Fixture {
    let audit = MemorySink::new();
    let vault = Vault::builder(
        Arc::new(MemoryVaultStore::new()),
        Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap())),
    )
    .audit(Arc::new(audit.clone()))
    .build();
    let provider = Arc::new(Provider::default());
    vault.add_connection(ConnectionConfig::new("calendar").revoker(provider.clone()));
    vault.add_connection(ConnectionConfig::new("crm"));
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    let bob = Accessor::trusted_system("acme", "bob", "assistant");
    vault
        .store_for(&alice, "calendar", &oauth("rt-alice"))
        .unwrap();
    vault
        .store_for(&alice, "crm", &oauth("rt-alice-crm"))
        .unwrap();
    vault.store_for(&bob, "calendar", &oauth("rt-bob")).unwrap();
    Fixture {
        vault,
        provider,
        audit,
        alice,
        bob,
    }
}

fn about_alice(kind: SignalKind) -> Signal {
    Signal::local(
        kind,
        Subject::IssSub {
            iss: IDP.into(),
            sub: "alice".into(),
        },
        &[IDP],
        1_000,
    )
}

#[tokio::test]
async fn account_disabled_wipes_the_users_credentials_and_revokes_at_the_provider() {
    let f = fixture();
    VaultSignals::new(f.vault.clone(), "acme", IDP)
        .on_signal(&about_alice(SignalKind::AccountDisabled))
        .await;
    for connection in ["calendar", "crm"] {
        assert!(matches!(
            f.vault.get(&f.alice, connection, &[]).await,
            Err(VaultError::NotFound(_))
        ));
    }
    assert!(f.vault.get(&f.bob, "calendar", &[]).await.is_ok());
    assert_eq!(*f.provider.0.lock().unwrap(), ["rt-alice"]);
    // Where the provider offers no revocation, the audit trail says so.
    let revocations: Vec<_> = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenRevoked)
        .map(|e| {
            (
                e.details["connection"].as_str().unwrap().to_owned(),
                e.outcome,
                e.reason,
            )
        })
        .collect();
    assert!(revocations.contains(&("calendar".into(), Outcome::Success, None)));
    assert!(revocations.contains(&("crm".into(), Outcome::Error, Some("not_revocable".into()))));
}

#[tokio::test]
async fn revoke_user_reports_what_each_provider_did() {
    let f = fixture();
    let report = f.vault.revoke_user("acme", "alice").await.unwrap();
    assert_eq!(report.wiped, 2);
    assert_eq!(report.revoked, ["calendar"]);
    assert_eq!(report.unsupported, ["crm"]);
    assert!(report.failed.is_empty());
}

#[tokio::test]
async fn signals_that_do_not_end_access_or_name_another_issuer_change_nothing() {
    let f = fixture();
    let subscriber = VaultSignals::new(f.vault.clone(), "acme", IDP);
    subscriber
        .on_signal(&about_alice(SignalKind::TokenClaimsChange))
        .await;
    let elsewhere = Signal::local(
        SignalKind::AccountPurged,
        Subject::Opaque("alice".into()),
        &["https://other-idp.example"],
        1_000,
    );
    subscriber.on_signal(&elsewhere).await;
    assert!(f.vault.get(&f.alice, "calendar", &[]).await.is_ok());
    assert!(f.provider.0.lock().unwrap().is_empty());
}

/// A provider that fails its first `failures` answers, then revokes both
/// kinds of token; it keeps (kind, token) of each success.
#[derive(Debug)]
struct Flaky {
    failures: Mutex<u32>,
    revoked: Mutex<Vec<(&'static str, String)>>,
}

impl Flaky {
    fn new(failures: u32) -> Arc<Self> {
        Arc::new(Self {
            failures: Mutex::new(failures),
            revoked: Mutex::new(Vec::new()),
        })
    }

    fn answer(&self, kind: &'static str, token: &SecretString) -> Result<(), RevokeError> {
        let mut failures = self.failures.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err(RevokeError::Failed("HTTP 503".into()));
        }
        self.revoked
            .lock()
            .unwrap()
            .push((kind, token.expose_secret().to_owned()));
        Ok(())
    }
}

#[agent_auth::async_trait]
impl TokenRevoker for Flaky {
    async fn revoke_refresh_token(&self, token: &SecretString) -> Result<(), RevokeError> {
        self.answer("refresh_token", token)
    }
    async fn revoke_access_token(&self, token: &SecretString) -> Result<(), RevokeError> {
        self.answer("access_token", token)
    }
}

/// Records the waits instead of sleeping.
#[derive(Debug, Default)]
struct Waits(Mutex<Vec<u64>>);

#[agent_auth::async_trait]
impl RetrySleeper for Waits {
    async fn sleep(&self, seconds: u64) {
        self.0.lock().unwrap().push(seconds);
    }
}

fn flaky_vault(provider: Arc<Flaky>, waits: Arc<Waits>) -> (Vault, MemorySink) {
    let audit = MemorySink::new();
    let vault = Vault::builder(
        Arc::new(MemoryVaultStore::new()),
        Arc::new(StaticKeyProvider::new(MasterKey::generate("m").unwrap())),
    )
    .audit(Arc::new(audit.clone()))
    .revocation_retry(RevocationRetry {
        attempts: 3,
        backoff: 2,
        sleeper: waits,
    })
    .build();
    vault.add_connection(ConnectionConfig::new("calendar").revoker(provider));
    (vault, audit)
}

#[tokio::test]
async fn wipe_user_revokes_refresh_and_access_tokens_retrying_failures_without_sleeping() {
    let provider = Flaky::new(2);
    let waits = Arc::new(Waits::default());
    let (vault, audit) = flaky_vault(provider.clone(), waits.clone());
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    vault
        .store_for(&alice, "calendar", &oauth("rt-alice"))
        .unwrap();

    let report = vault.wipe_user("acme", "alice").await.unwrap();
    assert_eq!(report.wiped, 1);
    assert_eq!(report.revoked, ["calendar"]);
    // The refresh token first (two 503s, then revoked), then the access token.
    assert_eq!(
        *provider.revoked.lock().unwrap(),
        [
            ("refresh_token", "rt-alice".to_owned()),
            ("access_token", "at-rt-alice".to_owned())
        ]
    );
    assert_eq!(*waits.0.lock().unwrap(), [2, 4], "backoff doubles");
    let attempts: Vec<(RevokedToken, u32, bool)> = report
        .tokens
        .iter()
        .map(|t| (t.token, t.attempts, t.outcome.is_ok()))
        .collect();
    assert_eq!(
        attempts,
        [
            (RevokedToken::RefreshToken, 3, true),
            (RevokedToken::AccessToken, 1, true)
        ]
    );
    let audited: Vec<_> = audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenRevoked)
        .map(|e| (e.details["token"].as_str().unwrap().to_owned(), e.outcome))
        .collect();
    assert_eq!(
        audited,
        [
            ("refresh_token".to_owned(), Outcome::Success),
            ("access_token".to_owned(), Outcome::Success)
        ]
    );
    // Never a token value in the audit trail.
    assert!(!format!("{:?}", audit.events()).contains("rt-alice"));
}

#[tokio::test]
async fn a_provider_that_keeps_failing_is_reported_after_the_last_attempt() {
    let provider = Flaky::new(u32::MAX);
    let waits = Arc::new(Waits::default());
    let (vault, _) = flaky_vault(provider, waits.clone());
    let alice = Accessor::trusted_system("acme", "alice", "assistant");
    vault
        .store_for(&alice, "calendar", &oauth("rt-alice"))
        .unwrap();
    let report = vault.wipe_user("acme", "alice").await.unwrap();
    // Wiped locally all the same; each token tried three times.
    assert_eq!(report.wiped, 1);
    assert_eq!(
        report.failed,
        [("calendar".to_owned(), "HTTP 503".to_owned())]
    );
    assert!(report.tokens.iter().all(|t| t.attempts == 3));
    assert_eq!(waits.0.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn deprovisioning_an_agent_revokes_its_own_credentials_only() {
    let provider = Flaky::new(0);
    let (vault, audit) = flaky_vault(provider.clone(), Arc::new(Waits::default()));
    // The agent's own credential (user = the agent's id) and a user's.
    let own = Accessor::trusted_system("acme", "report-bot", "report-bot");
    let alice = Accessor::trusted_system("acme", "alice", "report-bot");
    vault.store_for(&own, "calendar", &oauth("rt-bot")).unwrap();
    vault
        .store_for(&alice, "calendar", &oauth("rt-alice"))
        .unwrap();
    let report = vault.deprovision_agent("acme", "report-bot").await.unwrap();
    assert_eq!(report.wiped, 1);
    let revoked: Vec<String> = provider
        .revoked
        .lock()
        .unwrap()
        .iter()
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(revoked, ["rt-bot", "at-rt-bot"]);
    assert!(vault.get(&alice, "calendar", &[]).await.is_ok());
    assert!(
        audit
            .events()
            .iter()
            .any(|e| e.details.get("op") == Some(&serde_json::json!("agent_deprovisioned")))
    );
}
