//! The storage seam of the log: what a backend (SQLite, PostgreSQL) keeps and
//! how an append runs, so the log, verification, retention, queries and tiles
//! work the same on each.

use super::error::AuditLogError;
use super::hash::Hash;
use super::query::AuditQuery;
use agent_auth::audit::AuditEvent;

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
pub struct NewRow<'a> {
    /// Its position.
    pub index: u64,
    /// The leaf hash of `body`.
    pub leaf_hash: Hash,
    /// The entry bytes.
    pub body: &'a [u8],
    /// The event, for the query columns.
    pub event: &'a AuditEvent,
}

/// The open append transaction: the log is locked against every other writer
/// of the same storage (other handles, other processes) until it ends.
pub trait AppendTx {
    /// The leaf hashes from position `start` on, in order: rows other writers
    /// appended since this handle last looked.
    fn leaf_hashes_from(&mut self, start: u64) -> Result<Vec<Hash>, AuditLogError>;
    /// The index of the entry with event id `id`, if logged.
    fn index_of_event(&mut self, id: &str) -> Result<Option<u64>, AuditLogError>;
    /// Writes `rows` and the signed checkpoint of the new `size`.
    fn write(
        &mut self,
        rows: &[NewRow<'_>],
        size: u64,
        checkpoint: &str,
    ) -> Result<(), AuditLogError>;
}

/// Where a log keeps its entries, checkpoints and retention state.
///
/// Implemented by [`LogStorage`](super::LogStorage) (SQLite, feature `sqlite`)
/// and `PgLogStorage` (feature `postgres`) (PostgreSQL, feature `postgres`).
pub trait LogStore: Send + std::fmt::Debug {
    /// Runs `append` in one transaction that holds the log's write lock; commits
    /// when it returns `Ok`, changes nothing when it fails.
    fn append(
        &mut self,
        append: &mut dyn FnMut(&mut dyn AppendTx) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError>;

    /// The leaf hashes from position `start` on, in order (no lock taken).
    fn leaf_hashes_from(&self, start: u64) -> Result<Vec<Hash>, AuditLogError>;

    /// The stored row at `index`.
    fn entry(&self, index: u64) -> Result<Option<StoredEntry>, AuditLogError>;

    /// Calls `f` on every stored row in index order.
    fn for_each_entry(
        &self,
        f: &mut dyn FnMut(StoredEntry) -> Result<(), AuditLogError>,
    ) -> Result<(), AuditLogError>;

    /// The entry bytes of `[from, from + count)`, `None` for archived ones.
    fn bodies(&self, from: u64, count: u64) -> Result<Vec<Option<Vec<u8>>>, AuditLogError>;

    /// Every stored checkpoint note, by size.
    fn checkpoints(&self) -> Result<Vec<(u64, String)>, AuditLogError>;

    /// Entries matching `query`, oldest first (archived ones are skipped).
    fn query(&self, query: &AuditQuery) -> Result<Vec<(u64, Vec<u8>)>, AuditLogError>;

    /// Archives the entries whose time is below `older_than`: hands each body
    /// to `archive`, then drops the body and keeps its leaf hash. Returns how
    /// many were archived; on error nothing is dropped.
    fn archive(
        &mut self,
        older_than: i64,
        archive: &mut ArchiveSink<'_>,
    ) -> Result<u64, AuditLogError>;
}

/// Where retention hands each archived entry: its index and its bytes.
pub type ArchiveSink<'a> = dyn FnMut(u64, &[u8]) -> Result<(), AuditLogError> + 'a;

/// Opens the storage `database` names: a `postgres://` or `postgresql://`
/// URL (feature `postgres`), else the path of a SQLite file.
pub fn open_store(database: &str) -> Result<Box<dyn LogStore>, AuditLogError> {
    if crate::store::is_postgres_url(database) {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(super::PgLogStorage::connect(database)?));
        #[cfg(not(feature = "postgres"))]
        return Err(AuditLogError::Storage(
            "a PostgreSQL audit log needs the `postgres` feature".into(),
        ));
    }
    Ok(Box::new(super::LogStorage::open(database)?))
}

/// Position conversions shared by the backends (SQL integers are signed).
pub(crate) fn to_i64(n: u64) -> Result<i64, AuditLogError> {
    i64::try_from(n).map_err(|_| AuditLogError::NotFound("index out of range"))
}

/// A stored position (never negative: the schema writes only `to_i64` values).
pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A stored leaf hash, which must be 32 bytes.
pub(crate) fn stored_hash(bytes: &[u8]) -> Result<Hash, AuditLogError> {
    Hash::from_slice(bytes).ok_or(AuditLogError::Storage(
        "a stored leaf hash is not 32 bytes".into(),
    ))
}

/// The snake_case name an action or outcome serializes to.
pub(crate) fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
