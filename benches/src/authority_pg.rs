//! `authority.client_credentials_pg.vs_oidc_provider`: the `authority` group's
//! measurement with our authority on a `PgStore`, in a throwaway PostgreSQL
//! cluster the bench starts (and removes) on loopback with the server's default
//! durability (`fsync` and `synchronous_commit` on: every commit is flushed to
//! disk), and prints the settings it measured with.

use crate::authority::{BATCH, fail, load, start_ours_on};
use crate::measure::report;
use std::sync::Arc;

/// Paired batches.
const ROUNDS: usize = 7;

/// Measures against oidc-provider at `theirs_url`, or says why it cannot.
pub(crate) async fn run(client: &reqwest::Client, theirs_url: &str) {
    let Some(bin) = pg_store::testing::find_bin_dir() else {
        println!(
            "authority.client_credentials_pg.vs_oidc_provider NOT measured: PostgreSQL server binaries not found (install postgresql or set PG_BIN)"
        );
        return;
    };
    let cluster =
        tokio::task::spawn_blocking(move || pg_store::testing::TestCluster::start_durable(&bin))
            .await
            .unwrap_or_else(|e| fail(&e))
            .unwrap_or_else(|e| fail(&e));
    let url = cluster.url("postgres");
    let store = tokio::task::spawn_blocking(move || {
        let config = pg_store::PgConfig::parse(&url)?.pool_size(16);
        let pool = pg_store::PgPool::connect(config)?;
        let client = pool.client_blocking()?;
        let settings = pool.block_on(client.query_one(
            "SELECT current_setting('fsync'), current_setting('synchronous_commit')",
            &[],
        ))?;
        let (fsync, commit): (String, String) = (settings.try_get(0)?, settings.try_get(1)?);
        println!(
            "  authority.client_credentials_pg: server settings fsync={fsync} synchronous_commit={commit} (PostgreSQL defaults), store defaults"
        );
        drop(client);
        reference_authority::PgStore::open(pool)
            .map_err(|e| pg_store::PgError::Query(e.to_string()))
    })
    .await
    .unwrap_or_else(|e| fail(&e))
    .unwrap_or_else(|e| fail(&e));
    let pool = store.pool().clone();
    let ours = start_ours_on(Some(Arc::new(store))).await;
    let ours_url = format!("{ours}/token");
    // Warm-up, counting the database's write transactions per token (the
    // ledger's group commit).
    let before = commits(&pool).await;
    load(client, &ours_url).await;
    let after = commits(&pool).await;
    println!(
        "  authority.client_credentials_pg: {:.3} write transactions per token in a batch of {BATCH} (txid_current)",
        (after - before - 1) as f64 / BATCH as f64
    );
    let (mut ratios, mut ours_t, mut theirs_t) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (o, t) = if round % 2 == 0 {
            let o = load(client, &ours_url).await;
            (o, load(client, theirs_url).await)
        } else {
            let t = load(client, theirs_url).await;
            (load(client, &ours_url).await, t)
        };
        ratios.push(o.as_secs_f64() / t.as_secs_f64());
        ours_t.push(o.as_nanos() as f64);
        theirs_t.push(t.as_nanos() as f64);
    }
    report(
        "authority.client_credentials_pg.vs_oidc_provider",
        &mut ratios,
        &mut ours_t,
        &mut theirs_t,
    );
    drop(cluster);
}

/// The database's next transaction id: the difference between two readings is
/// the number of transactions that wrote in between, plus one (the reading).
async fn commits(pool: &pg_store::PgPool) -> i64 {
    let client = pool.client().await.unwrap_or_else(|e| fail(&e));
    let row = client
        .query_one("SELECT txid_current()", &[])
        .await
        .unwrap_or_else(|e| fail(&pg_store::PgError::from(e)));
    row.try_get(0)
        .unwrap_or_else(|e| fail(&pg_store::PgError::from(e)))
}
