//! Group commit of the PostgreSQL store's asynchronous writes
//! ([`Store::put_async`](super::Store::put_async)): one task on the pool's
//! runtime takes every write waiting when it is free and commits them in one
//! statement (one round trip, one commit and one WAL flush for all), then
//! answers each caller. Under load the writes of concurrent token requests
//! share a commit; alone, a write costs what a `put` costs.

use pg_store::PgPool;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Most rows in one statement.
const MAX_ROWS: usize = 1_024;

/// Upserts rows given as three parallel arrays.
const UPSERT_MANY: &str = "INSERT INTO authority_records (tbl, key, value)
                           SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
                           ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value";

/// Rows of one caller and where to answer.
struct Job {
    table: &'static str,
    rows: Vec<(String, Vec<u8>)>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle callers send their writes to; the task ends with the last handle.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    jobs: mpsc::UnboundedSender<Job>,
}

impl GroupCommit {
    /// Starts the committing task on `pool`'s runtime.
    pub(super) fn start(pool: &PgPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        pool.spawn(run(pool.clone(), queue));
        Self { jobs }
    }

    /// Writes `rows` to `table`; the error is the database's, without its details.
    pub(super) async fn write(
        &self,
        table: &'static str,
        rows: Vec<(String, Vec<u8>)>,
    ) -> Result<(), String> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { table, rows, done })
            .map_err(|_| "the store is closed".to_owned())?;
        answer.await.map_err(|_| "the store is closed".to_owned())?
    }
}

async fn run(pool: PgPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        let mut rows = jobs.iter().map(|j| j.rows.len()).sum::<usize>();
        while rows < MAX_ROWS {
            let Ok(job) = queue.try_recv() else { break };
            rows += job.rows.len();
            jobs.push(job);
        }
        let result = commit(&pool, &jobs).await;
        for job in jobs {
            // A caller that stopped waiting needs no answer.
            let _ = job.done.send(result.clone());
        }
    }
}

/// One statement for every row of `jobs` (the last value of a key written twice).
async fn commit(pool: &PgPool, jobs: &[Job]) -> Result<(), String> {
    let mut last: HashMap<(&str, &str), &[u8]> = HashMap::new();
    for job in jobs {
        for (key, value) in &job.rows {
            last.insert((job.table, key), value);
        }
    }
    let (mut tables, mut keys, mut values) = (Vec::new(), Vec::new(), Vec::new());
    for ((table, key), value) in last {
        tables.push(table);
        keys.push(key);
        values.push(value);
    }
    let client = pool.client().await.map_err(|e| e.to_string())?;
    let statement = client
        .prepare_cached(UPSERT_MANY)
        .await
        .map_err(|e| pg_store::PgError::from(e).to_string())?;
    client
        .execute(&statement, &[&tables, &keys, &values])
        .await
        .map(|_| ())
        .map_err(|e| pg_store::PgError::from(e).to_string())
}
