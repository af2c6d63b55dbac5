//! SQLite storage of the log: entries with their leaf hashes and query
//! columns, the signed checkpoints, and the retention floor.
//!
//! WAL journal with full synchronous commits: an appended batch is durable
//! when `append` returns.

use super::error::AuditLogError;
use super::hash::Hash;
use super::query::AuditQuery;
use agent_auth::audit::AuditEvent;
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use std::path::Path;

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS audit_entries (
    idx INTEGER PRIMARY KEY,
    event_id TEXT UNIQUE,
    leaf_hash BLOB NOT NULL,
    body BLOB,
    time INTEGER NOT NULL,
    agent TEXT,
    user TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_entries_agent ON audit_entries (agent, time);
CREATE INDEX IF NOT EXISTS audit_entries_user ON audit_entries (user, time);
CREATE INDEX IF NOT EXISTS audit_entries_time ON audit_entries (time);
CREATE INDEX IF NOT EXISTS audit_entries_request ON audit_entries (request_id);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL
);
";

/// One stored row: position, leaf hash, entry bytes unless archived.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// The position.
    pub index: u64,
    /// The RFC 6962 leaf hash of the entry bytes.
    pub leaf_hash: Vec<u8>,
    /// The entry bytes (`None` once archived).
    pub body: Option<Vec<u8>>,
}

/// A new row to append.
#[derive(Debug)]
pub(crate) struct NewRow<'a> {
    pub(crate) index: u64,
    pub(crate) leaf_hash: Hash,
    pub(crate) body: &'a [u8],
    pub(crate) event: &'a AuditEvent,
}

/// The SQLite file of one log.
#[derive(Debug)]
pub struct LogStorage {
    conn: Connection,
}

fn to_i64(n: u64) -> Result<i64, AuditLogError> {
    i64::try_from(n).map_err(|_| AuditLogError::NotFound("index out of range"))
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The snake_case name an action or outcome serializes to.
pub(crate) fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl LogStorage {
    /// Opens (or creates) the log in a SQLite file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditLogError> {
        Self::init(Connection::open(path)?)
    }

    /// A log in a private in-memory database.
    pub fn in_memory() -> Result<Self, AuditLogError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, AuditLogError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    /// Every leaf hash in order, for rebuilding the tree on open.
    pub fn leaf_hashes(&self) -> Result<Vec<Hash>, AuditLogError> {
        let mut stmt = self
            .conn
            .prepare("SELECT leaf_hash FROM audit_entries ORDER BY idx")?;
        let rows = stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(Hash::from_slice(&row?).ok_or(AuditLogError::Storage(
                "a stored leaf hash is not 32 bytes".into(),
            ))?);
        }
        Ok(out)
    }

    /// The index of the entry with event id `id`, if logged.
    pub(crate) fn index_of_event(&self, id: &str) -> Result<Option<u64>, AuditLogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT idx FROM audit_entries WHERE event_id = ?1",
                params![id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(to_u64))
    }

    /// Appends rows and the signed checkpoint of the new size in one transaction.
    pub(crate) fn append(
        &mut self,
        rows: &[NewRow<'_>],
        size: u64,
        checkpoint: &str,
    ) -> Result<(), AuditLogError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit_entries
                 (idx, event_id, leaf_hash, body, time, agent, user, action, outcome, request_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for row in rows {
                let e = row.event;
                insert.execute(params![
                    to_i64(row.index)?,
                    e.id,
                    &row.leaf_hash.0[..],
                    row.body,
                    e.time,
                    e.agent,
                    e.user,
                    name_of(&e.action),
                    name_of(&e.outcome),
                    e.request_id,
                ])?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO audit_checkpoints (size, note) VALUES (?1, ?2)",
                params![to_i64(size)?, checkpoint],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored row at `index`.
    pub fn entry(&self, index: u64) -> Result<Option<StoredEntry>, AuditLogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT idx, leaf_hash, body FROM audit_entries WHERE idx = ?1",
                params![to_i64(index)?],
                |r| {
                    Ok(StoredEntry {
                        index: to_u64(r.get(0)?),
                        leaf_hash: r.get(1)?,
                        body: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Calls `f` on every stored row in index order.
    pub fn for_each_entry(
        &self,
        mut f: impl FnMut(StoredEntry) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError> {
        let mut stmt = self
            .conn
            .prepare("SELECT idx, leaf_hash, body FROM audit_entries ORDER BY idx")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(StoredEntry {
                index: to_u64(r.get(0)?),
                leaf_hash: r.get(1)?,
                body: r.get(2)?,
            })?;
        }
        Ok(())
    }

    /// The entry bytes of `[from, from + count)`, `None` for archived ones.
    pub fn bodies(&self, from: u64, count: u64) -> Result<Vec<Option<Vec<u8>>>, AuditLogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM audit_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        let to = from.saturating_add(count);
        let rows = stmt.query_map(params![to_i64(from)?, to_i64(to)?], |r| r.get(0))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    /// Every stored checkpoint note, by size.
    pub fn checkpoints(&self) -> Result<Vec<(u64, String)>, AuditLogError> {
        let mut stmt = self
            .conn
            .prepare("SELECT size, note FROM audit_checkpoints ORDER BY size")?;
        let rows = stmt.query_map([], |r| Ok((to_u64(r.get(0)?), r.get(1)?)))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    /// The latest checkpoint note.
    pub fn latest_checkpoint(&self) -> Result<Option<String>, AuditLogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Entries matching `query`, oldest first (archived ones are skipped).
    pub fn query(&self, query: &AuditQuery) -> Result<Vec<(u64, Vec<u8>)>, AuditLogError> {
        let (clause, values) = query.to_sql();
        let sql = format!(
            "SELECT idx, body FROM audit_entries WHERE body IS NOT NULL{clause} ORDER BY idx LIMIT ?"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let limit = i64::from(query.limit_or_default());
        let mut bound: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
        bound.push(&limit);
        let rows = stmt.query_map(bound.as_slice(), |r| Ok((to_u64(r.get(0)?), r.get(1)?)))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    /// Archives the entries below `before` whose time is below `older_than`:
    /// hands each body to `archive`, then drops the body and keeps its leaf
    /// hash. Returns how many were archived.
    pub fn archive(
        &mut self,
        older_than: i64,
        mut archive: impl FnMut(u64, &[u8]) -> Result<(), AuditLogError>,
    ) -> Result<u64, AuditLogError> {
        let tx = self.conn.transaction()?;
        let mut count = 0u64;
        {
            let mut stmt = tx.prepare(
                "SELECT idx, body FROM audit_entries WHERE body IS NOT NULL AND time < ?1 ORDER BY idx",
            )?;
            let mut rows = stmt.query(params![older_than])?;
            while let Some(r) = rows.next()? {
                let index = to_u64(r.get(0)?);
                let body: Vec<u8> = r.get(1)?;
                archive(index, &body)?;
                count += 1;
            }
        }
        tx.execute(
            "UPDATE audit_entries SET body = NULL WHERE body IS NOT NULL AND time < ?1",
            params![older_than],
        )?;
        tx.commit()?;
        Ok(count)
    }

    /// Direct access for tamper tests and repairs: the raw connection.
    ///
    /// # Security
    /// Writing through it bypasses the log; `verify` reports what it changed.
    pub fn raw(&self) -> &Connection {
        &self.conn
    }
}
