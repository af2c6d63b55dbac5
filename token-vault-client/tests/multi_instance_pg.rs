//! Two vault instances on one PostgreSQL database: concurrent reads of an
//! expiring token make the provider see exactly one refresh, because the
//! refresh lease is a database lock, not a process-local mutex. The provider is
//! a token endpoint on loopback that counts refreshes and accepts each rotated
//! refresh token once.
#![cfg(feature = "postgres")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::ManualClock;
use agent_auth::secret::SecretString;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use token_vault_client::oauth::OAuthClient;
use token_vault_client::store::postgres::PgVaultStore;
use token_vault_client::*;
use tokio::sync::Notify;

const T0: i64 = 1_800_000_000;

#[derive(Default)]
struct Provider {
    refreshes: AtomicU64,
    /// Signalled when the first refresh arrives.
    arrived: Notify,
    /// The first refresh answers once this is signalled.
    release: Notify,
}

async fn token(
    State(p): State<Arc<Provider>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let n = p.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 1 {
        p.arrived.notify_one();
        p.release.notified().await;
    }
    // Rotation: only the latest refresh token is accepted.
    let expected = format!("rt-{}", n - 1);
    if form.get("refresh_token") != Some(&expected) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    axum::Json(serde_json::json!({
        "access_token": format!("at-{n}"),
        "refresh_token": format!("rt-{n}"),
        "token_type": "Bearer",
        "expires_in": 3600,
    }))
    .into_response()
}

async fn provider() -> (Arc<Provider>, String) {
    let p = Arc::new(Provider::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (p, base)
}

fn instance(
    store: PgVaultStore,
    keys: &Arc<StaticKeyProvider>,
    clock: &ManualClock,
    base: &str,
) -> Vault {
    let vault = Vault::builder(Arc::new(store), keys.clone())
        .clock(Arc::new(clock.clone()))
        .refresh_policy(RefreshPolicy {
            margin: 120,
            jitter: 30,
        })
        .build();
    let client = OAuthClient::new(
        format!("{base}/authorize"),
        format!("{base}/token"),
        "calendar-agent",
        Some(SecretString::new("client-secret")),
        format!("{base}/callback"),
    )
    .unwrap();
    vault.add_connection(ConnectionConfig::new("google").refresher(Arc::new(client)));
    vault
}

fn alice() -> Accessor {
    Accessor::trusted_system("acme", "alice", "calendar-agent")
}

/// How many sessions wait for an advisory lock right now.
async fn lease_waiters(pool: &pg_store::PgPool) -> i64 {
    let client = pool.client().await.unwrap();
    client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_on_two_instances_make_one_refresh() {
    let Some(db) = pg_store::testing::fresh_database("vault_single_flight").unwrap() else {
        return;
    };
    let (provider, base) = provider().await;
    let clock = ManualClock::new(T0);
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let one = instance(
        PgVaultStore::open(db.pool().unwrap()).unwrap(),
        &keys,
        &clock,
        &base,
    );
    let two = instance(
        PgVaultStore::open(db.pool().unwrap()).unwrap(),
        &keys,
        &clock,
        &base,
    );
    let observer = db.pool().unwrap();
    one.store_for(
        &alice(),
        "google",
        &Credential::OAuth(TokenSet {
            access_token: SecretString::new("at-0"),
            refresh_token: Some(SecretString::new("rt-0")),
            expires_at: Some(T0 + 3600),
            scopes: vec!["calendar".into()],
            token_type: "Bearer".into(),
        }),
    )
    .unwrap();
    // Inside the refresh margin on both instances.
    clock.set(T0 + 3600 - 100);
    let read = |vault: &Vault| {
        let vault = vault.clone();
        tokio::spawn(async move {
            vault
                .get(&alice(), "google", &["calendar"])
                .await
                .unwrap()
                .secret()
                .to_owned()
        })
    };
    // Instance one starts the refresh; the provider holds its answer.
    let mut readers = vec![read(&one)];
    provider.arrived.notified().await;
    // Meanwhile readers on both instances: instance two's refresher waits on
    // the database lease.
    for _ in 0..20 {
        readers.push(read(&one));
        readers.push(read(&two));
    }
    let mut polls = 0;
    while lease_waiters(&observer).await < 1 {
        polls += 1;
        assert!(polls < 100_000, "instance two never waited on the lease");
        tokio::task::yield_now().await;
    }
    provider.release.notify_one();
    for reader in readers {
        assert_eq!(reader.await.unwrap(), "at-1");
    }
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(one.refresh_count() + two.refresh_count(), 1);
    // The lease was released: the next due refresh (on instance two) proceeds.
    clock.set(T0 + 3600 - 100 + 3600);
    assert_eq!(
        two.get(&alice(), "google", &[]).await.unwrap().secret(),
        "at-2"
    );
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 2);
}

/// A database whose rotator counts the passwords it issues; each issue
/// yields to the runtime first, so the two instances' passes overlap.
#[derive(Debug, Default)]
struct CountingRotator {
    issued: AtomicU64,
}

#[async_trait::async_trait]
impl Rotator for CountingRotator {
    async fn issue(
        &self,
        _key: &CredentialKey,
        current: &Credential,
    ) -> Result<Credential, RotationError> {
        tokio::task::yield_now().await;
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let Credential::Database { username, .. } = current else {
            return Err(RotationError::new("not a database credential"));
        };
        Ok(Credential::Database {
            username: username.clone(),
            password: SecretString::new(format!("pw-{n}")),
            host: None,
            database: None,
            expires_at: None,
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rotation_job_on_two_instances_rotates_each_due_credential_once() {
    let db = pg_store::testing::fresh_database("vault_rotation_lease")
        .unwrap()
        .expect("PostgreSQL server binaries");
    let clock = ManualClock::new(T0);
    let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
    let rotator = Arc::new(CountingRotator::default());
    let instance = || {
        let vault = Vault::builder(
            Arc::new(PgVaultStore::open(db.pool().unwrap()).unwrap()),
            keys.clone(),
        )
        .clock(Arc::new(clock.clone()))
        .build();
        vault.add_connection(
            ConnectionConfig::new("crm-db")
                .rotation(rotator.clone(), RotationPolicy::every_days(30)),
        );
        vault
    };
    let (one, two) = (instance(), instance());
    let users: Vec<String> = (0..8).map(|i| format!("svc-{i}")).collect();
    for user in &users {
        let agent = Accessor::trusted_system("acme", user, "sales-agent");
        let credential = Credential::Database {
            username: user.clone(),
            password: SecretString::new("pw-0"),
            host: None,
            database: None,
            expires_at: None,
        };
        one.store_for(&agent, "crm-db", &credential).unwrap();
    }
    // Every credential is due; both instances run the job at once.
    clock.set(T0 + 31 * 86_400);
    let pass = |vault: &Vault| {
        let vault = vault.clone();
        tokio::spawn(async move { vault.rotate_due(T0 + 31 * 86_400).await.unwrap() })
    };
    let (a, b) = (pass(&one), pass(&two));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(a.failed.is_empty() && b.failed.is_empty(), "{a:?} {b:?}");
    let mut rotated: Vec<String> = a
        .rotated
        .iter()
        .chain(&b.rotated)
        .map(|(key, version)| {
            assert_eq!(*version, 2);
            key.user.clone()
        })
        .collect();
    rotated.sort();
    assert_eq!(
        rotated, users,
        "each due credential rotated by exactly one instance"
    );
    assert_eq!(rotator.issued.load(Ordering::SeqCst), users.len() as u64);
}
