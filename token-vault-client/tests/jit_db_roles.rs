//! Just-in-time database credentials against a real PostgreSQL server: the
//! issued role logs in with its password and has the template's grants only;
//! after logout (drop) or past `VALID UNTIL` it cannot log in, and its open
//! sessions are ended.
#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::ManualClock;
use pg_store::testing::TestDatabase;
use pg_store::{PgConfig, PgPool};
use std::sync::Arc;
use token_vault_client::db_roles::{PgRoleIssuer, RoleTemplate};
use token_vault_client::{Credential, VaultError};

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A database with a table readable by the `crm_readonly` group role.
fn crm(db: &TestDatabase) -> PgPool {
    let admin = db.pool().unwrap();
    let client = admin.client_blocking().unwrap();
    admin
        .block_on(client.batch_execute(
            "CREATE TABLE orders (id INT PRIMARY KEY);
             INSERT INTO orders VALUES (1), (2);
             CREATE ROLE crm_readonly NOLOGIN;
             GRANT SELECT ON orders TO crm_readonly;",
        ))
        .unwrap();
    admin
}

fn login(db: &TestDatabase, credential: &Credential) -> Result<PgPool, pg_store::PgError> {
    let Credential::Database {
        username, password, ..
    } = credential
    else {
        panic!("a database credential");
    };
    let url = db
        .cluster()
        .url_as(username, password.expose_secret(), db.name());
    PgPool::connect(PgConfig::parse(&url)?.pool_size(1))
}

fn issuer(admin: PgPool, clock: &ManualClock, audit: &MemorySink) -> PgRoleIssuer {
    PgRoleIssuer::new(
        admin,
        RoleTemplate::new("agent", ["crm_readonly"], 900)
            .unwrap()
            .database("crm"),
        Arc::new(clock.clone()),
    )
    .audit(Arc::new(audit.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issued_role_logs_in_with_its_grants_until_logout_drops_it() {
    let Some(db) = pg_store::testing::fresh_database("jit_roles").unwrap() else {
        return;
    };
    let admin = crm(&db);
    let clock = ManualClock::new(now());
    let audit = MemorySink::new();
    let issuer = issuer(admin, &clock, &audit);
    let credential = issuer.issue_role("sales-agent").await.unwrap();
    let Credential::Database {
        username,
        expires_at,
        database,
        ..
    } = &credential
    else {
        panic!("a database credential");
    };
    assert_eq!(
        *expires_at,
        Some(agent_auth::clock::Clock::now(&clock) + 900)
    );
    assert_eq!(database.as_deref(), Some("crm"));
    assert!(!format!("{credential:?}").contains(match &credential {
        Credential::Database { password, .. } => password.expose_secret(),
        _ => unreachable!(),
    }));

    // Before: logs in, reads what the template grants, nothing more.
    let session = login(&db, &credential).unwrap();
    let client = session.client().await.unwrap();
    let count: i64 = client
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    assert!(
        client
            .execute("INSERT INTO orders VALUES (3)", &[])
            .await
            .is_err()
    );
    // The password is not the role's only check: a wrong one is refused.
    let url = db.cluster().url_as(username, "wrong-password", db.name());
    assert!(PgPool::connect(PgConfig::parse(&url).unwrap()).is_err());

    // Logout: the role is dropped, its open session ended, new logins refused.
    assert!(issuer.drop_credential(&credential).await.unwrap());
    assert!(client.query_one("SELECT 1", &[]).await.is_err());
    assert!(login(&db, &credential).is_err());
    assert!(!issuer.drop_credential(&credential).await.unwrap());
    let issued = audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenIssued && e.outcome == Outcome::Success)
        .count();
    let revoked = audit
        .events()
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenRevoked)
        .count();
    assert_eq!((issued, revoked), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_role_cannot_log_in_and_is_dropped_by_the_sweep() {
    let Some(db) = pg_store::testing::fresh_database("jit_expiry").unwrap() else {
        return;
    };
    let admin = crm(&db);
    // Issued an hour ago with a 15-minute lifetime: VALID UNTIL has passed.
    let clock = ManualClock::new(now() - 3600);
    let audit = MemorySink::new();
    let issuer = issuer(admin.clone(), &clock, &audit);
    let expired = issuer.issue_role("sales-agent").await.unwrap();
    clock.set(now());
    let live = issuer.issue_role("sales-agent").await.unwrap();
    assert!(
        login(&db, &expired).is_err(),
        "the server enforces VALID UNTIL"
    );
    assert!(login(&db, &live).is_ok());
    let Credential::Database { username, .. } = &expired else {
        panic!()
    };
    let exactly_expired = username.replace('_', "\\_");
    assert_eq!(roles_like(&admin, &[&exactly_expired]).await, 1);
    assert_eq!(issuer.drop_expired().await.unwrap(), 1);
    assert_eq!(roles_like(&admin, &[&exactly_expired]).await, 0);
    assert!(login(&db, &live).is_ok(), "the live role stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_drops_only_its_own_roles_and_a_bad_grant_leaves_no_role() {
    let Some(db) = pg_store::testing::fresh_database("jit_scope").unwrap() else {
        return;
    };
    let admin = crm(&db);
    let clock = ManualClock::new(now());
    let audit = MemorySink::new();
    let issuer = issuer(admin.clone(), &clock, &audit);
    assert!(matches!(
        issuer.drop_role("crm_readonly").await,
        Err(VaultError::Invalid(_))
    ));
    assert!(matches!(
        issuer.drop_role("postgres").await,
        Err(VaultError::Invalid(_))
    ));
    // A template naming a role that does not exist: the issuance fails whole.
    let broken = PgRoleIssuer::new(
        admin.clone(),
        RoleTemplate::new("broken", ["no_such_role"], 900).unwrap(),
        Arc::new(clock.clone()),
    );
    assert!(matches!(
        broken.issue_role("sales-agent").await,
        Err(VaultError::Storage(_))
    ));
    assert_eq!(roles_like(&admin, &["broken\\_%"]).await, 0);
}

/// How many server roles have a name `LIKE` one of `patterns`.
async fn roles_like(admin: &PgPool, patterns: &[&str]) -> i64 {
    let client = admin.client().await.unwrap();
    let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
    client
        .query_one(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE ANY($1)",
            &[&patterns],
        )
        .await
        .unwrap()
        .get(0)
}

/// Any just-in-time issuer's expiry sweep.
async fn sweep(issuer: &impl token_vault_client::jit::JitIssuer) -> usize {
    issuer.sweep_expired().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_issuer_trait_a_lease_is_revoked_or_swept_and_bad_requests_create_nothing() {
    use token_vault_client::jit::JitIssuer as _;
    let Some(db) = pg_store::testing::fresh_database("jit_trait").unwrap() else {
        return;
    };
    let admin = crm(&db);
    let issued_at = now() - 3600;
    let clock = ManualClock::new(issued_at);
    let audit = MemorySink::new();
    let issuer = issuer(admin.clone(), &clock, &audit);
    let template = RoleTemplate::new("agent", ["crm_readonly"], 900).unwrap();
    // A one-minute lease issued an hour ago has expired: the sweep drops it.
    let old = issuer.issue("sales-agent", &template, 60).await.unwrap();
    assert_eq!(old.expires_at(), issued_at + 60);
    clock.set(now());
    let lease = issuer.issue("sales-agent", &template, 300).await.unwrap();
    assert_eq!(lease.agent(), "sales-agent");
    assert!(login(&db, old.credential()).is_err());
    assert!(login(&db, lease.credential()).is_ok());
    assert_eq!(sweep(&issuer).await, 1);
    assert!(issuer.revoke(&lease).await.unwrap());
    assert!(login(&db, lease.credential()).is_err());
    assert!(!issuer.revoke(&lease).await.unwrap());

    let other = RoleTemplate::new("other", ["crm_readonly"], 900).unwrap();
    for (template, ttl) in [(&template, 901), (&template, 0), (&other, 60)] {
        assert!(matches!(
            issuer.issue("sales-agent", template, ttl).await,
            Err(VaultError::Invalid(_))
        ));
    }
    assert_eq!(roles_like(&admin, &["agent\\_%", "other\\_%"]).await, 0);
}

/// A vault whose `crm-db` connection mints roles of the `agent` template,
/// valid 300 seconds, through `admin`.
fn jit_vault(admin: PgPool, clock: &ManualClock) -> token_vault_client::Vault {
    use token_vault_client::jit::JitSource;
    use token_vault_client::{ConnectionConfig, MasterKey, MemoryVaultStore, StaticKeyProvider};
    let issuer = Arc::new(issuer(admin, clock, &MemorySink::new()));
    let template = RoleTemplate::new("agent", ["crm_readonly"], 900)
        .unwrap()
        .database("crm");
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let vault = token_vault_client::Vault::builder(Arc::new(MemoryVaultStore::new()), keys)
        .clock(Arc::new(clock.clone()))
        .build();
    vault.add_connection(
        ConnectionConfig::new("crm-db").jit(JitSource::new(issuer, template, 300).unwrap()),
    );
    vault
}

/// The credential a read handed out, as stored.
fn as_credential(issued: &token_vault_client::IssuedCredential) -> Credential {
    match issued {
        token_vault_client::IssuedCredential::Database {
            username,
            password,
            expires_at,
            ..
        } => Credential::Database {
            username: username.clone(),
            password: password.clone(),
            host: None,
            database: Some("crm".into()),
            expires_at: *expires_at,
        },
        _ => panic!("a database credential"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vault_mints_a_role_on_read_reuses_it_and_the_rotation_pass_drops_expired_ones() {
    let Some(db) = pg_store::testing::fresh_database("jit_vault_read").unwrap() else {
        return;
    };
    let admin = crm(&db);
    let clock = ManualClock::new(now());
    let vault = jit_vault(admin.clone(), &clock);
    let alice = token_vault_client::Accessor::trusted_system("acme", "alice", "sales-agent");
    // The read mints a role that logs in with the template's grants.
    let first = vault.get(&alice, "crm-db", &[]).await.unwrap();
    let first = as_credential(&first);
    let session = login(&db, &first).unwrap();
    let client = session.client().await.unwrap();
    let count: i64 = client
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    drop(client);
    drop(session);
    // The next read reuses it; a minute before its expiry a new role is minted.
    let again = as_credential(&vault.get(&alice, "crm-db", &[]).await.unwrap());
    assert_eq!(again, first);
    clock.set(agent_auth::clock::Clock::now(&clock) + 240);
    let second = as_credential(&vault.get(&alice, "crm-db", &[]).await.unwrap());
    assert_ne!(second, first);
    assert!(login(&db, &second).is_ok());

    // Past both lifetimes on the issuer's clock: the rotation pass drops both
    // roles at the server and the stored one from the vault.
    clock.set(agent_auth::clock::Clock::now(&clock) + 600);
    let report = vault.rotate_due(vault.now()).await.unwrap();
    assert_eq!((report.jit_swept, report.expired_removed), (2, 1));
    assert_eq!(roles_like(&admin, &["agent\\_%"]).await, 0);
    assert!(login(&db, &second).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_drops_the_live_role_minted_on_read_at_the_server() {
    let Some(db) = pg_store::testing::fresh_database("jit_vault_logout").unwrap() else {
        return;
    };
    let admin = crm(&db);
    let clock = ManualClock::new(now());
    let vault = jit_vault(admin.clone(), &clock);
    let alice = token_vault_client::Accessor::trusted_system("acme", "alice", "sales-agent");
    let bob = token_vault_client::Accessor::trusted_system("acme", "bob", "sales-agent");
    let minted = as_credential(&vault.get(&alice, "crm-db", &[]).await.unwrap());
    let kept = as_credential(&vault.get(&bob, "crm-db", &[]).await.unwrap());
    let session = login(&db, &minted).unwrap();
    let client = session.client().await.unwrap();
    client
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap();

    // Well before its expiry, alice's logout drops her role at the server:
    // the open session is ended and new logins are refused. Bob's stays.
    let report = vault.revoke_user("acme", "alice").await.unwrap();
    assert_eq!(report.revoked, ["crm-db"]);
    assert_eq!(report.leases.len(), 1);
    assert_eq!(report.leases[0].outcome, Ok(()));
    let Credential::Database { username, .. } = &minted else {
        panic!("a database credential");
    };
    assert_eq!(report.leases[0].lease.as_deref(), Some(username.as_str()));
    assert!(client.query_one("SELECT 1", &[]).await.is_err());
    assert!(login(&db, &minted).is_err());
    assert!(login(&db, &kept).is_ok());
    assert_eq!(roles_like(&admin, &["agent\\_%"]).await, 1);
}
