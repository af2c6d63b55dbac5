//! SQLite storage of the log (feature `sqlite`): entries with their leaf
//! hashes and query columns, the signed checkpoints, and the retention floor.
//!
//! WAL journal with full synchronous commits: an appended batch is durable
//! when `append` returns. An append transaction starts `IMMEDIATE`, taking
//! the database's write lock before it reads, so handles on one file append
//! one after the other.

use super::error::AuditLogError;
use super::hash::Hash;
use super::query::{AuditQuery, QueryValue};
use super::store::{
    AppendTx, ArchiveSink, LogStore, NewRow, StoredEntry, name_of, stored_hash, to_i64, to_u64,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, ToSql, Transaction, TransactionBehavior, params};
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

/// The SQLite file of one log.
#[derive(Debug)]
pub struct LogStorage {
    conn: Connection,
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
        leaf_hashes_from(&self.conn, 0)
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

    /// Direct access for tamper tests and repairs: the raw connection.
    ///
    /// # Security
    /// Writing through it bypasses the log; `verify` reports what it changed.
    pub fn raw(&self) -> &Connection {
        &self.conn
    }
}

fn leaf_hashes_from(conn: &Connection, start: u64) -> Result<Vec<Hash>, AuditLogError> {
    let mut stmt =
        conn.prepare_cached("SELECT leaf_hash FROM audit_entries WHERE idx >= ?1 ORDER BY idx")?;
    let rows = stmt.query_map(params![to_i64(start)?], |row| row.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(stored_hash(&row?)?);
    }
    Ok(out)
}

fn stored_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntry> {
    Ok(StoredEntry {
        index: to_u64(r.get(0)?),
        leaf_hash: r.get(1)?,
        body: r.get(2)?,
    })
}

/// The append transaction of a SQLite log.
struct SqliteAppend<'a, 'c>(&'a Transaction<'c>);

impl AppendTx for SqliteAppend<'_, '_> {
    fn leaf_hashes_from(&mut self, start: u64) -> Result<Vec<Hash>, AuditLogError> {
        leaf_hashes_from(self.0, start)
    }

    fn index_of_event(&mut self, id: &str) -> Result<Option<u64>, AuditLogError> {
        Ok(self
            .0
            .prepare_cached("SELECT idx FROM audit_entries WHERE event_id = ?1")?
            .query_row(params![id], |r| r.get::<_, i64>(0))
            .optional()?
            .map(to_u64))
    }

    fn write(
        &mut self,
        rows: &[NewRow<'_>],
        size: u64,
        checkpoint: &str,
    ) -> Result<(), AuditLogError> {
        let mut insert = self.0.prepare_cached(
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
        self.0.execute(
            "INSERT OR REPLACE INTO audit_checkpoints (size, note) VALUES (?1, ?2)",
            params![to_i64(size)?, checkpoint],
        )?;
        Ok(())
    }
}

impl LogStore for LogStorage {
    fn append(
        &mut self,
        append: &mut dyn FnMut(&mut dyn AppendTx) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        append(&mut SqliteAppend(&tx))?;
        tx.commit()?;
        Ok(())
    }

    fn leaf_hashes_from(&self, start: u64) -> Result<Vec<Hash>, AuditLogError> {
        leaf_hashes_from(&self.conn, start)
    }

    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, AuditLogError> {
        Ok(self
            .conn
            .query_row(
                "SELECT idx, leaf_hash, body FROM audit_entries WHERE idx = ?1",
                params![to_i64(index)?],
                stored_entry,
            )
            .optional()?)
    }

    fn for_each_entry(
        &self,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError> {
        let mut stmt = self
            .conn
            .prepare("SELECT idx, leaf_hash, body FROM audit_entries ORDER BY idx")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(stored_entry(r)?)?;
        }
        Ok(())
    }

    fn bodies(&self, from: u64, count: u64) -> Result<Vec<Option<Vec<u8>>>, AuditLogError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM audit_entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
        )?;
        let to = from.saturating_add(count);
        let rows = stmt.query_map(params![to_i64(from)?, to_i64(to)?], |r| r.get(0))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, AuditLogError> {
        let mut stmt = self
            .conn
            .prepare("SELECT size, note FROM audit_checkpoints ORDER BY size")?;
        let rows = stmt.query_map([], |r| Ok((to_u64(r.get(0)?), r.get(1)?)))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    fn query(&self, query: &AuditQuery) -> Result<Vec<(u64, Vec<u8>)>, AuditLogError> {
        let clause = query.clause(|n| format!("?{n}"));
        let mut values: Vec<Value> = query
            .conditions()
            .into_iter()
            .map(|(_, _, v)| match v {
                QueryValue::Text(t) => Value::Text(t),
                QueryValue::Integer(i) => Value::Integer(i),
            })
            .collect();
        let sql = format!(
            "SELECT idx, body FROM audit_entries WHERE body IS NOT NULL{clause} ORDER BY idx LIMIT ?{}",
            values.len() + 1
        );
        values.push(Value::Integer(i64::from(query.limit_or_default())));
        let mut stmt = self.conn.prepare(&sql)?;
        let bound: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
        let rows = stmt.query_map(bound.as_slice(), |r| Ok((to_u64(r.get(0)?), r.get(1)?)))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    fn archive(
        &mut self,
        older_than: i64,
        archive: &mut ArchiveSink<'_>,
    ) -> Result<u64, AuditLogError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
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
}
