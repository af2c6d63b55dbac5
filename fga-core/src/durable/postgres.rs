//! The tuple store in PostgreSQL (feature `postgres`): the current tuples and the
//! changes feed, shared by every process serving the store.
//!
//! Writes are serialized by a transaction-level advisory lock held until commit,
//! and each change id is the previous maximum plus one. So ids are handed out in
//! commit order without gaps: a reader that has seen change `n` can never later
//! meet a change below `n` committed after it read (which a sequence would allow,
//! since sequence values are taken before commit).

use pg_store::{Migration, PgClient, PgError, PgPool, tokio_postgres};

use super::{ChangeOp, ChangesPage, ContinuationToken, StoreError, TupleChange, TupleStore};
use crate::TupleKey;

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "tuples and changes",
    sql: "CREATE TABLE fga_tuples (
              object TEXT NOT NULL,
              relation TEXT NOT NULL,
              subject TEXT NOT NULL,
              PRIMARY KEY (object, relation, subject)
          );
          CREATE TABLE fga_changes (
              id BIGINT PRIMARY KEY,
              op SMALLINT NOT NULL,
              tuple TEXT NOT NULL
          );",
}];

/// The advisory lock of writers.
const WRITE_LOCK: i64 = 0x6667_615f_7772_6974;

/// A [`TupleStore`] in a PostgreSQL database; every process that opens it follows one
/// feed.
///
/// ```no_run
/// use fga_core::durable::{PgTupleStore, TupleStore};
/// let pool = pg_store::PgPool::connect(pg_store::PgConfig::parse("host=/run/postgresql dbname=fga")?)?;
/// let store = PgTupleStore::open(pool)?;
/// let page = store.read_changes(None, 100)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PgTupleStore {
    pool: PgPool,
}

fn db(e: PgError) -> StoreError {
    StoreError::Database(e.to_string())
}

fn query(e: tokio_postgres::Error) -> StoreError {
    db(PgError::from(e))
}

impl PgTupleStore {
    /// Opens the store on `pool`, applying the schema steps the database lacks.
    pub fn open(pool: PgPool) -> Result<Self, StoreError> {
        let mut client = pool.client_blocking().map_err(db)?;
        pool.block_on(pg_store::migrate(&mut client, "fga_core", MIGRATIONS))
            .map_err(db)?;
        Ok(Self { pool })
    }

    /// Connects to `connection` (a libpq URL or key/value string) and opens the store.
    pub fn connect(connection: &str) -> Result<Self, StoreError> {
        let config = pg_store::PgConfig::parse(connection).map_err(db)?;
        Self::open(PgPool::connect(config).map_err(db)?)
    }

    fn client(&self) -> Result<PgClient, StoreError> {
        self.pool.client_blocking().map_err(db)
    }
}

/// Why a write is refused (the transaction then rolls back).
enum Refusal {
    Conflict(StoreError),
    Pg(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Refusal {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Pg(e)
    }
}

async fn record(
    tx: &tokio_postgres::Transaction<'_>,
    next: &mut i64,
    op: ChangeOp,
    t: &TupleKey,
) -> Result<(), Refusal> {
    let json = serde_json::to_string(t)
        .map_err(|e| Refusal::Conflict(StoreError::Database(e.to_string())))?;
    let code: i16 = match op {
        ChangeOp::Write => 0,
        ChangeOp::Delete => 1,
    };
    *next += 1;
    tx.execute(
        "INSERT INTO fga_changes (id, op, tuple) VALUES ($1, $2, $3)",
        &[&*next, &code, &json],
    )
    .await?;
    Ok(())
}

async fn write_all(
    client: &mut PgClient,
    writes: &[TupleKey],
    deletes: &[TupleKey],
) -> Result<(), Refusal> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    let mut next: i64 = tx
        .query_one("SELECT COALESCE(MAX(id), 0) FROM fga_changes", &[])
        .await?
        .try_get(0)?;
    for t in deletes {
        let removed = tx
            .execute(
                "DELETE FROM fga_tuples WHERE object = $1 AND relation = $2 AND subject = $3",
                &[&t.object, &t.relation, &t.user],
            )
            .await?;
        if removed == 0 {
            return Err(Refusal::Conflict(StoreError::Conflict {
                op: "delete",
                tuple: t.to_string(),
                reason: "the tuple does not exist",
            }));
        }
        record(&tx, &mut next, ChangeOp::Delete, t).await?;
    }
    for t in writes {
        let inserted = tx
            .execute(
                "INSERT INTO fga_tuples (object, relation, subject) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&t.object, &t.relation, &t.user],
            )
            .await?;
        if inserted == 0 || deletes.contains(t) {
            return Err(Refusal::Conflict(StoreError::Conflict {
                op: "write",
                tuple: t.to_string(),
                reason: "the tuple already exists",
            }));
        }
        record(&tx, &mut next, ChangeOp::Write, t).await?;
    }
    tx.commit().await?;
    Ok(())
}

impl TupleStore for PgTupleStore {
    fn write(&self, writes: &[TupleKey], deletes: &[TupleKey]) -> Result<(), StoreError> {
        let mut client = self.client()?;
        // A refused request rolls back: the transaction drops without commit.
        match self.pool.block_on(write_all(&mut client, writes, deletes)) {
            Ok(()) => Ok(()),
            Err(Refusal::Conflict(e)) => Err(e),
            Err(Refusal::Pg(e)) => Err(query(e)),
        }
    }

    fn read_changes(
        &self,
        after: Option<&ContinuationToken>,
        page_size: usize,
    ) -> Result<ChangesPage, StoreError> {
        let after = after.copied().unwrap_or_default();
        let from = i64::try_from(after.0).map_err(|_| StoreError::InvalidContinuationToken)?;
        let limit = i64::try_from(page_size).unwrap_or(i64::MAX);
        let client = self.client()?;
        let rows = self
            .pool
            .block_on(client.query(
                "SELECT id, op, tuple FROM fga_changes WHERE id > $1 ORDER BY id LIMIT $2",
                &[&from, &limit],
            ))
            .map_err(query)?;
        let mut changes = Vec::with_capacity(rows.len());
        let mut last = after;
        for row in rows {
            let id: i64 = row.try_get(0).map_err(query)?;
            let op: i16 = row.try_get(1).map_err(query)?;
            let json: String = row.try_get(2).map_err(query)?;
            let id =
                u64::try_from(id).map_err(|_| StoreError::Database("negative change id".into()))?;
            let op = match op {
                0 => ChangeOp::Write,
                1 => ChangeOp::Delete,
                _ => {
                    return Err(StoreError::Database(format!(
                        "change {id}: unknown operation"
                    )));
                }
            };
            let tuple: TupleKey = serde_json::from_str(&json)
                .map_err(|_| StoreError::Database(format!("change {id}: unreadable tuple")))?;
            last = ContinuationToken(id);
            changes.push(TupleChange { id, op, tuple });
        }
        Ok(ChangesPage {
            changes,
            continuation: last,
        })
    }
}
