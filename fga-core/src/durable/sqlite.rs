//! The tuple store in SQLite: the current tuples and the changes feed in one file.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{ChangeOp, ChangesPage, ContinuationToken, StoreError, TupleChange, TupleStore};
use crate::TupleKey;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS fga_tuples (
    object TEXT NOT NULL,
    relation TEXT NOT NULL,
    user TEXT NOT NULL,
    PRIMARY KEY (object, relation, user)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fga_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    op INTEGER NOT NULL,
    tuple TEXT NOT NULL
);
";

/// A [`TupleStore`] in a SQLite file (WAL, `synchronous=FULL`); several handles, in one
/// process or several, may share the file.
///
/// ```
/// use fga_core::TupleKey;
/// use fga_core::durable::{SqliteTupleStore, TupleStore};
///
/// let store = SqliteTupleStore::open_in_memory()?;
/// store.write(&[TupleKey::new("doc:a", "viewer", "user:ann")], &[])?;
/// let page = store.read_changes(None, 100)?;
/// assert_eq!(page.changes.len(), 1);
/// assert!(store.read_changes(Some(&page.continuation), 100)?.changes.is_empty());
/// # Ok::<(), fga_core::durable::StoreError>(())
/// ```
#[derive(Debug)]
pub struct SqliteTupleStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl SqliteTupleStore {
    /// Opens (creating when missing) the store in a file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        Self::with(conn)
    }

    /// A store in memory (one handle only).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::with(Connection::open_in_memory().map_err(db)?)
    }

    fn with(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }
}

fn exists(tx: &rusqlite::Transaction<'_>, t: &TupleKey) -> Result<bool, StoreError> {
    tx.query_row(
        "SELECT 1 FROM fga_tuples WHERE object = ?1 AND relation = ?2 AND user = ?3",
        params![t.object, t.relation, t.user],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(db)
}

fn record(tx: &rusqlite::Transaction<'_>, op: ChangeOp, t: &TupleKey) -> Result<(), StoreError> {
    let json = serde_json::to_string(t).map_err(|e| StoreError::Database(e.to_string()))?;
    let code = match op {
        ChangeOp::Write => 0,
        ChangeOp::Delete => 1,
    };
    tx.execute(
        "INSERT INTO fga_changes (op, tuple) VALUES (?1, ?2)",
        params![code, json],
    )
    .map_err(db)?;
    Ok(())
}

impl TupleStore for SqliteTupleStore {
    fn write(&self, writes: &[TupleKey], deletes: &[TupleKey]) -> Result<(), StoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database("connection lock poisoned".into()))?;
        // One immediate transaction: the conflict checks and the changes see one state,
        // and a rejected request rolls back (the transaction drops without commit).
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        for t in deletes {
            let removed = tx
                .execute(
                    "DELETE FROM fga_tuples WHERE object = ?1 AND relation = ?2 AND user = ?3",
                    params![t.object, t.relation, t.user],
                )
                .map_err(db)?;
            if removed == 0 {
                return Err(StoreError::Conflict {
                    op: "delete",
                    tuple: t.to_string(),
                    reason: "the tuple does not exist",
                });
            }
            record(&tx, ChangeOp::Delete, t)?;
        }
        for t in writes {
            if exists(&tx, t)? || deletes.contains(t) {
                return Err(StoreError::Conflict {
                    op: "write",
                    tuple: t.to_string(),
                    reason: "the tuple already exists",
                });
            }
            tx.execute(
                "INSERT INTO fga_tuples (object, relation, user) VALUES (?1, ?2, ?3)",
                params![t.object, t.relation, t.user],
            )
            .map_err(db)?;
            record(&tx, ChangeOp::Write, t)?;
        }
        tx.commit().map_err(db)
    }

    fn read_changes(
        &self,
        after: Option<&ContinuationToken>,
        page_size: usize,
    ) -> Result<ChangesPage, StoreError> {
        let after = after.copied().unwrap_or_default();
        let from = i64::try_from(after.0).map_err(|_| StoreError::InvalidContinuationToken)?;
        let limit = i64::try_from(page_size).unwrap_or(i64::MAX);
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database("connection lock poisoned".into()))?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, op, tuple FROM fga_changes WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![from, limit], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(db)?;
        let mut changes = Vec::new();
        let mut last = after;
        for row in rows {
            let (id, op, json) = row.map_err(db)?;
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
