//! PostgreSQL storage (feature `postgres`): the same (table, key, value) rows as
//! the SQLite store, shared by several authority instances on one database.
//!
//! [`Store::update`] is atomic per key across instances: the transaction first
//! takes a transaction-level advisory lock derived from (table, key), so that two
//! instances deciding about a key that does not exist yet (a first use of an
//! assertion `jti`) are ordered too, then reads the row `FOR UPDATE`. Single use
//! of codes (RFC 6749 section 4.1.2), refresh token reuse detection (RFC 9700
//! section 4.14.2) and assertion replay protection (RFC 7523 section 3) rely on it.
//!
//! Client registrations and their disabled status are cached (see
//! [`pg_cache`](super::pg_cache)): a trigger notifies every write to them, from
//! any instance, on the [`CHANNEL`] channel. [`Store::put_async`] commits the
//! writes of concurrent callers together (see [`pg_batch`](super::pg_batch)).

use super::pg_batch::GroupCommit;
use super::pg_cache::ReadCache;
use super::{Store, StoreFuture, Table, Update};
use crate::provider::StoreError;
use pg_store::{Identifier, ListenGuard, Migration, PgClient, PgError, PgPool, tokio_postgres};
use std::sync::Arc;

/// The notification channel of writes to cached records.
const CHANNEL: &str = "authority_records";

/// The schema steps of the authority's tables.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "authority records",
        sql: "CREATE TABLE authority_records (
                  tbl TEXT NOT NULL,
                  key TEXT NOT NULL,
                  value BYTEA NOT NULL,
                  PRIMARY KEY (tbl, key)
              )",
    },
    Migration {
        version: 2,
        name: "notify writes of client records",
        // The payload is `table chr(31) key`, empty (forget everything) when
        // too long for a notification (8,000 bytes).
        sql: "CREATE FUNCTION authority_records_notify() RETURNS trigger
              LANGUAGE plpgsql AS $$
              DECLARE
                  changed TEXT := CASE WHEN TG_OP = 'DELETE'
                                       THEN OLD.tbl || chr(31) || OLD.key
                                       ELSE NEW.tbl || chr(31) || NEW.key END;
              BEGIN
                  PERFORM pg_notify('authority_records',
                                    CASE WHEN octet_length(changed) > 7000 THEN ''
                                         ELSE changed END);
                  RETURN NULL;
              END $$;
              CREATE TRIGGER authority_records_notify_write
                  AFTER INSERT OR UPDATE ON authority_records FOR EACH ROW
                  WHEN (NEW.tbl IN ('clients', 'disabled_clients'))
                  EXECUTE FUNCTION authority_records_notify();
              CREATE TRIGGER authority_records_notify_delete
                  AFTER DELETE ON authority_records FOR EACH ROW
                  WHEN (OLD.tbl IN ('clients', 'disabled_clients'))
                  EXECUTE FUNCTION authority_records_notify();
              CREATE FUNCTION authority_records_notify_truncate() RETURNS trigger
              LANGUAGE plpgsql AS $$
              BEGIN
                  PERFORM pg_notify('authority_records', '');
                  RETURN NULL;
              END $$;
              CREATE TRIGGER authority_records_notify_truncate
                  AFTER TRUNCATE ON authority_records
                  EXECUTE FUNCTION authority_records_notify_truncate();",
    },
];

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
    cache: Arc<ReadCache>,
    group_commit: GroupCommit,
    _listening: Arc<ListenGuard>,
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
        let cache = Arc::new(ReadCache::default());
        let channel = Identifier::new(CHANNEL).map_err(backend)?;
        let listening = pool.listen(&channel, cache.clone());
        Ok(Self {
            group_commit: GroupCommit::start(&pool),
            pool,
            cache,
            _listening: Arc::new(listening),
        })
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

// The statements, prepared once per connection (`prepare_cached`): a query is
// then one round trip.
const SELECT: &str = "SELECT value FROM authority_records WHERE tbl = $1 AND key = $2";
/// The values of several (table, key) pairs, each with its place in the request
/// (from 1); missing keys have no row.
const SELECT_MANY: &str = "SELECT k.i, r.value
                           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(tbl, key, i)
                           JOIN authority_records r ON r.tbl = k.tbl AND r.key = k.key";
const UPSERT: &str = "INSERT INTO authority_records (tbl, key, value) VALUES ($1, $2, $3)
                      ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value";
const DELETE: &str = "DELETE FROM authority_records WHERE tbl = $1 AND key = $2";
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))";
const SELECT_FOR_UPDATE: &str =
    "SELECT value FROM authority_records WHERE tbl = $1 AND key = $2 FOR UPDATE";
const SCAN: &str =
    // Byte order, as the other stores list, whatever the database's collation.
    "SELECT key, value FROM authority_records WHERE tbl = $1 ORDER BY key COLLATE \"C\"";

impl Store for PgStore {
    fn get(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if ReadCache::covers(table.name()) {
            return Ok(self.get_many(&[(table, key)])?.pop().flatten());
        }
        let client = self.client()?;
        self.pool
            .block_on(async {
                let statement = client.prepare_cached(SELECT).await?;
                let row = client.query_opt(&statement, &[&table.name(), &key]).await?;
                row.map(|r| r.try_get(0)).transpose()
            })
            .map_err(query)
    }

    fn get_many(&self, keys: &[(Table, &str)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let named: Vec<(&str, &str)> = keys.iter().map(|(t, k)| (t.name(), *k)).collect();
        let generation = match self.cache.lookup(&named) {
            Ok(values) => return Ok(values),
            Err(generation) => generation,
        };
        let values = self.read_many(&named)?;
        if let Some(generation) = generation {
            let read: Vec<_> = named.iter().copied().zip(values.iter().cloned()).collect();
            self.cache.fill(generation, &read);
        }
        Ok(values)
    }

    fn put(&self, table: Table, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.cache.invalidate(table.name(), key);
        let client = self.client()?;
        let result = self
            .pool
            .block_on(async {
                let statement = client.prepare_cached(UPSERT).await?;
                client
                    .execute(&statement, &[&table.name(), &key, &value])
                    .await
            })
            .map(|_| ())
            .map_err(query);
        self.cache.invalidate(table.name(), key);
        result
    }

    fn put_many(&self, table: Table, entries: &[(&str, &[u8])]) -> Result<(), StoreError> {
        self.forget(table, entries.iter().map(|(k, _)| *k));
        let mut client = self.client()?;
        let pool = &self.pool;
        let result = pg_store::retry(|| {
            Ok(pool.block_on(async {
                let tx = client.transaction().await?;
                let upsert = tx.prepare_cached(UPSERT).await?;
                for &(key, value) in entries {
                    tx.execute(&upsert, &[&table.name(), &key, &value]).await?;
                }
                tx.commit().await
            }))
        })
        .map_err(backend);
        self.forget(table, entries.iter().map(|(k, _)| *k));
        result
    }

    fn put_async<'a>(&'a self, table: Table, rows: Vec<(String, Vec<u8>)>) -> StoreFuture<'a> {
        Box::pin(async move {
            let name = table.name();
            let keys: Vec<String> = if ReadCache::covers(name) {
                rows.iter().map(|(k, _)| k.clone()).collect()
            } else {
                Vec::new()
            };
            keys.iter().for_each(|k| self.cache.invalidate(name, k));
            let result = self
                .group_commit
                .write(name, rows)
                .await
                .map_err(StoreError::Backend);
            keys.iter().for_each(|k| self.cache.invalidate(name, k));
            result
        })
    }

    fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        self.cache.invalidate(table.name(), key);
        let client = self.client()?;
        let result = self
            .pool
            .block_on(async {
                let statement = client.prepare_cached(DELETE).await?;
                client.execute(&statement, &[&table.name(), &key]).await
            })
            .map(|n| n > 0)
            .map_err(query);
        self.cache.invalidate(table.name(), key);
        result
    }

    fn update(
        &self,
        table: Table,
        key: &str,
        f: &mut dyn FnMut(Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        self.update_many(table, &[key], &mut |_, current| f(current))
    }

    fn update_many(
        &self,
        table: Table,
        keys: &[&str],
        f: &mut dyn FnMut(usize, Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        self.forget(table, keys.iter().copied());
        let result = self.update_rows(table, keys, f);
        self.forget(table, keys.iter().copied());
        result
    }

    fn scan(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let client = self.client()?;
        let rows = self
            .pool
            .block_on(async {
                let statement = client.prepare_cached(SCAN).await?;
                client.query(&statement, &[&table.name()]).await
            })
            .map_err(query)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(query)
    }
}

impl PgStore {
    /// Reads several (table, key) pairs in one query, in their order.
    fn read_many(&self, keys: &[(&str, &str)]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let tables: Vec<&str> = keys.iter().map(|(t, _)| *t).collect();
        let names: Vec<&str> = keys.iter().map(|(_, k)| *k).collect();
        let client = self.client()?;
        let rows = self
            .pool
            .block_on(async {
                let statement = client.prepare_cached(SELECT_MANY).await?;
                client.query(&statement, &[&tables, &names]).await
            })
            .map_err(query)?;
        let mut values = vec![None; keys.len()];
        for row in rows {
            let i: i64 = row.try_get(0).map_err(query)?;
            let slot = usize::try_from(i - 1)
                .ok()
                .and_then(|i| values.get_mut(i))
                .ok_or(StoreError::Corrupt("authority_records"))?;
            *slot = row.try_get(1).map_err(query)?;
        }
        Ok(values)
    }

    /// Drops `keys` of `table` from the read cache.
    fn forget<'k>(&self, table: Table, keys: impl Iterator<Item = &'k str>) {
        keys.for_each(|k| self.cache.invalidate(table.name(), k));
    }

    /// The atomic update of several rows in one transaction (see the module
    /// documentation): the advisory locks of every key first, in key order (so
    /// two instances updating overlapping batches cannot deadlock), then each
    /// row read `FOR UPDATE` and changed.
    fn update_rows(
        &self,
        table: Table,
        keys: &[&str],
        f: &mut dyn FnMut(usize, Option<&[u8]>) -> Update,
    ) -> Result<(), StoreError> {
        let mut locks: Vec<&str> = keys.to_vec();
        locks.sort_unstable();
        locks.dedup();
        let mut client = self.client()?;
        let pool = &self.pool;
        pg_store::retry(|| {
            Ok(pool.block_on(async {
                let tx = client.transaction().await?;
                let lock = tx.prepare_cached(LOCK).await?;
                for key in &locks {
                    tx.execute(&lock, &[&table.name(), key]).await?;
                }
                let select = tx.prepare_cached(SELECT_FOR_UPDATE).await?;
                for (i, key) in keys.iter().enumerate() {
                    let current: Option<Vec<u8>> = tx
                        .query_opt(&select, &[&table.name(), key])
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                    match f(i, current.as_deref()) {
                        Update::Keep => {}
                        Update::Put(value) => {
                            let upsert = tx.prepare_cached(UPSERT).await?;
                            tx.execute(&upsert, &[&table.name(), key, &value]).await?;
                        }
                        Update::Delete => {
                            let delete = tx.prepare_cached(DELETE).await?;
                            tx.execute(&delete, &[&table.name(), key]).await?;
                        }
                    }
                }
                tx.commit().await
            }))
        })
        .map_err(backend)
    }
}
