//! Scheduled rotation of privileged credentials with a fake clock: due and not
//! due, a failing rotator keeps the old credential and is audited, a failed
//! store write discards the new credential, concurrent rotations are one, and
//! expired just-in-time credentials are removed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use token_vault_client::*;

const T0: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

/// A database that accepts the passwords the rotator set, and records which
/// were retired and discarded.
#[derive(Debug, Default)]
struct FakeDatabase {
    issued: AtomicU64,
    fail_issue: AtomicBool,
    fail_retire: AtomicBool,
    delay_ms: u64,
    retired: Mutex<Vec<String>>,
    discarded: Mutex<Vec<String>>,
}

fn password(c: &Credential) -> String {
    match c {
        Credential::Database { password, .. } => password.expose_secret().to_owned(),
        other => panic!("not a database credential: {other:?}"),
    }
}

#[async_trait::async_trait]
impl Rotator for FakeDatabase {
    async fn issue(
        &self,
        _key: &CredentialKey,
        current: &Credential,
    ) -> Result<Credential, RotationError> {
        if self.delay_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(self.delay_ms)).await;
        }
        if self.fail_issue.load(Ordering::SeqCst) {
            return Err(RotationError::new("database unreachable"));
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let Credential::Database {
            username,
            host,
            database,
            ..
        } = current
        else {
            return Err(RotationError::new("not a database credential"));
        };
        Ok(Credential::Database {
            username: username.clone(),
            password: SecretString::new(format!("pw-{n}-SECRETVALUE")),
            host: host.clone(),
            database: database.clone(),
            expires_at: None,
        })
    }

    async fn retire(&self, _key: &CredentialKey, old: &Credential) -> Result<(), RotationError> {
        if self.fail_retire.load(Ordering::SeqCst) {
            return Err(RotationError::new("cannot drop the old password"));
        }
        self.retired.lock().unwrap().push(password(old));
        Ok(())
    }

    async fn discard(&self, _key: &CredentialKey, new: &Credential) -> Result<(), RotationError> {
        self.discarded.lock().unwrap().push(password(new));
        Ok(())
    }
}

fn db_credential(pw: &str) -> Credential {
    Credential::Database {
        username: "crm_service".into(),
        password: SecretString::new(pw),
        host: Some("db:5432".into()),
        database: Some("crm".into()),
        expires_at: None,
    }
}

struct Fixture {
    vault: Vault,
    clock: ManualClock,
    audit: MemorySink,
    db: Arc<FakeDatabase>,
    agent: Accessor,
}

fn fixture(store: Arc<dyn VaultStore>, db: FakeDatabase) -> Fixture {
    let clock = ManualClock::new(T0);
    let audit = MemorySink::new();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let vault = Vault::builder(store, keys)
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build();
    let db = Arc::new(db);
    vault.add_connection(
        ConnectionConfig::new("crm-db").rotation(db.clone(), RotationPolicy::every_days(30)),
    );
    let agent = Accessor::trusted_system("acme", "svc-sales-agent", "sales-agent-prod-001");
    vault
        .store_for(&agent, "crm-db", &db_credential("pw-0-SECRETVALUE"))
        .unwrap();
    Fixture {
        vault,
        clock,
        audit,
        db,
        agent,
    }
}

async fn current_password(f: &Fixture) -> String {
    f.vault
        .get(&f.agent, "crm-db", &[])
        .await
        .unwrap()
        .secret()
        .to_owned()
}

fn rotation_events(audit: &MemorySink) -> Vec<agent_auth::audit::AuditEvent> {
    audit
        .events()
        .into_iter()
        .filter(|e| {
            e.action == AuditAction::VaultAccess
                && e.details
                    .get("op")
                    .and_then(|v| v.as_str())
                    .is_some_and(|op| op.starts_with("rotate"))
        })
        .collect()
}

#[tokio::test]
async fn rotates_when_due_and_not_before_with_time_and_version_recorded() {
    let f = fixture(Arc::new(MemoryVaultStore::new()), FakeDatabase::default());
    let key = CredentialKey::new("acme", "svc-sales-agent", "crm-db");

    // Day 29: not due.
    f.clock.advance(29 * DAY);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert!(report.rotated.is_empty() && report.failed.is_empty());
    assert_eq!(f.db.issued.load(Ordering::SeqCst), 0);
    assert_eq!(current_password(&f).await, "pw-0-SECRETVALUE");

    // Day 30: due; the new password is stored as version 2, the old one retired.
    f.clock.advance(DAY);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(report.rotated, vec![(key.clone(), 2)]);
    assert_eq!(current_password(&f).await, "pw-1-SECRETVALUE");
    assert_eq!(*f.db.retired.lock().unwrap(), ["pw-0-SECRETVALUE"]);
    let record = f.vault.store().get(&key).unwrap().unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(record.sealed_at, Some(T0 + 30 * DAY));

    // The period starts again from the rotation.
    f.clock.advance(29 * DAY);
    assert!(
        f.vault
            .rotate_due(f.vault.now())
            .await
            .unwrap()
            .rotated
            .is_empty()
    );
    f.clock.advance(DAY);
    assert_eq!(
        f.vault.rotate_due(f.vault.now()).await.unwrap().rotated,
        vec![(key.clone(), 3)]
    );

    let events = rotation_events(&f.audit);
    assert_eq!(events.len(), 2);
    let ok = &events[0];
    assert_eq!(ok.outcome, Outcome::Success);
    assert_eq!(ok.user.as_deref(), Some("svc-sales-agent"));
    assert_eq!(ok.details["version"], 2);
    assert_eq!(ok.details["from_version"], 1);
    assert_eq!(ok.details["rotated_at"], T0 + 30 * DAY);
    assert_eq!(ok.details["retired"], true);
    // No value in any event.
    let all = format!("{:?}", f.audit.events());
    assert!(!all.contains("SECRETVALUE"), "{all}");
}

#[tokio::test]
async fn a_failing_rotator_keeps_the_old_credential_and_is_audited() {
    let f = fixture(Arc::new(MemoryVaultStore::new()), FakeDatabase::default());
    let key = CredentialKey::new("acme", "svc-sales-agent", "crm-db");
    f.db.fail_issue.store(true, Ordering::SeqCst);
    f.clock.advance(31 * DAY);
    let before = f.vault.store().get(&key).unwrap().unwrap();

    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert!(report.rotated.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert!(matches!(
        &report.failed[0],
        (k, VaultError::RotationFailed(_)) if *k == key
    ));
    // Nothing changed: same record, same password, still due next time.
    assert_eq!(f.vault.store().get(&key).unwrap().unwrap(), before);
    assert_eq!(current_password(&f).await, "pw-0-SECRETVALUE");
    let events = rotation_events(&f.audit);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, Outcome::Error);
    assert_eq!(events[0].reason.as_deref(), Some("rotation_failed"));

    // The provider is back: the next pass rotates.
    f.db.fail_issue.store(false, Ordering::SeqCst);
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(report.rotated, vec![(key, 2)]);
    assert_eq!(current_password(&f).await, "pw-1-SECRETVALUE");
}

#[tokio::test]
async fn a_store_conflict_discards_the_new_credential_and_retire_failures_are_audited() {
    let f = fixture(Arc::new(MemoryVaultStore::new()), FakeDatabase::default());
    let key = CredentialKey::new("acme", "svc-sales-agent", "crm-db");
    f.clock.advance(31 * DAY);
    // A rotator that returns another kind is refused before anything is stored,
    // and what it created is discarded at the provider.
    #[derive(Debug)]
    struct WrongKind(Arc<FakeDatabase>);
    #[async_trait::async_trait]
    impl Rotator for WrongKind {
        async fn issue(
            &self,
            _k: &CredentialKey,
            _c: &Credential,
        ) -> Result<Credential, RotationError> {
            Ok(Credential::ApiKey {
                key: SecretString::new("sk-SECRETVALUE"),
                scopes: vec![],
            })
        }
        async fn discard(&self, _k: &CredentialKey, _n: &Credential) -> Result<(), RotationError> {
            self.0.discarded.lock().unwrap().push("api-key".into());
            Ok(())
        }
    }
    f.vault
        .add_connection(ConnectionConfig::new("crm-db").rotation(
            Arc::new(WrongKind(f.db.clone())),
            RotationPolicy::every_days(30),
        ));
    let err = f.vault.rotate(&key).await.unwrap_err();
    assert!(matches!(err, VaultError::RotationFailed(_)), "{err:?}");
    assert_eq!(*f.db.discarded.lock().unwrap(), ["api-key"]);
    assert_eq!(current_password(&f).await, "pw-0-SECRETVALUE");

    // Retire fails: the new credential is stored (it works), the failure is audited.
    f.vault.add_connection(
        ConnectionConfig::new("crm-db").rotation(f.db.clone(), RotationPolicy::every_days(30)),
    );
    f.db.fail_retire.store(true, Ordering::SeqCst);
    let done = f.vault.rotate(&key).await.unwrap();
    assert_eq!(
        done,
        Rotated::Stored {
            version: 2,
            retired: false
        }
    );
    assert_eq!(current_password(&f).await, "pw-1-SECRETVALUE");
    assert!(
        f.audit.events().iter().any(|e| {
            e.outcome == Outcome::Error && e.reason.as_deref() == Some("retire_failed")
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rotations_are_one() {
    let f = fixture(
        Arc::new(MemoryVaultStore::new()),
        FakeDatabase {
            delay_ms: 50,
            ..FakeDatabase::default()
        },
    );
    let key = CredentialKey::new("acme", "svc-sales-agent", "crm-db");
    f.clock.advance(90 * DAY);
    let now = f.vault.now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let vault = f.vault.clone();
        tasks.push(tokio::spawn(async move {
            vault.rotate_due(now).await.unwrap().rotated.len()
        }));
    }
    let mut rotated = 0;
    for t in tasks {
        rotated += t.await.unwrap();
    }
    assert_eq!(rotated, 1);
    assert_eq!(f.db.issued.load(Ordering::SeqCst), 1);
    assert_eq!(f.vault.store().get(&key).unwrap().unwrap().version, 2);
    assert_eq!(current_password(&f).await, "pw-1-SECRETVALUE");
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn rotation_time_survives_a_restart_and_the_task_helper_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let f = fixture(
        Arc::new(SqliteVaultStore::open(&path).unwrap()),
        FakeDatabase::default(),
    );
    let key = CredentialKey::new("acme", "svc-sales-agent", "crm-db");
    f.clock.advance(30 * DAY);
    let task = f.vault.spawn_rotation(std::time::Duration::from_millis(10));
    let mut version = 0;
    for _ in 0..500 {
        version = f.vault.store().get(&key).unwrap().unwrap().version;
        if version == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    task.abort();
    assert_eq!(version, 2);
    let reopened = SqliteVaultStore::open(&path).unwrap();
    let record = reopened.get(&key).unwrap().unwrap();
    assert_eq!(record.sealed_at, Some(T0 + 30 * DAY));
    assert_eq!(current_password(&f).await, "pw-1-SECRETVALUE");
}

#[tokio::test]
async fn expired_just_in_time_credentials_are_removed_by_the_job() {
    let f = fixture(Arc::new(MemoryVaultStore::new()), FakeDatabase::default());
    let jit = Credential::Database {
        username: "v-agent-7f3a".into(),
        password: SecretString::new("jit-SECRETVALUE"),
        host: Some("db:5432".into()),
        database: Some("crm".into()),
        expires_at: Some(T0 + 900),
    };
    f.vault.store_for(&f.agent, "crm-jit", &jit).unwrap();
    let report = f.vault.rotate_due(T0 + 899).await.unwrap();
    assert_eq!(report.expired_removed, 0);
    assert_eq!(
        f.vault
            .get(&f.agent, "crm-jit", &[])
            .await
            .unwrap()
            .secret(),
        "jit-SECRETVALUE"
    );
    f.clock.set(T0 + 900);
    assert!(matches!(
        f.vault.get(&f.agent, "crm-jit", &[]).await,
        Err(VaultError::Expired(_))
    ));
    let report = f.vault.rotate_due(f.vault.now()).await.unwrap();
    assert_eq!(report.expired_removed, 1);
    assert!(matches!(
        f.vault.get(&f.agent, "crm-jit", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    assert!(f.audit.events().iter().any(|e| {
        e.details.get("op").and_then(|v| v.as_str()) == Some("expire")
            && e.details["connection"] == "crm-jit"
    }));
    // The rotated connection was not due and is untouched.
    assert_eq!(current_password(&f).await, "pw-0-SECRETVALUE");
}

/// A store that counts full listings.
#[derive(Debug, Default)]
struct CountingStore {
    inner: MemoryVaultStore,
    lists: AtomicU64,
}

impl VaultStore for CountingStore {
    fn get(&self, key: &CredentialKey) -> Result<Option<SealedRecord>, VaultError> {
        self.inner.get(key)
    }
    fn put(&self, record: &SealedRecord, expected: u64) -> Result<(), VaultError> {
        self.inner.put(record, expected)
    }
    fn delete(&self, key: &CredentialKey) -> Result<bool, VaultError> {
        self.inner.delete(key)
    }
    fn delete_version(&self, key: &CredentialKey, version: u64) -> Result<bool, VaultError> {
        self.inner.delete_version(key, version)
    }
    fn delete_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        self.inner.delete_user(tenant, user)
    }
    fn list(&self) -> Result<Vec<SealedRecord>, VaultError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.inner.list()
    }
}

#[tokio::test]
async fn the_rotation_job_finds_due_credentials_by_due_time_without_scanning_the_store() {
    let store = Arc::new(CountingStore::default());
    let f = fixture(store.clone(), FakeDatabase::default());
    // A second credential sealed ten days later, and a just-in-time key.
    f.clock.advance(10 * DAY);
    let later = Accessor::trusted_system("acme", "svc-later", "sales-agent-prod-001");
    f.vault
        .store_for(&later, "crm-db", &db_credential("pw-later-SECRETVALUE"))
        .unwrap();
    let jit = Credential::PersonalAccessToken {
        token: SecretString::new("jit-token-SECRETVALUE"),
        scopes: vec![],
        expires_at: Some(T0 + 15 * DAY),
    };
    f.vault.store_for(&f.agent, "search-api", &jit).unwrap();

    let first = CredentialKey::new("acme", "svc-sales-agent", "crm-db");
    let second = CredentialKey::new("acme", "svc-later", "crm-db");
    let at = |day: i64| T0 + day * DAY;
    // Day 15: only the just-in-time key is due (expired).
    let report = f.vault.rotate_due(at(15)).await.unwrap();
    assert_eq!(report.expired_removed, 1);
    assert!(report.rotated.is_empty());
    // Day 30: the first credential; day 40: the second one.
    f.clock.set(at(30));
    let report = f.vault.rotate_due(at(30)).await.unwrap();
    assert_eq!(report.rotated, vec![(first.clone(), 2)]);
    f.clock.set(at(40));
    let report = f.vault.rotate_due(at(40)).await.unwrap();
    assert_eq!(report.rotated, vec![(second, 2)]);
    // Day 59: nothing (the first was rotated on day 30); day 60: it again.
    assert!(f.vault.rotate_due(at(59)).await.unwrap().rotated.is_empty());
    f.clock.set(at(60));
    assert_eq!(
        f.vault.rotate_due(at(60)).await.unwrap().rotated,
        vec![(first, 3)]
    );
    // One listing filled the index at the first pass; no pass scanned again.
    assert_eq!(store.lists.load(Ordering::SeqCst), 1);
}
