//! SQLite storage: WAL journal, `synchronous=FULL` (a write is durable when
//! `put` returns), compare-and-swap writes in `BEGIN IMMEDIATE` transactions.

use super::{SealedRecord, Status, VaultStore};
use crate::credential::{CredentialKey, CredentialKind};
use crate::error::VaultError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// Sealed records in a SQLite database file.
#[derive(Debug)]
pub struct SqliteVaultStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> VaultError {
    VaultError::Storage(e.to_string())
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS vault_credentials (
    tenant TEXT NOT NULL,
    user_id TEXT NOT NULL,
    connection TEXT NOT NULL,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at INTEGER,
    master_key_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    status TEXT NOT NULL,
    sealed_at INTEGER,
    PRIMARY KEY (tenant, user_id, connection)
) WITHOUT ROWID;
";

const COLUMNS: &str = "tenant, user_id, connection, version, kind, scopes, expires_at, master_key_id, wrapped_key, nonce, ciphertext, status, sealed_at";

impl SqliteVaultStore {
    /// Opens (creating) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, VaultError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(VaultError::Storage(format!("journal mode {mode}, not WAL")));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;")
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// The result of `PRAGMA integrity_check` (`ok` when sound).
    pub fn integrity_check(&self) -> Result<String, VaultError> {
        self.lock()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(db)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Adds the `sealed_at` column to a database created before it existed (its
/// rows read as `None`, which the AEAD binds as "no seal time").
fn migrate(conn: &Connection) -> Result<(), VaultError> {
    let has_sealed_at: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('vault_credentials') WHERE name='sealed_at'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db)?
        > 0;
    if !has_sealed_at {
        conn.execute_batch("ALTER TABLE vault_credentials ADD COLUMN sealed_at INTEGER")
            .map_err(db)?;
    }
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SealedRecord> {
    let kind: String = r.get(4)?;
    let scopes: String = r.get(5)?;
    let status: String = r.get(11)?;
    let version: i64 = r.get(3)?;
    Ok(SealedRecord {
        key: CredentialKey::new(
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ),
        version: u64::try_from(version).unwrap_or(0),
        // An unknown kind cannot authenticate; map to OAuth and let the AEAD refuse it.
        kind: CredentialKind::parse(&kind).unwrap_or(CredentialKind::OAuth),
        scopes: scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        expires_at: r.get(6)?,
        master_key_id: r.get(7)?,
        wrapped_key: r.get(8)?,
        nonce: r.get(9)?,
        ciphertext: r.get(10)?,
        status: Status::parse(&status).unwrap_or(Status::ConsentRequired),
        sealed_at: r.get(12)?,
    })
}

fn version_i64(v: u64) -> Result<i64, VaultError> {
    i64::try_from(v).map_err(|_| VaultError::Invalid("version overflow".into()))
}

impl VaultStore for SqliteVaultStore {
    fn get(&self, key: &CredentialKey) -> Result<Option<SealedRecord>, VaultError> {
        self.lock()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM vault_credentials WHERE tenant=?1 AND user_id=?2 AND connection=?3"
                ),
                params![key.tenant, key.user, key.connection],
                row,
            )
            .optional()
            .map_err(db)
    }

    fn put(&self, record: &SealedRecord, expected: u64) -> Result<(), VaultError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        let k = &record.key;
        let current: Option<i64> = tx
            .query_row(
                "SELECT version FROM vault_credentials WHERE tenant=?1 AND user_id=?2 AND connection=?3",
                params![k.tenant, k.user, k.connection],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        if current.unwrap_or(0) != version_i64(expected)? {
            return Err(VaultError::Conflict);
        }
        tx.execute(
            &format!(
                "INSERT OR REPLACE INTO vault_credentials ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
            ),
            params![
                k.tenant,
                k.user,
                k.connection,
                version_i64(record.version)?,
                record.kind.as_str(),
                record.scopes.join(" "),
                record.expires_at,
                record.master_key_id,
                record.wrapped_key,
                record.nonce,
                record.ciphertext,
                record.status.as_str(),
                record.sealed_at,
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn set_status(
        &self,
        key: &CredentialKey,
        version: u64,
        status: Status,
    ) -> Result<bool, VaultError> {
        let n = self
            .lock()
            .execute(
                "UPDATE vault_credentials SET status=?1 WHERE tenant=?2 AND user_id=?3 AND connection=?4 AND version=?5",
                params![status.as_str(), key.tenant, key.user, key.connection, version_i64(version)?],
            )
            .map_err(db)?;
        Ok(n > 0)
    }

    fn delete(&self, key: &CredentialKey) -> Result<bool, VaultError> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM vault_credentials WHERE tenant=?1 AND user_id=?2 AND connection=?3",
                params![key.tenant, key.user, key.connection],
            )
            .map_err(db)?;
        Ok(n > 0)
    }

    fn delete_version(&self, key: &CredentialKey, version: u64) -> Result<bool, VaultError> {
        let n = self
            .lock()
            .execute(
                "DELETE FROM vault_credentials WHERE tenant=?1 AND user_id=?2 AND connection=?3 AND version=?4",
                params![key.tenant, key.user, key.connection, version_i64(version)?],
            )
            .map_err(db)?;
        Ok(n > 0)
    }

    fn delete_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        self.lock()
            .execute(
                "DELETE FROM vault_credentials WHERE tenant=?1 AND user_id=?2",
                params![tenant, user],
            )
            .map_err(db)
    }

    fn list(&self) -> Result<Vec<SealedRecord>, VaultError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("SELECT {COLUMNS} FROM vault_credentials"))
            .map_err(db)?;
        let rows = stmt.query_map([], row).map_err(db)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db)
    }
}
