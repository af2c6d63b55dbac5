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
    assert!(revocations.contains(&(
        "crm".into(),
        Outcome::Error,
        Some("revocation_unsupported".into())
    )));
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
