//! SQLite storage (feature `sqlite`): one table of (table, key, value) rows, so
//! that a restarted authority keeps keys, users, clients, sessions, codes,
//! grants and refresh tokens.

use super::{Store, Table, Update};
use crate::provider::StoreError;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// A store in one SQLite file (WAL journal, full synchronous commits).
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (or creates) the database file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::init(Connection::open(path).map_err(backend)?)
    }

    /// A private in-memory database (for tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             CREATE TABLE IF NOT EXISTS records (
                 tbl TEXT NOT NULL,
                 key TEXT NOT NULL,
                 value BLOB NOT NULL,
                 PRIMARY KEY (tbl, key)
             ) WITHOUT ROWID;",
        )
        .map_err(backend)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

const UPSERT: &str = "INSERT INTO records (tbl, key, value) VALUES (?1, ?2, ?3)
                      ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value";
const DELETE: &str = "DELETE FROM records WHERE tbl = ?1 AND key = ?2";

fn read(conn: &Connection, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    conn.query_row(
        "SELECT value FROM records WHERE tbl = ?1 AND key = ?2",
        params![table.name(), key],
        |row| row.get(0),
    )
    .optional()
    .map_err(backend)
}

impl Store for SqliteStore {
    fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        read(&self.conn(), table, key)
    }

    fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn()
            .execute(UPSERT, params![table.name(), key, value])
            .map(|_| ())
            .map_err(backend)
    }

    fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        self.conn()
            .execute(DELETE, params![table.name(), key])
            .map(|n| n > 0)
            .map_err(backend)
    }

    fn update(
        &self,
        table: Table,
        key: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        self.update_many(table, &[key], &mut |_, current| f(current))
    }

    fn put_many(&self, table: Table, entries: &[(&str, &[u8])]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        for &(key, value) in entries {
            tx.execute(UPSERT, params![table.name(), key, value])
                .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn update_many(
        &self,
        table: Table,
        keys: &[&str],
        f: &mut dyn FnMut(usize, Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        for (i, &key) in keys.iter().enumerate() {
            let current = read(&tx, table, key)?;
            match f(i, current.as_deref()) {
                Update::Keep => {}
                Update::Put(value) => {
                    tx.execute(UPSERT, params![table.name(), key, value])
                        .map_err(backend)?;
                }
                Update::Delete => {
                    tx.execute(DELETE, params![table.name(), key])
                        .map_err(backend)?;
                }
            }
        }
        tx.commit().map_err(backend)
    }

    fn scan(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT key, value FROM records WHERE tbl = ?1 ORDER BY key")
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![table.name()], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }
}
