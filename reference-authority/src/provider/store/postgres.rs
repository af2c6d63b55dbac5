//! PostgreSQL storage (feature `postgres`): the same (table, key, value) rows as
//! the SQLite store, shared by several authority instances on one database.
//!
//! [`Store::update`] is atomic per key across instances: the transaction first
//! takes a transaction-level advisory lock derived from (table, key), so that two
//! instances deciding about a key that does not exist yet (a first use of an
//! assertion `jti`) are ordered too, then reads the row `FOR UPDATE`. Single use
//! of codes (RFC 6749 section 4.1.2), refresh token reuse detection (RFC 9700
//! section 4.14.2) and assertion replay protection (RFC 7523 section 3) rely on it.

use super::{Store, Table, Update};
use crate::provider::StoreError;
use pg_store::{Migration, PgClient, PgError, PgPool, tokio_postgres};

/// The schema steps of the authority's tables.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "authority records",
    sql: "CREATE TABLE authority_records (
              tbl TEXT NOT NULL,
              key TEXT NOT NULL,
              value BYTEA NOT NULL,
              PRIMARY KEY (tbl, key)
          )",
}];

/// The component name of the authority's schema in `schema_version`.
const SCHEMA_COMPONENT: &str = "reference_authority";

/// A store in a PostgreSQL database, shared by every instance that opens it.
///
/// ```no_run
/// use reference_authority::{Authority, PgStore};
/// use std::sync::Arc;
/// let pool = pg_store::PgPool::connect(pg_store::PgConfig::parse("host=/run/postgresql dbname=authority")?)?;
/// let store = PgStore::open(pool)?;
/// let authority = Authority::builder("https://idp.example").store(Arc::new(store)).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

fn backend(e: PgError) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn query(e: tokio_postgres::Error) -> StoreError {
    backend(PgError::from(e))
}

impl PgStore {
    /// Opens the store on `pool`, applying the schema steps the database lacks.
    pub fn open(pool: PgPool) -> Result<Self, StoreError> {
        let mut client = pool.client_blocking().map_err(backend)?;
        pool.block_on(pg_store::migrate(&mut client, SCHEMA_COMPONENT, MIGRATIONS))
            .map_err(backend)?;
        Ok(Self { pool })
    }

    /// Connects to `connection` (a libpq URL or key/value string) and opens the store.
    pub fn connect(connection: &str) -> Result<Self, StoreError> {
        let config = pg_store::PgConfig::parse(connection).map_err(backend)?;
        Self::open(PgPool::connect(config).map_err(backend)?)
    }

    /// The pool (to share it with other stores of the same database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn client(&self) -> Result<PgClient, StoreError> {
        self.pool.client_blocking().map_err(backend)
    }
}

const UPSERT: &str = "INSERT INTO authority_records (tbl, key, value) VALUES ($1, $2, $3)
                      ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value";

impl Store for PgStore {
    fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.client()?;
        let row = self
            .pool
            .block_on(client.query_opt(
                "SELECT value FROM authority_records WHERE tbl = $1 AND key = $2",
                &[&table.name(), &key],
            ))
            .map_err(query)?;
        row.map(|r| r.try_get(0)).transpose().map_err(query)
    }

    fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let client = self.client()?;
        self.pool
            .block_on(client.execute(UPSERT, &[&table.name(), &key, &value]))
            .map(|_| ())
            .map_err(query)
    }

    fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        let client = self.client()?;
        self.pool
            .block_on(client.execute(
                "DELETE FROM authority_records WHERE tbl = $1 AND key = $2",
                &[&table.name(), &key],
            ))
            .map(|n| n > 0)
            .map_err(query)
    }

    fn update(
        &self,
        table: Table,
        key: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let pool = &self.pool;
        pg_store::retry(|| {
            Ok(pool.block_on(async {
                let tx = client.transaction().await?;
                tx.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))",
                    &[&table.name(), &key],
                )
                .await?;
                let current: Option<Vec<u8>> = tx
                    .query_opt(
                        "SELECT value FROM authority_records WHERE tbl = $1 AND key = $2 FOR UPDATE",
                        &[&table.name(), &key],
                    )
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
                match f(current.as_deref()) {
                    Update::Keep => {}
                    Update::Put(value) => {
                        tx.execute(UPSERT, &[&table.name(), &key, &value]).await?;
                    }
                    Update::Delete => {
                        tx.execute(
                            "DELETE FROM authority_records WHERE tbl = $1 AND key = $2",
                            &[&table.name(), &key],
                        )
                        .await?;
                    }
                }
                tx.commit().await
            }))
        })
        .map_err(backend)
    }

    fn scan(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let client = self.client()?;
        let rows = self
            .pool
            .block_on(client.query(
                // Byte order, as the other stores list, whatever the database's collation.
                "SELECT key, value FROM authority_records WHERE tbl = $1 ORDER BY key COLLATE \"C\"",
                &[&table.name()],
            ))
            .map_err(query)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(query)
    }
}
