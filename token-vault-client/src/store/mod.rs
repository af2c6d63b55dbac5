//! Storage of sealed records: one trait, an in-memory and a SQLite
//! implementation. Stores only ever see ciphertext and non-secret metadata.

mod lease;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use lease::{LeaseFuture, RefreshLease};

use crate::credential::{CredentialKey, CredentialKind};
use crate::error::VaultError;
use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Usable.
    Active,
    /// The provider refused the refresh token (consent gone): the user must reconnect.
    ConsentRequired,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::ConsentRequired => "consent_required",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "consent_required" => Some(Self::ConsentRequired),
            _ => None,
        }
    }
}

/// Which clear metadata a record's associated data binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordFormat {
    /// Written before the status was bound: every clear field but `status`.
    /// Still read; the vault writes the next version of such a record in
    /// the current format.
    V1,
    /// Every clear field, `status` included.
    V2,
}

impl RecordFormat {
    /// The format new records are written in.
    pub const CURRENT: Self = Self::V2;

    /// The stored number.
    pub fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }

    /// Parses the stored number.
    pub fn from_number(n: i64) -> Option<Self> {
        match n {
            1 => Some(Self::V1),
            2 => Some(Self::V2),
            _ => None,
        }
    }
}

/// One encrypted credential with its clear metadata, all of it bound by the
/// AEAD in the current format (format 1 left `status` out).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedRecord {
    /// Whose, for which connection.
    pub key: CredentialKey,
    /// Increases with every write of the key.
    pub version: u64,
    /// The kind.
    pub kind: CredentialKind,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry of the (access) credential.
    pub expires_at: Option<i64>,
    /// When this version was sealed (vault clock, seconds since the epoch):
    /// the last write, refresh or rotation. `None` for records written before
    /// seal times were kept.
    pub sealed_at: Option<i64>,
    /// The master key that wraps the data key.
    pub master_key_id: String,
    /// Nonce, wrapped data key and tag.
    pub wrapped_key: Vec<u8>,
    /// The payload nonce.
    pub nonce: Vec<u8>,
    /// The payload ciphertext and tag.
    pub ciphertext: Vec<u8>,
    /// Connection status. Changing it means sealing a new version.
    pub status: Status,
    /// Which metadata the associated data binds.
    pub format: RecordFormat,
}

impl std::fmt::Debug for SealedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedRecord")
            .field("key", &self.key)
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("sealed_at", &self.sealed_at)
            .field("master_key_id", &self.master_key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .field("status", &self.status)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// Durable storage of sealed records.
///
/// `put` is a compare-and-swap on the version: it succeeds only if the stored
/// version is `expected` (0: no record), and is durable when it returns.
pub trait VaultStore: Send + Sync + std::fmt::Debug {
    /// The record of `key`.
    fn get(&self, key: &CredentialKey) -> Result<Option<SealedRecord>, VaultError>;
    /// Writes `record` if the stored version is `expected` (0 for none), else
    /// [`VaultError::Conflict`].
    fn put(&self, record: &SealedRecord, expected: u64) -> Result<(), VaultError>;
    /// Deletes one record.
    fn delete(&self, key: &CredentialKey) -> Result<bool, VaultError>;
    /// Deletes the record of `key` if it is still at `version`; false otherwise.
    fn delete_version(&self, key: &CredentialKey, version: u64) -> Result<bool, VaultError>;
    /// Deletes every record of a user in a tenant; returns how many.
    fn delete_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError>;
    /// Every record (for re-encryption and the output filter).
    fn list(&self) -> Result<Vec<SealedRecord>, VaultError>;

    /// Excludes refreshes and rotations of `key` by the other vault instances
    /// sharing this store until the lease drops. The default, for stores of one process, is
    /// no lease: the vault's own per-credential lock is enough there.
    fn refresh_lease(&self, key: &CredentialKey) -> LeaseFuture {
        let _ = key;
        lease::no_lease()
    }
}

/// Records in memory.
#[derive(Debug, Default)]
pub struct MemoryVaultStore {
    rows: RwLock<BTreeMap<CredentialKey, SealedRecord>>,
}

impl MemoryVaultStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl VaultStore for MemoryVaultStore {
    fn get(&self, key: &CredentialKey) -> Result<Option<SealedRecord>, VaultError> {
        Ok(self
            .rows
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned())
    }

    fn put(&self, record: &SealedRecord, expected: u64) -> Result<(), VaultError> {
        let mut rows = self.rows.write().unwrap_or_else(PoisonError::into_inner);
        let current = rows.get(&record.key).map_or(0, |r| r.version);
        if current != expected {
            return Err(VaultError::Conflict);
        }
        rows.insert(record.key.clone(), record.clone());
        Ok(())
    }

    fn delete(&self, key: &CredentialKey) -> Result<bool, VaultError> {
        Ok(self
            .rows
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key)
            .is_some())
    }

    fn delete_version(&self, key: &CredentialKey, version: u64) -> Result<bool, VaultError> {
        let mut rows = self.rows.write().unwrap_or_else(PoisonError::into_inner);
        if rows.get(key).is_some_and(|r| r.version == version) {
            rows.remove(key);
            return Ok(true);
        }
        Ok(false)
    }

    fn delete_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        let mut rows = self.rows.write().unwrap_or_else(PoisonError::into_inner);
        let before = rows.len();
        rows.retain(|k, _| !(k.tenant == tenant && k.user == user));
        Ok(before - rows.len())
    }

    fn list(&self) -> Result<Vec<SealedRecord>, VaultError> {
        Ok(self
            .rows
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect())
    }
}
