//! The embedded vault: scoped retrieval for the acting user only, envelope
//! encryption bound to the row, master-key rotation, single-flight proactive
//! refresh with rotation, consent loss, universal logout, audit, no plaintext
//! in SQLite files or Debug output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use token_vault_client::*;

const T0: i64 = 1_800_000_000;

fn oauth(access: &str, refresh: &str, expires_at: i64, scopes: &[&str]) -> Credential {
    Credential::OAuth(TokenSet {
        access_token: SecretString::new(access),
        refresh_token: Some(SecretString::new(refresh)),
        expires_at: Some(expires_at),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        token_type: "Bearer".into(),
    })
}

#[derive(Debug, Default)]
struct FakeProvider {
    calls: AtomicU64,
    dead: std::sync::atomic::AtomicBool,
    delay_ms: u64,
}

#[async_trait::async_trait]
impl TokenRefresher for FakeProvider {
    async fn refresh(
        &self,
        refresh_token: &SecretString,
        _scopes: &[String],
    ) -> Result<RefreshedTokens, RefreshError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.delay_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(self.delay_ms)).await;
        }
        if self.dead.load(Ordering::SeqCst) {
            return Err(RefreshError::ConsentGone("invalid_grant".into()));
        }
        assert!(refresh_token.expose_secret().starts_with("rt-"));
        Ok(RefreshedTokens {
            access_token: SecretString::new(format!("at-{n}-SECRETVALUE")),
            refresh_token: Some(SecretString::new(format!("rt-{n}-SECRETVALUE"))),
            expires_in: Some(3600),
            scopes: None,
            token_type: None,
        })
    }
}

fn setup(store: Arc<dyn VaultStore>) -> (Vault, ManualClock, MemorySink, Arc<StaticKeyProvider>) {
    let clock = ManualClock::new(T0);
    let audit = MemorySink::new();
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let vault = Vault::builder(store, keys.clone())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .refresh_policy(RefreshPolicy {
            margin: 120,
            jitter: 30,
        })
        .build();
    (vault, clock, audit, keys)
}

fn alice() -> Accessor {
    Accessor::trusted_system("acme", "alice", "calendar-agent")
}

#[tokio::test]
async fn retrieval_is_scoped_to_the_acting_user_and_the_stored_scopes() {
    let (vault, _clock, audit, _) = setup(Arc::new(MemoryVaultStore::new()));
    vault.add_connection(
        ConnectionConfig::new("google").reconnect_url("https://app.example/connect"),
    );
    vault
        .store_for(
            &alice(),
            "google",
            &oauth(
                "at-0-SECRETVALUE",
                "rt-0-SECRETVALUE",
                T0 + 3600,
                &["calendar.readonly", "email"],
            ),
        )
        .unwrap();
    let got = vault
        .get(&alice(), "google", &["calendar.readonly"])
        .await
        .unwrap();
    assert_eq!(got.secret(), "at-0-SECRETVALUE");
    // The refresh token is not part of what a caller gets.
    assert!(!format!("{got:?}").contains("rt-0"));
    match got {
        IssuedCredential::AccessToken { scopes, .. } => assert_eq!(scopes.len(), 2),
        other => panic!("{other:?}"),
    }
    // Another user's credential: refused, even by name.
    let bob = Accessor::trusted_system("acme", "bob", "calendar-agent");
    assert!(matches!(
        vault.get_for_user(&bob, "alice", "google", &[]).await,
        Err(VaultError::NotActingForUser)
    ));
    assert!(matches!(
        vault.get(&bob, "google", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    // Another tenant: a different key space.
    let other = Accessor::trusted_system("globex", "alice", "calendar-agent");
    assert!(matches!(
        vault.get(&other, "google", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    // More scope than stored: consent required, naming what is missing.
    match vault
        .get(
            &alice(),
            "google",
            &["calendar.readonly", "calendar.events"],
        )
        .await
    {
        Err(VaultError::ConsentRequired(c)) => {
            assert_eq!(c.connection, "google");
            assert_eq!(c.missing_scopes, ["calendar.events"]);
            assert_eq!(
                c.reconnect_url.as_deref(),
                Some("https://app.example/connect?connection=google&scope=calendar%2Eevents")
            );
        }
        other => panic!("{other:?}"),
    }
    let events = audit.events();
    assert!(events.iter().all(|e| e.action == AuditAction::VaultAccess));
    assert!(events.iter().any(
        |e| e.outcome == Outcome::Denied && e.reason.as_deref() == Some("not_acting_for_user")
    ));
    assert!(
        events.iter().any(
            |e| e.outcome == Outcome::Denied && e.reason.as_deref() == Some("consent_required")
        )
    );
    let text = format!("{events:?}");
    assert!(!text.contains("SECRETVALUE"));
}

#[tokio::test]
async fn other_kinds_are_stored_and_jit_credentials_expire() {
    let (vault, clock, _, _) = setup(Arc::new(MemoryVaultStore::new()));
    vault
        .store_for(
            &alice(),
            "stripe",
            &Credential::ApiKey {
                key: SecretString::new("sk_live_K"),
                scopes: vec![],
            },
        )
        .unwrap();
    vault
        .store_for(
            &alice(),
            "github",
            &Credential::PersonalAccessToken {
                token: SecretString::new("ghp_P"),
                scopes: vec!["repo".into()],
                expires_at: None,
            },
        )
        .unwrap();
    vault
        .store_for(
            &alice(),
            "crm-db",
            &Credential::Database {
                username: "alice_ro".into(),
                password: SecretString::new("pw"),
                host: Some("db:5432".into()),
                database: Some("crm".into()),
                expires_at: Some(T0 + 60),
            },
        )
        .unwrap();
    assert_eq!(
        vault
            .get(&alice(), "stripe", &["anything"])
            .await
            .unwrap()
            .secret(),
        "sk_live_K"
    );
    assert_eq!(
        vault
            .get(&alice(), "github", &["repo"])
            .await
            .unwrap()
            .secret(),
        "ghp_P"
    );
    assert!(vault.get(&alice(), "github", &["admin:org"]).await.is_err());
    assert_eq!(
        vault.get(&alice(), "crm-db", &[]).await.unwrap().secret(),
        "pw"
    );
    clock.advance(61);
    assert!(matches!(
        vault.get(&alice(), "crm-db", &[]).await,
        Err(VaultError::Expired(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_readers_cause_one_refresh_with_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteVaultStore::open(dir.path().join("v.db")).unwrap());
    let (vault, clock, audit, _) = setup(store.clone());
    let provider = Arc::new(FakeProvider {
        delay_ms: 50,
        ..FakeProvider::default()
    });
    vault.add_connection(ConnectionConfig::new("google").refresher(provider.clone()));
    vault
        .store_for(
            &alice(),
            "google",
            &oauth(
                "at-0-SECRETVALUE",
                "rt-0-SECRETVALUE",
                T0 + 3600,
                &["calendar.readonly"],
            ),
        )
        .unwrap();
    // Well before the margin: no refresh.
    assert_eq!(
        vault.get(&alice(), "google", &[]).await.unwrap().secret(),
        "at-0-SECRETVALUE"
    );
    // Inside margin + jitter (120 + up to 30 s before expiry): proactive refresh.
    clock.set(T0 + 3600 - 100);
    let mut tasks = Vec::new();
    for _ in 0..1000 {
        let vault = vault.clone();
        tasks.push(tokio::spawn(async move {
            vault
                .get(&alice(), "google", &["calendar.readonly"])
                .await
                .unwrap()
                .secret()
                .to_owned()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), "at-1-SECRETVALUE");
    }
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
    assert_eq!(vault.refresh_count(), 1);
    // The rotated refresh token was stored with the access token: a new vault on
    // the same file refreshes with rt-1 (the fake asserts the rt- prefix; the
    // count shows it ran) and gets at-2.
    let events = audit.events();
    let refreshes: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::TokenRefreshed)
        .collect();
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].outcome, Outcome::Success);
    // Next refresh uses the rotated token, stored durably.
    clock.set(T0 + 100 + 7200);
    assert_eq!(
        vault.get(&alice(), "google", &[]).await.unwrap().secret(),
        "at-2-SECRETVALUE"
    );
    let record = store
        .get(&CredentialKey::new("acme", "alice", "google"))
        .unwrap()
        .unwrap();
    assert_eq!(record.version, 3);
}

#[tokio::test]
async fn invalid_grant_marks_the_connection_and_surfaces_consent_required() {
    let (vault, clock, audit, _) = setup(Arc::new(MemoryVaultStore::new()));
    let provider = Arc::new(FakeProvider::default());
    provider.dead.store(true, Ordering::SeqCst);
    vault.add_connection(
        ConnectionConfig::new("google")
            .refresher(provider.clone())
            .reconnect_url("https://app.example/connect"),
    );
    vault
        .store_for(
            &alice(),
            "google",
            &oauth(
                "at-0-SECRETVALUE",
                "rt-0-SECRETVALUE",
                T0 + 60,
                &["calendar.readonly"],
            ),
        )
        .unwrap();
    clock.advance(61);
    let err = vault
        .get(&alice(), "google", &["calendar.readonly"])
        .await
        .unwrap_err();
    let VaultError::ConsentRequired(c) = err else {
        panic!("{err:?}")
    };
    assert_eq!(c.missing_scopes, ["calendar.readonly"]);
    assert!(
        c.reconnect_url
            .unwrap()
            .starts_with("https://app.example/connect?connection=google")
    );
    // Marked: no more calls to the provider.
    assert!(matches!(
        vault.get(&alice(), "google", &[]).await,
        Err(VaultError::ConsentRequired(_))
    ));
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1);
    assert!(
        audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::TokenRefreshed
                && e.outcome == Outcome::Denied
                && e.reason.as_deref() == Some("invalid_grant"))
    );
    // Reconnecting (a new write) clears the mark.
    vault
        .store_for(
            &alice(),
            "google",
            &oauth(
                "at-9-SECRETVALUE",
                "rt-9-SECRETVALUE",
                T0 + 7200,
                &["calendar.readonly"],
            ),
        )
        .unwrap();
    assert_eq!(
        vault.get(&alice(), "google", &[]).await.unwrap().secret(),
        "at-9-SECRETVALUE"
    );
}

#[tokio::test]
async fn master_key_rotation_keeps_old_records_readable_and_reencrypts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteVaultStore::open(dir.path().join("v.db")).unwrap());
    let (vault, _clock, audit, keys) = setup(store.clone());
    vault
        .store_for(
            &alice(),
            "google",
            &oauth("at-old", "rt-old", T0 + 3600, &[]),
        )
        .unwrap();
    keys.rotate_to(MasterKey::generate("m2").unwrap());
    // Old key still decrypts; new writes use the new key.
    assert_eq!(
        vault.get(&alice(), "google", &[]).await.unwrap().secret(),
        "at-old"
    );
    vault
        .store_for(
            &alice(),
            "slack",
            &oauth("at-new", "rt-new", T0 + 3600, &[]),
        )
        .unwrap();
    let slack = store
        .get(&CredentialKey::new("acme", "alice", "slack"))
        .unwrap()
        .unwrap();
    assert_eq!(slack.master_key_id, "m2");
    assert_eq!(vault.reencrypt_all().unwrap(), 1);
    assert_eq!(vault.reencrypt_all().unwrap(), 0);
    keys.retire("m1");
    assert_eq!(
        vault.get(&alice(), "google", &[]).await.unwrap().secret(),
        "at-old"
    );
    assert!(
        store
            .list()
            .unwrap()
            .iter()
            .all(|r| r.master_key_id == "m2")
    );
    assert!(
        audit
            .events()
            .iter()
            .any(|e| e.action == AuditAction::KeyRotated)
    );
}

#[tokio::test]
async fn a_retired_master_key_stops_opening_records_even_with_a_cached_data_key() {
    let (vault, _clock, _audit, keys) = setup(Arc::new(MemoryVaultStore::new()));
    vault
        .store_for(&alice(), "google", &oauth("at-m1", "rt-m1", T0 + 3600, &[]))
        .unwrap();
    // A read caches the record's unwrapped data key.
    assert!(matches!(
        vault.get_cached(&alice(), "google", &[]).unwrap(),
        Lookup::Ready(_)
    ));
    // Retired without re-encryption: the record is under a key that is gone,
    // and the cached data key must not keep it readable.
    keys.rotate_to(MasterKey::generate("m2").unwrap());
    keys.retire("m1");
    assert!(matches!(
        vault.get_cached(&alice(), "google", &[]),
        Err(VaultError::Integrity)
    ));
}

#[tokio::test]
async fn tampered_and_swapped_rows_in_sqlite_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
    let (vault, _clock, _, keys) = setup(store.clone());
    let bob = Accessor::trusted_system("acme", "bob", "agent");
    vault
        .store_for(
            &alice(),
            "google",
            &oauth("at-alice", "rt-a", T0 + 3600, &["x"]),
        )
        .unwrap();
    vault
        .store_for(&bob, "google", &oauth("at-bob", "rt-b", T0 + 3600, &["x"]))
        .unwrap();

    rusqlite_swap(&path);
    // A fresh vault over the file (no cache): bob's row now holds alice's ciphertext.
    let fresh = Vault::builder(store.clone(), keys.clone())
        .clock(Arc::new(ManualClock::new(T0)))
        .build();
    assert!(matches!(
        fresh.get(&bob, "google", &[]).await,
        Err(VaultError::Integrity)
    ));
    assert!(matches!(
        fresh.get(&alice(), "google", &[]).await,
        Err(VaultError::Integrity)
    ));
    // Tampering with one ciphertext byte.
    vault
        .store_for(&alice(), "slack", &oauth("at-s", "rt-s", T0 + 3600, &[]))
        .unwrap();
    let mut rec = store
        .get(&CredentialKey::new("acme", "alice", "slack"))
        .unwrap()
        .unwrap();
    let v = rec.version;
    rec.ciphertext[5] ^= 0x40;
    store.put(&rec, v).unwrap();
    let fresh = Vault::builder(store.clone(), keys)
        .clock(Arc::new(ManualClock::new(T0)))
        .build();
    assert!(matches!(
        fresh.get(&alice(), "slack", &[]).await,
        Err(VaultError::Integrity)
    ));
}

/// Swaps the encrypted columns of alice's and bob's rows, as an attacker with
/// write access to the database could.
fn rusqlite_swap(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TEMP TABLE a AS SELECT wrapped_key, nonce, ciphertext FROM vault_credentials WHERE user_id='alice';
         CREATE TEMP TABLE b AS SELECT wrapped_key, nonce, ciphertext FROM vault_credentials WHERE user_id='bob';
         UPDATE vault_credentials SET wrapped_key=(SELECT wrapped_key FROM b), nonce=(SELECT nonce FROM b), ciphertext=(SELECT ciphertext FROM b) WHERE user_id='alice';
         UPDATE vault_credentials SET wrapped_key=(SELECT wrapped_key FROM a), nonce=(SELECT nonce FROM a), ciphertext=(SELECT ciphertext FROM a) WHERE user_id='bob';",
    )
    .unwrap();
}

/// A sink that keeps every event and, on a read by `outer`, reads the same
/// credential again from inside `record`.
#[derive(Debug, Default)]
struct ReentrantSink {
    vault: std::sync::OnceLock<Vault>,
    events: std::sync::Mutex<Vec<(Option<String>, i64)>>,
}

impl agent_auth::audit::AuditSink for ReentrantSink {
    fn record(&self, event: &agent_auth::audit::AuditEvent) {
        if event.outcome != Outcome::Success || event.details.get("op") != Some(&"read".into()) {
            return;
        }
        self.events
            .lock()
            .unwrap()
            .push((event.agent.clone(), event.time));
        if event.agent.as_deref() == Some("outer")
            && let Some(vault) = self.vault.get()
        {
            let inner = Accessor::trusted_system("acme", "alice", "inner");
            assert!(matches!(
                vault.get_cached(&inner, "google", &[]),
                Ok(Lookup::Ready(_))
            ));
        }
    }
}

#[tokio::test]
async fn every_read_is_audited_with_its_own_agent_and_time_even_from_inside_the_sink() {
    let clock = ManualClock::new(T0);
    let sink = Arc::new(ReentrantSink::default());
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(clock.clone()))
        .audit(sink.clone())
        .build();
    sink.vault.set(vault.clone()).unwrap();
    vault
        .store_for(&alice(), "google", &oauth("at", "rt-0", T0 + 3600, &[]))
        .unwrap();
    let outer = Accessor::trusted_system("acme", "alice", "outer");
    for (agent, step) in [(&alice(), 1), (&alice(), 2), (&outer, 3), (&alice(), 4)] {
        clock.set(T0 + step);
        assert!(matches!(
            vault.get_cached(agent, "google", &[]),
            Ok(Lookup::Ready(_))
        ));
    }
    let agent = |a: &str| Some(a.to_owned());
    assert_eq!(
        *sink.events.lock().unwrap(),
        vec![
            (agent("calendar-agent"), T0 + 1),
            (agent("calendar-agent"), T0 + 2),
            (agent("outer"), T0 + 3),
            (agent("inner"), T0 + 3),
            (agent("calendar-agent"), T0 + 4),
        ]
    );
}

/// Runs `sql` on the vault's SQLite file, as an attacker with write access
/// to the database could.
fn rusqlite_exec(path: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

fn fresh(store: &Arc<SqliteVaultStore>, keys: &Arc<StaticKeyProvider>) -> Vault {
    Vault::builder(store.clone(), keys.clone())
        .clock(Arc::new(ManualClock::new(T0)))
        .build()
}

#[tokio::test]
async fn a_status_flipped_in_sqlite_without_resealing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
    let (vault, _clock, _, keys) = setup(store.clone());
    let cred = oauth("at-SECRETVALUE", "rt-0", T0 + 3600, &["x"]);
    vault.store_for(&alice(), "google", &cred).unwrap();
    vault.store_for(&alice(), "slack", &cred).unwrap();
    // The user withdrew consent for google: the vault seals that status.
    vault
        .mark_consent_required(&CredentialKey::new("acme", "alice", "google"))
        .unwrap();
    assert!(matches!(
        fresh(&store, &keys).get(&alice(), "google", &[]).await,
        Err(VaultError::ConsentRequired(_))
    ));

    // Re-enabling the revoked connection in the database is refused...
    rusqlite_exec(
        &path,
        "UPDATE vault_credentials SET status='active' WHERE connection='google'",
    );
    assert!(matches!(
        fresh(&store, &keys).get(&alice(), "google", &[]).await,
        Err(VaultError::Integrity)
    ));
    // ...and so is the other direction, before the status is believed.
    rusqlite_exec(
        &path,
        "UPDATE vault_credentials SET status='consent_required' WHERE connection='slack'",
    );
    assert!(matches!(
        fresh(&store, &keys).get_cached(&alice(), "slack", &[]),
        Err(VaultError::Integrity)
    ));
}

#[tokio::test]
async fn an_older_ciphertext_under_the_current_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
    let (vault, _clock, _, keys) = setup(store.clone());
    vault
        .store_for(
            &alice(),
            "google",
            &oauth("at-old", "rt-old", T0 + 3600, &["x"]),
        )
        .unwrap();
    rusqlite_exec(
        &path,
        "CREATE TABLE backup AS SELECT * FROM vault_credentials",
    );
    vault
        .store_for(
            &alice(),
            "google",
            &oauth("at-new", "rt-new", T0 + 3600, &["x"]),
        )
        .unwrap();
    rusqlite_exec(
        &path,
        "UPDATE vault_credentials SET wrapped_key=(SELECT wrapped_key FROM backup),
             nonce=(SELECT nonce FROM backup), ciphertext=(SELECT ciphertext FROM backup)",
    );
    assert!(matches!(
        fresh(&store, &keys).get(&alice(), "google", &[]).await,
        Err(VaultError::Integrity)
    ));
}

/// What `docs/token-vault.md` says: the store is the only record of the
/// current version, so a whole older row put back (every column, as a
/// backup restore does) still opens. This test pins that documented limit.
#[tokio::test]
async fn restoring_a_whole_older_row_is_not_detected_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
    let (vault, _clock, _, keys) = setup(store.clone());
    vault
        .store_for(
            &alice(),
            "google",
            &oauth("at-old", "rt-old", T0 + 3600, &["x"]),
        )
        .unwrap();
    rusqlite_exec(
        &path,
        "CREATE TABLE backup AS SELECT * FROM vault_credentials",
    );
    vault
        .store_for(
            &alice(),
            "google",
            &oauth("at-new", "rt-new", T0 + 3600, &["x"]),
        )
        .unwrap();
    rusqlite_exec(
        &path,
        "DELETE FROM vault_credentials; INSERT INTO vault_credentials SELECT * FROM backup",
    );
    let got = fresh(&store, &keys)
        .get(&alice(), "google", &[])
        .await
        .unwrap();
    assert_eq!(got.secret(), "at-old");
}

#[tokio::test]
async fn no_plaintext_in_the_sqlite_file_wal_or_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
    let (vault, _clock, audit, _) = setup(store.clone());
    let secrets = [
        "ACCESS-PLAINTEXT-7f3a",
        "REFRESH-PLAINTEXT-91bc",
        "APIKEY-PLAINTEXT-55d0",
        "DBPASS-PLAINTEXT-c2e1",
    ];
    vault
        .store_for(
            &alice(),
            "google",
            &oauth(secrets[0], secrets[1], T0 + 3600, &["a"]),
        )
        .unwrap();
    vault
        .store_for(
            &alice(),
            "stripe",
            &Credential::ApiKey {
                key: SecretString::new(secrets[2]),
                scopes: vec![],
            },
        )
        .unwrap();
    vault
        .store_for(
            &alice(),
            "db",
            &Credential::Database {
                username: "u".into(),
                password: SecretString::new(secrets[3]),
                host: None,
                database: None,
                expires_at: None,
            },
        )
        .unwrap();
    let got = vault.get(&alice(), "google", &["a"]).await.unwrap();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        files.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    assert!(
        files.iter().any(|(n, _)| n.ends_with("-wal")),
        "the WAL file exists"
    );
    let debug = format!(
        "{vault:?} {got:?} {:?} {:?} {:?}",
        store.list().unwrap(),
        audit.events(),
        vault.get(&alice(), "stripe", &[]).await
    );
    for s in secrets {
        for (name, bytes) in &files {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{s} in {name}"
            );
        }
        assert!(!debug.contains(s), "{s} in Debug output");
    }
}

#[tokio::test]
async fn universal_logout_from_the_authority_wipes_the_users_credentials() {
    use reference_authority::{Authority, AuthorityConfig, Credentials, UserSpec};
    let authority = Authority::builder("https://idp.acme.example")
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
    let (vault, _clock, audit, _) = setup(Arc::new(MemoryVaultStore::new()));
    let follower = vault.follow_logout(&authority, "acme");
    vault
        .store_for(&alice(), "google", &oauth("a", "r", T0 + 3600, &[]))
        .unwrap();
    vault
        .store_for(&alice(), "slack", &oauth("b", "r2", T0 + 3600, &[]))
        .unwrap();
    let bob = Accessor::trusted_system("acme", "bob", "agent");
    vault
        .store_for(&bob, "google", &oauth("c", "r3", T0 + 3600, &[]))
        .unwrap();
    let epoch = vault.user_epoch("acme", "alice");
    let _session = authority
        .sign_in(&Credentials::password("alice", "correct horse battery"))
        .unwrap();
    authority.logout_user("alice").unwrap();
    for _ in 0..100 {
        if vault.user_epoch("acme", "alice") != epoch {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(matches!(
        vault.get(&alice(), "google", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    assert!(matches!(
        vault.get(&alice(), "slack", &[]).await,
        Err(VaultError::NotFound(_))
    ));
    assert!(vault.get(&bob, "google", &[]).await.is_ok());
    assert!(audit.events().iter().any(|e| e.action == AuditAction::Logout && e.details.get("deleted") == Some(&2.into())));
    follower.abort();
}
