//! PostgreSQL storage of the log (feature `postgres`): the same rows as the
//! SQLite storage, shared by several authority instances on one database.
//!
//! An append runs in one transaction that first takes a transaction-level
//! advisory lock of the log, so appends of every instance are serialized by
//! the server (not by a lock inside one process): each reads the rows the
//! others appended, numbers its events after them and commits its rows with
//! the checkpoint of the new size, or nothing.

use super::error::AuditLogError;
use super::hash::Hash;
use super::query::{AuditQuery, QueryValue};
use super::store::{
    AppendTx, ArchiveSink, LogStore, NewRow, StoredEntry, name_of, stored_hash, to_i64, to_u64,
};
use pg_store::tokio_postgres::types::ToSql;
use pg_store::tokio_postgres::{self, GenericClient, Row};
use pg_store::{Migration, PgClient, PgError, PgPool};

/// The schema steps of the log (`"user"` is quoted: a reserved word here).
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "audit log entries and checkpoints",
    sql: "CREATE TABLE audit_entries (
              idx BIGINT PRIMARY KEY,
              event_id TEXT UNIQUE,
              leaf_hash BYTEA NOT NULL,
              body BYTEA,
              time BIGINT NOT NULL,
              agent TEXT,
              \"user\" TEXT,
              action TEXT NOT NULL,
              outcome TEXT NOT NULL,
              request_id TEXT
          );
          CREATE INDEX audit_entries_agent ON audit_entries (agent, time);
          CREATE INDEX audit_entries_user ON audit_entries (\"user\", time);
          CREATE INDEX audit_entries_time ON audit_entries (time);
          CREATE INDEX audit_entries_request ON audit_entries (request_id);
          CREATE TABLE audit_checkpoints (
              size BIGINT PRIMARY KEY,
              note TEXT NOT NULL
          )",
}];

/// The component name of the log's schema in `schema_version`.
const SCHEMA_COMPONENT: &str = "audit_log";

/// The advisory lock every append takes (one log per database).
const APPEND_LOCK: i64 = 0x6175_6469_745f_6c67;

/// Rows read per round trip when walking the whole log.
const PAGE: i64 = 4096;

const INSERT: &str = "INSERT INTO audit_entries
    (idx, event_id, leaf_hash, body, time, agent, \"user\", action, outcome, request_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

const LEAVES_FROM: &str = "SELECT leaf_hash FROM audit_entries WHERE idx >= $1 ORDER BY idx";

/// The log in a PostgreSQL database, shared by every instance that opens it.
///
/// ```no_run
/// use reference_authority::audit_log::{AuditLog, NoteSigner, PgLogStorage};
/// let storage = PgLogStorage::connect("host=/run/postgresql dbname=authority")?;
/// let log = AuditLog::new("authority.example/audit-log", NoteSigner::from_seed("authority.example/audit-log", &[1; 32])?, storage)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PgLogStorage {
    pool: PgPool,
}

impl From<PgError> for AuditLogError {
    fn from(e: PgError) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<tokio_postgres::Error> for AuditLogError {
    /// The SQLSTATE and the server's message, without its detail line (which
    /// may quote row values).
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Storage(match e.as_db_error() {
            Some(db) => format!("SQLSTATE {}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

impl PgLogStorage {
    /// Opens the log on `pool`, applying the schema steps the database lacks.
    pub fn open(pool: PgPool) -> Result<Self, AuditLogError> {
        let mut client = pool.client_blocking()?;
        pool.block_on(pg_store::migrate(&mut client, SCHEMA_COMPONENT, MIGRATIONS))?;
        Ok(Self { pool })
    }

    /// Connects to `connection` (a libpq URL or key/value string) and opens the log.
    pub fn connect(connection: &str) -> Result<Self, AuditLogError> {
        Self::open(PgPool::connect(pg_store::PgConfig::parse(connection)?)?)
    }

    /// The pool (to share it with other stores of the same database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn client(&self) -> Result<PgClient, AuditLogError> {
        Ok(self.pool.client_blocking()?)
    }
}

async fn leaf_hashes_from(
    client: &impl GenericClient,
    start: u64,
) -> Result<Vec<Hash>, AuditLogError> {
    let rows = client.query(LEAVES_FROM, &[&to_i64(start)?]).await?;
    rows.iter()
        .map(|r| stored_hash(&r.try_get::<_, Vec<u8>>(0)?))
        .collect()
}

fn stored_entry(r: &Row) -> Result<StoredEntry, AuditLogError> {
    Ok(StoredEntry {
        index: to_u64(r.try_get(0)?),
        leaf_hash: r.try_get(1)?,
        body: r.try_get(2)?,
    })
}

/// The append transaction: the advisory lock is held until it ends.
struct PgAppend<'a, 'c> {
    pool: &'a PgPool,
    tx: &'a tokio_postgres::Transaction<'c>,
}

impl AppendTx for PgAppend<'_, '_> {
    fn leaf_hashes_from(&mut self, start: u64) -> Result<Vec<Hash>, AuditLogError> {
        self.pool.block_on(leaf_hashes_from(self.tx, start))
    }

    fn index_of_event(&mut self, id: &str) -> Result<Option<u64>, AuditLogError> {
        let row = self.pool.block_on(
            self.tx
                .query_opt("SELECT idx FROM audit_entries WHERE event_id = $1", &[&id]),
        )?;
        Ok(row.map(|r| r.try_get(0).map(to_u64)).transpose()?)
    }

    fn write(
        &mut self,
        rows: &[NewRow<'_>],
        size: u64,
        checkpoint: &str,
    ) -> Result<(), AuditLogError> {
        self.pool.block_on(async {
            let insert = self.tx.prepare(INSERT).await?;
            for row in rows {
                let e = row.event;
                self.tx
                    .execute(
                        &insert,
                        &[
                            &to_i64(row.index)?,
                            &e.id,
                            &&row.leaf_hash.0[..],
                            &row.body,
                            &e.time,
                            &e.agent,
                            &e.user,
                            &name_of(&e.action),
                            &name_of(&e.outcome),
                            &e.request_id,
                        ],
                    )
                    .await?;
            }
            self.tx
                .execute(
                    "INSERT INTO audit_checkpoints (size, note) VALUES ($1, $2)
                     ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note",
                    &[&to_i64(size)?, &checkpoint],
                )
                .await?;
            Ok(())
        })
    }
}

impl LogStore for PgLogStorage {
    fn append(
        &mut self,
        append: &mut dyn FnMut(&mut dyn AppendTx) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError> {
        let mut client = self.client()?;
        let pool = &self.pool;
        let tx = pool.block_on(client.transaction())?;
        pool.block_on(tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK]))?;
        append(&mut PgAppend { pool, tx: &tx })?;
        pool.block_on(tx.commit())?;
        Ok(())
    }

    fn leaf_hashes_from(&self, start: u64) -> Result<Vec<Hash>, AuditLogError> {
        let client = self.client()?;
        self.pool.block_on(leaf_hashes_from(&**client, start))
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, AuditLogError> {
        let client = self.client()?;
        let row = self.pool.block_on(client.query_opt(
            "SELECT idx, leaf_hash, body FROM audit_entries WHERE idx = $1",
            &[&to_i64(index)?],
        ))?;
        row.as_ref().map(stored_entry).transpose()
    }

    fn for_each_entry(
        &self,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError> {
        let client = self.client()?;
        let mut from = 0i64;
        loop {
            let rows = self.pool.block_on(client.query(
                "SELECT idx, leaf_hash, body FROM audit_entries WHERE idx >= $1 ORDER BY idx LIMIT $2",
                &[&from, &PAGE],
            ))?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            from = last.try_get::<_, i64>(0)?.saturating_add(1);
            for row in &rows {
                f(stored_entry(row)?)?;
            }
        }
    }

    fn bodies(&self, from: u64, count: u64) -> Result<Vec<Option<Vec<u8>>>, AuditLogError> {
        let client = self.client()?;
        let to = from.saturating_add(count);
        let rows = self.pool.block_on(client.query(
            "SELECT body FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            &[&to_i64(from)?, &to_i64(to)?],
        ))?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, AuditLogError> {
        let client = self.client()?;
        let rows = self.pool.block_on(client.query(
            "SELECT size, note FROM audit_checkpoints ORDER BY size",
            &[],
        ))?;
        Ok(rows
            .iter()
            .map(|r| Ok((to_u64(r.try_get(0)?), r.try_get(1)?)))
            .collect::<Result<_, tokio_postgres::Error>>()?)
    }

    fn query(&self, query: &AuditQuery) -> Result<Vec<(u64, Vec<u8>)>, AuditLogError> {
        let clause = query.clause(|n| format!("${n}"));
        let mut values: Vec<Box<dyn ToSql + Sync + Send>> = query
            .conditions()
            .into_iter()
            .map(|(_, _, v)| -> Box<dyn ToSql + Sync + Send> {
                match v {
                    QueryValue::Text(t) => Box::new(t),
                    QueryValue::Integer(i) => Box::new(i),
                }
            })
            .collect();
        let sql = format!(
            "SELECT idx, body FROM audit_entries WHERE body IS NOT NULL{clause} ORDER BY idx LIMIT ${}",
            values.len() + 1
        );
        values.push(Box::new(i64::from(query.limit_or_default())));
        let bound: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|v| v.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = self.client()?;
        let rows = self.pool.block_on(client.query(&sql, &bound))?;
        Ok(rows
            .iter()
            .map(|r| Ok((to_u64(r.try_get(0)?), r.try_get(1)?)))
            .collect::<Result<_, tokio_postgres::Error>>()?)
    }

    fn archive(
        &mut self,
        older_than: i64,
        archive: &mut ArchiveSink<'_>,
    ) -> Result<u64, AuditLogError> {
        let mut client = self.client()?;
        let pool = &self.pool;
        let tx = pool.block_on(client.transaction())?;
        // Row locks: a second instance archiving at once waits, then finds
        // these bodies gone and skips them (each entry lands in one archive).
        let rows = pool.block_on(tx.query(
            "SELECT idx, body FROM audit_entries WHERE body IS NOT NULL AND time < $1
             ORDER BY idx FOR UPDATE",
            &[&older_than],
        ))?;
        let mut archived = Vec::with_capacity(rows.len());
        for row in &rows {
            let index: i64 = row.try_get(0)?;
            let body: Vec<u8> = row.try_get(1)?;
            archive(to_u64(index), &body)?;
            archived.push(index);
        }
        pool.block_on(tx.execute(
            "UPDATE audit_entries SET body = NULL WHERE idx = ANY($1)",
            &[&archived],
        ))?;
        pool.block_on(tx.commit())?;
        Ok(archived.len() as u64)
    }
}
