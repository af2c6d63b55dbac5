//! Storage behind a trait: a small table/key/value interface with an atomic
//! update, so that every backend (memory, SQLite) stays a page of code.

mod memory;
#[cfg(feature = "postgres")]
mod pg_batch;
#[cfg(feature = "postgres")]
mod pg_cache;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod typed;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub(crate) use typed::{Tables, decode_json, put_many_json, update_many_json};
pub use typed::{get_json, purge_json, put_json, update_json};

use super::StoreError;
use std::future::Future;
use std::pin::Pin;

/// The future of an asynchronous store write.
pub type StoreFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// Whether a configured `database` names PostgreSQL (a `postgres://` or
/// `postgresql://` URL) rather than a SQLite file.
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// The tables of the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Table {
    /// Users by id.
    Users,
    /// User ids by login name.
    UserNames,
    /// Clients by id.
    Clients,
    /// SSO sessions by handle digest.
    Sessions,
    /// Authorization codes by digest.
    Codes,
    /// Refresh tokens by digest.
    RefreshTokens,
    /// Grant families by id.
    Families,
    /// Revoked access token ids, with expiry.
    RevokedJti,
    /// Client assertion ids seen (replay protection, RFC 7523 section 3).
    AssertionJti,
    /// Pending login interactions.
    Interactions,
    /// Signing keys (PKCS#8 PEM with algorithm and kid).
    Keys,
    /// Federated identity links.
    Links,
    /// Upstream login attempts (state of the authority acting as a relying party).
    Upstream,
    /// Pushed authorization requests (RFC 9126).
    PushedRequests,
    /// RP-initiated logouts waiting for the user's confirmation.
    LogoutRequests,
    /// What each user consented to for each client.
    Consents,
    /// Tables of extensions (CIBA requests, vault records, ...), named by them.
    Extension(&'static str),
}

impl Table {
    /// The table's name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::UserNames => "user_names",
            Table::Clients => "clients",
            Table::Sessions => "sessions",
            Table::Codes => "codes",
            Table::RefreshTokens => "refresh_tokens",
            Table::Families => "families",
            Table::RevokedJti => "revoked_jti",
            Table::AssertionJti => "assertion_jti",
            Table::Interactions => "interactions",
            Table::Keys => "keys",
            Table::Links => "links",
            Table::Upstream => "upstream",
            Table::PushedRequests => "pushed_requests",
            Table::LogoutRequests => "logout_requests",
            Table::Consents => "consents",
            Table::Extension(name) => name,
        }
    }
}

/// What an atomic update does with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// Leave it as it is.
    Keep,
    /// Write this value.
    Put(Vec<u8>),
    /// Remove it.
    Delete,
}

/// A storage backend. Values are opaque bytes (JSON records written by the authority).
///
/// Implementations must make [`update`](Store::update) atomic per key: the
/// authority relies on it for single use of codes, refresh token rotation and
/// assertion replay protection.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Reads a value.
    fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Reads several values at once, in the order of `keys` (one round trip for
    /// a database store; the default reads them one by one).
    fn get_many(&self, keys: &[(Table, &str)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter()
            .map(|&(table, key)| self.get(table, key))
            .collect()
    }

    /// Writes a value.
    fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError>;

    /// Writes several values of one table, for an async caller that must not
    /// block its thread on the write. A database store may commit them together
    /// with the writes of concurrent callers (one round trip and one commit for
    /// all); the future ends when they are committed. The default writes them
    /// one by one with [`put`](Store::put).
    fn put_async<'a>(&'a self, table: Table, rows: Vec<(String, Vec<u8>)>) -> StoreFuture<'a> {
        Box::pin(async move {
            rows.iter()
                .try_for_each(|(key, value)| self.put(table, key, value))
        })
    }

    /// Removes a value; returns whether it existed.
    fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError>;

    /// Atomically reads the value and replaces it with what `f` decides.
    fn update(
        &self,
        table: Table,
        key: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError>;

    /// Every key and value of a table.
    fn scan(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Writes several values of one table at once: one transaction (one
    /// commit, so one disk flush) for a database store; the default writes
    /// them one by one.
    fn put_many(&self, table: Table, entries: &[(&str, &[u8])]) -> Result<(), StoreError> {
        entries
            .iter()
            .try_for_each(|&(key, value)| self.put(table, key, value))
    }

    /// Atomically updates several records of one table, each as
    /// [`update`](Store::update) does; `f` gets the index of the key in
    /// `keys` with its current value. A database store does it in one
    /// transaction; the default updates the keys one by one (each atomic).
    fn update_many(
        &self,
        table: Table,
        keys: &[&str],
        f: &mut dyn FnMut(usize, Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        for (i, key) in keys.iter().enumerate() {
            self.update(table, key, &mut |current| f(i, current))?;
        }
        Ok(())
    }
}
