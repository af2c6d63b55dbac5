//! Just-in-time credentials minted by the vault at request time through a
//! `JitIssuer`: a read mints, later reads get the same credential until
//! shortly before its expiry, concurrent readers cause one mint, the rotation
//! pass removes expired ones and runs the issuer's sweep; a failed mint or a
//! credential that cannot be stored leaves nothing behind; logout, wipe and
//! deprovisioning revoke the live credentials at their issuer, retried and
//! audited. Manual clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::{Clock, ManualClock};
use agent_auth::secret::SecretString;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use token_vault_client::jit::{JitIssuer, JitSource, Lease};
use token_vault_client::*;

const T0: i64 = 1_800_000_000;
const TTL: i64 = 900;

/// An issuer that mints database credentials named `lease-<n>`, counts its
/// calls, and keeps what is live at the "provider".
#[derive(Debug, Default)]
struct CountingIssuer {
    clock: ManualClock,
    issued: AtomicUsize,
    live: Mutex<HashMap<String, i64>>,
    revoked: Mutex<Vec<String>>,
    fail: AtomicBool,
    /// Mint credentials without their expiry (a broken issuer).
    no_expiry: AtomicBool,
    /// How many of the next revocations fail.
    revoke_failures: AtomicUsize,
    /// Cannot name the lease of a stored credential.
    anonymous: AtomicBool,
    /// Told when a mint reaches the issuer; the mint then waits for `hold`.
    entered: tokio::sync::Notify,
    hold: tokio::sync::Mutex<()>,
}

impl CountingIssuer {
    fn new(clock: &ManualClock) -> Arc<Self> {
        Arc::new(Self {
            clock: clock.clone(),
            ..Self::default()
        })
    }

    fn live(&self) -> Vec<String> {
        let mut names: Vec<String> = self.live.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }
}

#[token_vault_client::async_trait]
impl JitIssuer for CountingIssuer {
    type Template = &'static str;

    async fn issue(
        &self,
        agent: &str,
        template: &&'static str,
        ttl: i64,
    ) -> Result<Lease, VaultError> {
        // Let concurrent readers pile up behind the vault's lock.
        tokio::task::yield_now().await;
        self.entered.notify_one();
        drop(self.hold.lock().await);
        if self.fail.load(Ordering::SeqCst) {
            return Err(VaultError::Storage("the provider is down".into()));
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let id = format!("lease-{n}");
        let expires_at = self.clock.now() + ttl;
        self.live.lock().unwrap().insert(id.clone(), expires_at);
        let credential = Credential::Database {
            username: id.clone(),
            password: SecretString::new(format!("pw-{n}-{template}")),
            host: None,
            database: Some((*template).to_owned()),
            expires_at: (!self.no_expiry.load(Ordering::SeqCst)).then_some(expires_at),
        };
        Ok(Lease::new(id, agent, credential, expires_at))
    }

    async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError> {
        self.revoked.lock().unwrap().push(lease.id().to_owned());
        let failing = self
            .revoke_failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(VaultError::Storage("the provider is down".into()));
        }
        Ok(self.live.lock().unwrap().remove(lease.id()).is_some())
    }

    fn lease_id(&self, credential: &Credential) -> Option<String> {
        match credential {
            Credential::Database { username, .. } if !self.anonymous.load(Ordering::SeqCst) => {
                Some(username.clone())
            }
            _ => None,
        }
    }

    async fn sweep_expired(&self) -> Result<usize, VaultError> {
        let now = self.clock.now();
        let mut live = self.live.lock().unwrap();
        let before = live.len();
        live.retain(|_, expires_at| *expires_at > now);
        Ok(before - live.len())
    }
}

/// Records the waits between revocation tries instead of sleeping.
#[derive(Debug, Default)]
struct Waits(Mutex<Vec<u64>>);

#[token_vault_client::async_trait]
impl RetrySleeper for Waits {
    async fn sleep(&self, seconds: u64) {
        self.0.lock().unwrap().push(seconds);
    }
}

struct Fixture {
    vault: Vault,
    clock: ManualClock,
    audit: MemorySink,
    issuer: Arc<CountingIssuer>,
    waits: Arc<Waits>,
    alice: Accessor,
}

fn fixture_on(store: Arc<dyn VaultStore>) -> Fixture {
    let clock = ManualClock::new(T0);
    let audit = MemorySink::new();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let waits = Arc::new(Waits::default());
    let vault = Vault::builder(store, keys)
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .revocation_retry(RevocationRetry {
            attempts: 3,
            backoff: 1,
            sleeper: Arc::clone(&waits) as Arc<dyn RetrySleeper>,
        })
        .build();
    let issuer = CountingIssuer::new(&clock);
    let source = JitSource::new(Arc::clone(&issuer), "crm", TTL)
        .unwrap()
        .renew_before(60)
        .unwrap();
    vault.add_connection(ConnectionConfig::new("crm-db").jit(source));
    Fixture {
        vault,
        clock,
        audit,
        issuer,
        waits,
        alice: Accessor::trusted_system("acme", "alice", "sales-agent"),
    }
}

fn fixture() -> Fixture {
    fixture_on(Arc::new(MemoryVaultStore::new()))
}

fn username(c: &IssuedCredential) -> String {
    match c {
        IssuedCredential::Database { username, .. } => username.clone(),
        other => panic!("a database credential, got {:?}", other.kind()),
    }
}

#[tokio::test]
async fn a_read_mints_through_the_issuer_and_reuses_it_until_shortly_before_expiry() {
    let f = fixture();
    let first = f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    assert_eq!(username(&first), "lease-1");
    assert_eq!(first.expires_at(), Some(T0 + TTL));
    assert_eq!(first.secret(), "pw-1-crm");
    assert_eq!(f.issuer.issued.load(Ordering::SeqCst), 1);
    // Cached: the hot read serves it, no second mint.
    f.clock.set(T0 + TTL - 61);
    match f.vault.get_cached(&f.alice, "crm-db", &[]).unwrap() {
        Lookup::Ready(c) => assert_eq!(username(&c), "lease-1"),
        Lookup::Stale => panic!("still fresh"),
    }
    assert_eq!(
        username(&f.vault.get(&f.alice, "crm-db", &[]).await.unwrap()),
        "lease-1"
    );
    assert_eq!(f.issuer.issued.load(Ordering::SeqCst), 1);
    // A minute before its expiry it is no longer handed out: a new one is minted.
    f.clock.set(T0 + TTL - 60);
    assert!(matches!(
        f.vault.get_cached(&f.alice, "crm-db", &[]).unwrap(),
        Lookup::Stale
    ));
    let second = f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    assert_eq!(username(&second), "lease-2");
    assert_eq!(second.expires_at(), Some(T0 + TTL - 60 + TTL));
    assert_eq!(f.issuer.issued.load(Ordering::SeqCst), 2);
    // Each mint is a credential-change event naming the lease, never the password.
    let mints: Vec<String> = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::Other("credential-change".into()))
        .map(|e| e.details["lease"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mints, ["lease-1", "lease-2"]);
    for e in f.audit.events() {
        assert!(!serde_json::to_string(&e).unwrap().contains("pw-"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_readers_cause_one_mint() {
    let f = fixture();
    let reads = (0..8).map(|_| {
        let vault = f.vault.clone();
        let alice = f.alice.clone();
        tokio::spawn(async move { vault.get(&alice, "crm-db", &[]).await.map(|c| username(&c)) })
    });
    let names: Vec<String> = futures_join(reads).await;
    assert_eq!(f.issuer.issued.load(Ordering::SeqCst), 1);
    assert!(names.iter().all(|n| n == "lease-1"), "{names:?}");
}

async fn futures_join(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<Result<String, VaultError>>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn the_rotation_pass_removes_expired_credentials_and_runs_the_issuers_sweep() {
    let f = fixture();
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    f.clock.set(T0 + TTL - 60);
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    assert_eq!(f.issuer.live(), ["lease-1", "lease-2"]);
    // Before the first lease's expiry nothing is swept.
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!((report.jit_swept, report.expired_removed), (0, 0));
    // After it, the issuer ends lease-1; lease-2 stays live and in the vault.
    f.clock.set(T0 + TTL);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(report.jit_swept, 1);
    assert!(report.sweep_failed.is_empty());
    assert_eq!(f.issuer.live(), ["lease-2"]);
    // After lease-2's expiry: gone at the issuer and from the vault.
    f.clock.set(T0 + 2 * TTL - 60);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!((report.jit_swept, report.expired_removed), (1, 1));
    assert!(f.issuer.live().is_empty());
    let key = CredentialKey::new("acme", "alice", "crm-db");
    assert!(f.vault.store().get(&key).unwrap().is_none());
    // The next read mints again.
    let next = f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    assert_eq!(username(&next), "lease-3");
}

#[tokio::test]
async fn a_failed_mint_is_a_typed_error_and_stores_nothing() {
    let f = fixture();
    f.issuer.fail.store(true, Ordering::SeqCst);
    assert!(matches!(
        f.vault.get(&f.alice, "crm-db", &[]).await,
        Err(VaultError::Storage(_))
    ));
    let key = CredentialKey::new("acme", "alice", "crm-db");
    assert!(f.vault.store().get(&key).unwrap().is_none());
    assert!(f.issuer.live().is_empty());
    // A credential without its expiry would never end: refused, revoked.
    f.issuer.fail.store(false, Ordering::SeqCst);
    f.issuer.no_expiry.store(true, Ordering::SeqCst);
    assert!(matches!(
        f.vault.get(&f.alice, "crm-db", &[]).await,
        Err(VaultError::Invalid(_))
    ));
    assert!(f.vault.store().get(&key).unwrap().is_none());
    assert!(f.issuer.live().is_empty());
    assert_eq!(*f.issuer.revoked.lock().unwrap(), ["lease-1"]);
    // Bad lifetimes are refused when the source is built.
    assert!(JitSource::new(Arc::clone(&f.issuer), "crm", 0).is_err());
    let source = JitSource::new(Arc::clone(&f.issuer), "crm", 60).unwrap();
    assert!(source.clone().renew_before(60).is_err());
    assert!(source.renew_before(-1).is_err());
}

/// A store whose writes fail (a full disk).
#[derive(Debug, Default)]
struct ReadOnlyStore(MemoryVaultStore);

impl VaultStore for ReadOnlyStore {
    fn get(&self, key: &CredentialKey) -> Result<Option<SealedRecord>, VaultError> {
        self.0.get(key)
    }
    fn put(&self, _record: &SealedRecord, _expected: u64) -> Result<(), VaultError> {
        Err(VaultError::Storage("disk full".into()))
    }
    fn delete(&self, key: &CredentialKey) -> Result<bool, VaultError> {
        self.0.delete(key)
    }
    fn delete_version(&self, key: &CredentialKey, version: u64) -> Result<bool, VaultError> {
        self.0.delete_version(key, version)
    }
    fn delete_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        self.0.delete_user(tenant, user)
    }
    fn list(&self) -> Result<Vec<SealedRecord>, VaultError> {
        self.0.list()
    }
}

#[tokio::test]
async fn a_minted_credential_that_cannot_be_stored_is_revoked_at_the_issuer() {
    let f = fixture_on(Arc::new(ReadOnlyStore::default()));
    assert!(matches!(
        f.vault.get(&f.alice, "crm-db", &[]).await,
        Err(VaultError::Storage(_))
    ));
    assert_eq!(f.issuer.issued.load(Ordering::SeqCst), 1);
    assert_eq!(*f.issuer.revoked.lock().unwrap(), ["lease-1"]);
    assert!(f.issuer.live().is_empty());
    let undone = f
        .audit
        .events()
        .into_iter()
        .filter(|e| e.details.get("lease_revoked").and_then(|v| v.as_bool()) == Some(true))
        .count();
    assert_eq!(undone, 1);
}

#[tokio::test]
async fn a_connection_without_an_issuer_is_not_minted() {
    let f = fixture();
    f.vault.add_connection(ConnectionConfig::new("plain-db"));
    assert!(matches!(
        f.vault.get(&f.alice, "plain-db", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    assert_eq!(f.issuer.issued.load(Ordering::SeqCst), 0);
}

/// The `token_revoked` events of just-in-time credentials: (lease, outcome,
/// reason, attempts).
fn lease_events(audit: &MemorySink) -> Vec<(Option<String>, Outcome, Option<String>, u64)> {
    audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenRevoked)
        .filter(|e| e.details.get("token").and_then(|t| t.as_str()) == Some("jit_lease"))
        .map(|e| {
            (
                e.details
                    .get("lease")
                    .and_then(|l| l.as_str())
                    .map(str::to_owned),
                e.outcome,
                e.reason.clone(),
                e.details["attempts"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn logout_revokes_the_users_live_minted_credential_at_its_issuer_and_deletes_it() {
    let f = fixture();
    let bob = Accessor::trusted_system("acme", "bob", "sales-agent");
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    f.vault.get(&bob, "crm-db", &[]).await.unwrap();
    f.clock.set(T0 + 100);
    let report = f.vault.revoke_user("acme", "alice").await.unwrap();
    assert_eq!(report.wiped, 1);
    assert_eq!(report.revoked, ["crm-db"]);
    assert!(report.failed.is_empty() && report.unsupported.is_empty());
    assert_eq!(report.leases.len(), 1);
    let lease = &report.leases[0];
    assert_eq!(
        (lease.connection.as_str(), lease.lease.as_deref()),
        ("crm-db", Some("lease-1"))
    );
    assert_eq!((lease.outcome.clone(), lease.attempts), (Ok(()), 1));
    // Ended at the issuer, gone from the vault; bob's stays.
    assert_eq!(*f.issuer.revoked.lock().unwrap(), ["lease-1"]);
    assert_eq!(f.issuer.live(), ["lease-2"]);
    let alice_key = CredentialKey::new("acme", "alice", "crm-db");
    assert!(f.vault.store().get(&alice_key).unwrap().is_none());
    assert!(matches!(
        f.vault.get_cached(&f.alice, "crm-db", &[]),
        Ok(Lookup::Stale) | Err(VaultError::NotFound(_))
    ));
    assert_eq!(
        username(&f.vault.get(&bob, "crm-db", &[]).await.unwrap()),
        "lease-2"
    );
    assert_eq!(
        lease_events(&f.audit),
        [(Some("lease-1".into()), Outcome::Success, None, 1)]
    );
    for e in f.audit.events() {
        assert!(!serde_json::to_string(&e).unwrap().contains("pw-"));
    }
    // A later read mints a new credential.
    assert_eq!(
        username(&f.vault.get(&f.alice, "crm-db", &[]).await.unwrap()),
        "lease-3"
    );
}

#[tokio::test]
async fn a_failed_revocation_at_the_issuer_is_retried_then_reported_and_ends_at_expiry() {
    let f = fixture();
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    // Two failures, then the issuer revokes: three tries, waits of 1 and 2 s.
    f.issuer.revoke_failures.store(2, Ordering::SeqCst);
    let report = f.vault.wipe_user("acme", "alice").await.unwrap();
    assert_eq!(
        (report.leases[0].outcome.clone(), report.leases[0].attempts),
        (Ok(()), 3)
    );
    assert_eq!(*f.waits.0.lock().unwrap(), [1, 2]);
    assert!(f.issuer.live().is_empty());

    // An issuer that keeps failing: reported and audited after three tries;
    // the vault no longer holds it, and the issuer's sweep ends it at expiry.
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    f.issuer.revoke_failures.store(usize::MAX, Ordering::SeqCst);
    let report = f.vault.wipe_user("acme", "alice").await.unwrap();
    assert_eq!(report.wiped, 1);
    assert_eq!(report.failed, [("crm-db".to_owned(), "storage".to_owned())]);
    assert_eq!(report.leases[0].attempts, 3);
    assert!(matches!(
        &report.leases[0].outcome,
        Err(RevokeError::Failed(why)) if why == "storage"
    ));
    assert_eq!(f.issuer.live(), ["lease-2"]);
    let key = CredentialKey::new("acme", "alice", "crm-db");
    assert!(f.vault.store().get(&key).unwrap().is_none());
    assert_eq!(
        lease_events(&f.audit),
        [
            (Some("lease-1".into()), Outcome::Success, None, 3),
            (
                Some("lease-2".into()),
                Outcome::Error,
                Some("storage".into()),
                3
            ),
        ]
    );
    f.issuer.revoke_failures.store(0, Ordering::SeqCst);
    f.clock.set(T0 + TTL);
    let pass = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(pass.jit_swept, 1);
    assert!(f.issuer.live().is_empty());
}

#[tokio::test]
async fn an_issuer_that_cannot_name_the_lease_is_recorded_as_not_revocable() {
    let f = fixture();
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    f.issuer.anonymous.store(true, Ordering::SeqCst);
    let report = f.vault.wipe_user("acme", "alice").await.unwrap();
    assert_eq!(report.unsupported, ["crm-db"]);
    assert_eq!(report.leases[0].lease, None);
    assert_eq!(
        (report.leases[0].outcome.clone(), report.leases[0].attempts),
        (Err(RevokeError::Unsupported), 0)
    );
    assert!(f.issuer.revoked.lock().unwrap().is_empty());
    assert_eq!(
        lease_events(&f.audit),
        [(None, Outcome::Error, Some("not_revocable".into()), 0)]
    );
}

#[tokio::test]
async fn deprovisioning_an_agent_revokes_its_own_minted_credential_only() {
    let f = fixture();
    // The agent's own credential (user = the agent) and alice's.
    let own = Accessor::trusted_system("acme", "sales-agent", "sales-agent");
    f.vault.get(&own, "crm-db", &[]).await.unwrap();
    f.vault.get(&f.alice, "crm-db", &[]).await.unwrap();
    let report = f
        .vault
        .deprovision_agent("acme", "sales-agent")
        .await
        .unwrap();
    assert_eq!(report.leases[0].lease.as_deref(), Some("lease-1"));
    assert_eq!(f.issuer.live(), ["lease-2"]);
}

#[tokio::test]
async fn a_logout_during_a_mint_waits_for_it_and_revokes_what_it_minted() {
    let f = fixture();
    let hold = f.issuer.hold.lock().await;
    let read = tokio::spawn({
        let (vault, alice) = (f.vault.clone(), f.alice.clone());
        async move { vault.get(&alice, "crm-db", &[]).await.map(|c| username(&c)) }
    });
    // The mint is at the issuer, under the credential's lock.
    f.issuer.entered.notified().await;
    let logout = tokio::spawn({
        let vault = f.vault.clone();
        async move { vault.wipe_user("acme", "alice").await }
    });
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
    assert!(!logout.is_finished(), "the logout waits for the mint");
    drop(hold);
    assert_eq!(read.await.unwrap().unwrap(), "lease-1");
    let report = logout.await.unwrap().unwrap();
    assert_eq!(report.wiped, 1);
    assert_eq!(report.revoked, ["crm-db"]);
    assert!(f.issuer.live().is_empty());
    let key = CredentialKey::new("acme", "alice", "crm-db");
    assert!(f.vault.store().get(&key).unwrap().is_none());
}
