//! SQLite storage: WAL journal, `synchronous=FULL` (a write is durable when
//! `put` returns), compare-and-swap writes in `BEGIN IMMEDIATE` transactions.

use super::{RecordFormat, SealedRecord, Status, VaultStore};
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
    format INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant, user_id, connection)
) WITHOUT ROWID;
";

const COLUMNS: &str = "tenant, user_id, connection, version, kind, scopes, expires_at, master_key_id, wrapped_key, nonce, ciphertext, status, sealed_at, format";

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

/// Adds the columns a database created by an earlier release lacks:
/// `sealed_at` (its rows read as `None`, which the AEAD binds as "no seal
/// time") and `format` (its rows are format 1, sealed without the status).
fn migrate(conn: &Connection) -> Result<(), VaultError> {
    for (column, definition) in [
        ("sealed_at", "sealed_at INTEGER"),
        ("format", "format INTEGER NOT NULL DEFAULT 1"),
    ] {
        let present: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('vault_credentials') WHERE name=?1",
                [column],
                |r| r.get(0),
            )
            .map_err(db)?;
        if present == 0 {
            conn.execute_batch(&format!(
                "ALTER TABLE vault_credentials ADD COLUMN {definition}"
            ))
            .map_err(db)?;
        }
    }
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SealedRecord> {
    let kind: String = r.get(4)?;
    let scopes: String = r.get(5)?;
    let status: String = r.get(11)?;
    let version: i64 = r.get(3)?;
    let format: i64 = r.get(13)?;
    // An unknown format is refused rather than guessed.
    let format = RecordFormat::from_number(format)
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(13, format))?;
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
        format,
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
                "INSERT OR REPLACE INTO vault_credentials ({COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"
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
                record.format.number(),
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::credential::Credential;
    use crate::envelope::{self, Sealing};
    use crate::keys::{KeyProvider, MasterKey, StaticKeyProvider};
    use crate::vault::{Accessor, Lookup, Vault};
    use agent_auth::secret::SecretString;
    use std::sync::Arc;

    /// The table as the release before record formats created it.
    const PREVIOUS_SCHEMA: &str = "
    CREATE TABLE vault_credentials (
        tenant TEXT NOT NULL, user_id TEXT NOT NULL, connection TEXT NOT NULL,
        version INTEGER NOT NULL, kind TEXT NOT NULL, scopes TEXT NOT NULL,
        expires_at INTEGER, master_key_id TEXT NOT NULL, wrapped_key BLOB NOT NULL,
        nonce BLOB NOT NULL, ciphertext BLOB NOT NULL, status TEXT NOT NULL,
        sealed_at INTEGER,
        PRIMARY KEY (tenant, user_id, connection)
    ) WITHOUT ROWID;";

    /// A database written by the previous release: one format-1 record.
    fn previous_release_database(path: &Path, record: &SealedRecord) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(PREVIOUS_SCHEMA).unwrap();
        let k = &record.key;
        conn.execute(
            "INSERT INTO vault_credentials VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
            params![
                k.tenant,
                k.user,
                k.connection,
                version_i64(record.version).unwrap(),
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
        .unwrap();
    }

    #[test]
    fn previous_format_records_still_open_and_are_resealed_on_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("previous.db");
        let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
        let key = CredentialKey::new("acme", "alice", "stripe");
        let credential = Credential::ApiKey {
            key: SecretString::new("sk_live_previous"),
            scopes: vec!["charges".into()],
        };
        let sealing = Sealing {
            key: &key,
            version: 1,
            sealed_at: Some(1_800_000_000),
            status: Status::Active,
            format: RecordFormat::V1,
        };
        let legacy = envelope::seal_as(&keys.active().unwrap(), sealing, &credential).unwrap();
        previous_release_database(&path, &legacy);

        let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
        assert_eq!(store.get(&key).unwrap().unwrap().format, RecordFormat::V1);
        let vault = Vault::builder(store.clone(), keys).build();
        let alice = Accessor::trusted_system("acme", "alice", "agent");
        match vault.get_cached(&alice, "stripe", &["charges"]).unwrap() {
            Lookup::Ready(c) => assert_eq!(c.secret(), "sk_live_previous"),
            Lookup::Stale => panic!("an API key is never stale"),
        }

        // The next write, here a status change, seals the current format; the
        // seal time stays (marking is not a new credential).
        vault.mark_consent_required(&key).unwrap();
        let marked = store.get(&key).unwrap().unwrap();
        assert_eq!(
            (
                marked.format,
                marked.version,
                marked.status,
                marked.sealed_at
            ),
            (
                RecordFormat::CURRENT,
                2,
                Status::ConsentRequired,
                Some(1_800_000_000)
            )
        );
        assert!(matches!(
            vault.get_cached(&alice, "stripe", &["charges"]),
            Err(VaultError::ConsentRequired(_))
        ));
        // A new credential is a new version in the current format, active.
        assert_eq!(vault.store_for(&alice, "stripe", &credential).unwrap(), 3);
        let stored = store.get(&key).unwrap().unwrap();
        assert_eq!(
            (stored.format, stored.status),
            (RecordFormat::CURRENT, Status::Active)
        );
    }

    #[test]
    fn an_unknown_record_format_is_a_storage_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m1").unwrap()));
        let store = Arc::new(SqliteVaultStore::open(&path).unwrap());
        let vault = Vault::builder(store.clone(), keys).build();
        let key = CredentialKey::new("acme", "alice", "stripe");
        let credential = Credential::ApiKey {
            key: SecretString::new("sk_live_x"),
            scopes: vec![],
        };
        vault.put(&key, &credential).unwrap();
        store
            .lock()
            .execute_batch("UPDATE vault_credentials SET format=9")
            .unwrap();
        assert!(matches!(store.get(&key), Err(VaultError::Storage(_))));
    }
}
