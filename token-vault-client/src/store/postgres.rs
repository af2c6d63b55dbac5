//! PostgreSQL storage (feature `postgres`): sealed records shared by several
//! vault instances, compare-and-swap writes in single statements, and refresh
//! leases held as session-level advisory locks.
//!
//! A lease is `pg_advisory_lock` on a pooled connection kept out of the pool
//! while the refresh runs; dropping the lease unlocks and returns the
//! connection. If the instance dies, its session ends and the server releases
//! the lock, so a crashed refresher never blocks the others.

use super::{LeaseFuture, RecordFormat, RefreshLease, SealedRecord, Status, VaultStore};
use crate::credential::{CredentialKey, CredentialKind};
use crate::error::VaultError;
use pg_store::{Migration, PgClient, PgError, PgPool, tokio_postgres};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "vault credentials",
    sql: "CREATE TABLE vault_credentials (
              tenant TEXT NOT NULL,
              user_id TEXT NOT NULL,
              connection TEXT NOT NULL,
              version BIGINT NOT NULL,
              kind TEXT NOT NULL,
              scopes TEXT NOT NULL,
              expires_at BIGINT,
              master_key_id TEXT NOT NULL,
              wrapped_key BYTEA NOT NULL,
              nonce BYTEA NOT NULL,
              ciphertext BYTEA NOT NULL,
              status TEXT NOT NULL,
              sealed_at BIGINT,
              format SMALLINT NOT NULL,
              PRIMARY KEY (tenant, user_id, connection)
          )",
}];

const COLUMNS: &str = "tenant, user_id, connection, version, kind, scopes, expires_at, master_key_id, wrapped_key, nonce, ciphertext, status, sealed_at, format";

/// Sealed records in a PostgreSQL database, shared by every vault instance on it.
///
/// ```no_run
/// use token_vault_client::store::postgres::PgVaultStore;
/// let pool = pg_store::PgPool::connect(pg_store::PgConfig::parse("host=/run/postgresql dbname=vault")?)?;
/// let store = PgVaultStore::open(pool)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PgVaultStore {
    pool: PgPool,
}

fn storage(e: PgError) -> VaultError {
    VaultError::Storage(e.to_string())
}

fn query(e: tokio_postgres::Error) -> VaultError {
    storage(PgError::from(e))
}

fn version_i64(v: u64) -> Result<i64, VaultError> {
    i64::try_from(v).map_err(|_| VaultError::Invalid("version overflow".into()))
}

/// The advisory lock name of a credential's refresh lease.
fn lease_name(key: &CredentialKey) -> String {
    format!(
        "vault-refresh\u{1f}{}\u{1f}{}\u{1f}{}",
        key.tenant, key.user, key.connection
    )
}

fn row(r: &tokio_postgres::Row) -> Result<SealedRecord, VaultError> {
    let kind: String = r.try_get(4).map_err(query)?;
    let scopes: String = r.try_get(5).map_err(query)?;
    let status: String = r.try_get(11).map_err(query)?;
    let version: i64 = r.try_get(3).map_err(query)?;
    let format: i16 = r.try_get(13).map_err(query)?;
    // An unknown format is refused rather than guessed.
    let format = RecordFormat::from_number(i64::from(format))
        .ok_or_else(|| VaultError::Storage(format!("unknown record format {format}")))?;
    Ok(SealedRecord {
        key: CredentialKey::new(
            r.try_get::<_, String>(0).map_err(query)?,
            r.try_get::<_, String>(1).map_err(query)?,
            r.try_get::<_, String>(2).map_err(query)?,
        ),
        version: u64::try_from(version).unwrap_or(0),
        // An unknown kind cannot authenticate; map to OAuth and let the AEAD refuse it.
        kind: CredentialKind::parse(&kind).unwrap_or(CredentialKind::OAuth),
        scopes: scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        expires_at: r.try_get(6).map_err(query)?,
        master_key_id: r.try_get(7).map_err(query)?,
        wrapped_key: r.try_get(8).map_err(query)?,
        nonce: r.try_get(9).map_err(query)?,
        ciphertext: r.try_get(10).map_err(query)?,
        status: Status::parse(&status).unwrap_or(Status::ConsentRequired),
        sealed_at: r.try_get(12).map_err(query)?,
        format,
    })
}

impl PgVaultStore {
    /// Opens the store on `pool`, applying the schema steps the database lacks.
    pub fn open(pool: PgPool) -> Result<Self, VaultError> {
        let mut client = pool.client_blocking().map_err(storage)?;
        pool.block_on(pg_store::migrate(&mut client, "token_vault", MIGRATIONS))
            .map_err(storage)?;
        Ok(Self { pool })
    }

    /// Connects to `connection` (a libpq URL or key/value string) and opens the store.
    pub fn connect(connection: &str) -> Result<Self, VaultError> {
        let config = pg_store::PgConfig::parse(connection).map_err(storage)?;
        Self::open(PgPool::connect(config).map_err(storage)?)
    }

    fn client(&self) -> Result<PgClient, VaultError> {
        self.pool.client_blocking().map_err(storage)
    }
}

impl VaultStore for PgVaultStore {
    fn get(&self, key: &CredentialKey) -> Result<Option<SealedRecord>, VaultError> {
        let client = self.client()?;
        let found = self
            .pool
            .block_on(client.query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM vault_credentials WHERE tenant=$1 AND user_id=$2 AND connection=$3"
                ),
                &[&key.tenant, &key.user, &key.connection],
            ))
            .map_err(query)?;
        found.as_ref().map(row).transpose()
    }

    fn put(&self, record: &SealedRecord, expected: u64) -> Result<(), VaultError> {
        let k = &record.key;
        let version = version_i64(record.version)?;
        let scopes = record.scopes.join(" ");
        let format = i16::from(record.format.number());
        let values: [&(dyn tokio_postgres::types::ToSql + Sync); 14] = [
            &k.tenant,
            &k.user,
            &k.connection,
            &version,
            &record.kind.as_str(),
            &scopes,
            &record.expires_at,
            &record.master_key_id,
            &record.wrapped_key,
            &record.nonce,
            &record.ciphertext,
            &record.status.as_str(),
            &record.sealed_at,
            &format,
        ];
        // One statement each way, so the comparison and the write are atomic.
        let statement = if expected == 0 {
            format!(
                "INSERT INTO vault_credentials ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
                 ON CONFLICT (tenant, user_id, connection) DO NOTHING"
            )
        } else {
            "UPDATE vault_credentials SET version=$4, kind=$5, scopes=$6, expires_at=$7,
                 master_key_id=$8, wrapped_key=$9, nonce=$10, ciphertext=$11, status=$12,
                 sealed_at=$13, format=$14
             WHERE tenant=$1 AND user_id=$2 AND connection=$3 AND version=$15"
                .to_owned()
        };
        let expected = version_i64(expected)?;
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = values.to_vec();
        if expected != 0 {
            params.push(&expected);
        }
        let client = self.client()?;
        let written = self
            .pool
            .block_on(client.execute(statement.as_str(), &params))
            .map_err(query)?;
        if written == 1 {
            Ok(())
        } else {
            Err(VaultError::Conflict)
        }
    }

    fn delete(&self, key: &CredentialKey) -> Result<bool, VaultError> {
        let client = self.client()?;
        let n = self
            .pool
            .block_on(client.execute(
                "DELETE FROM vault_credentials WHERE tenant=$1 AND user_id=$2 AND connection=$3",
                &[&key.tenant, &key.user, &key.connection],
            ))
            .map_err(query)?;
        Ok(n > 0)
    }

    fn delete_version(&self, key: &CredentialKey, version: u64) -> Result<bool, VaultError> {
        let version = version_i64(version)?;
        let client = self.client()?;
        let n = self
            .pool
            .block_on(client.execute(
                "DELETE FROM vault_credentials WHERE tenant=$1 AND user_id=$2 AND connection=$3 AND version=$4",
                &[&key.tenant, &key.user, &key.connection, &version],
            ))
            .map_err(query)?;
        Ok(n > 0)
    }

    fn delete_user(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        let client = self.client()?;
        let n = self
            .pool
            .block_on(client.execute(
                "DELETE FROM vault_credentials WHERE tenant=$1 AND user_id=$2",
                &[&tenant, &user],
            ))
            .map_err(query)?;
        usize::try_from(n).map_err(|_| VaultError::Storage("row count overflow".into()))
    }

    fn list(&self) -> Result<Vec<SealedRecord>, VaultError> {
        let client = self.client()?;
        let rows = self
            .pool
            .block_on(client.query(&format!("SELECT {COLUMNS} FROM vault_credentials"), &[]))
            .map_err(query)?;
        rows.iter().map(row).collect()
    }

    fn refresh_lease(&self, key: &CredentialKey) -> LeaseFuture {
        let pool = self.pool.clone();
        let name = lease_name(key);
        Box::pin(async move {
            // Taken on the pool's runtime: a caller that stops waiting cannot
            // leave a lock behind on a pooled connection.
            let task_pool = pool.clone();
            let lease = pool
                .run(async move {
                    let client = task_pool.client().await?;
                    client
                        .execute("SELECT pg_advisory_lock(hashtextextended($1, 1))", &[&name])
                        .await?;
                    Ok::<_, PgError>(Lease {
                        pool: task_pool,
                        client: Some(client),
                        name,
                    })
                })
                .await
                .map_err(storage)?
                .map_err(storage)?;
            Ok(Some(Box::new(lease) as RefreshLease))
        })
    }
}

/// A held refresh lock; unlocks on drop.
struct Lease {
    pool: PgPool,
    client: Option<PgClient>,
    name: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let name = std::mem::take(&mut self.name);
        self.pool.spawn(async move {
            let unlocked = client
                .query_one(
                    "SELECT pg_advisory_unlock(hashtextextended($1, 1))",
                    &[&name],
                )
                .await
                .ok()
                .and_then(|r| r.try_get::<_, bool>(0).ok());
            if unlocked != Some(true) {
                // Close the session rather than return a locked connection.
                drop(PgClient::take(client));
            }
        });
    }
}
