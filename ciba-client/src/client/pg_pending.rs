//! Pending requests in PostgreSQL (feature `postgres`): an agent restarted on
//! another host, or another replica of the agent, resumes them.

use super::store::{PendingRecord, PendingStore};
use pg_store::{Migration, PgClient, PgPool};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "pending requests",
    sql: "CREATE TABLE ciba_pending (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
}];

/// Pending CIBA requests in a PostgreSQL database.
///
/// ```no_run
/// use ciba_client::client::PgPendingStore;
/// let pool = pg_store::PgPool::connect(pg_store::PgConfig::parse("host=/run/postgresql dbname=agent").unwrap()).unwrap();
/// let store = PgPendingStore::open(pool)?;
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone)]
pub struct PgPendingStore {
    pool: PgPool,
}

impl PgPendingStore {
    /// Opens the store on `pool`, applying the schema steps the database lacks.
    pub fn open(pool: PgPool) -> Result<Self, String> {
        let mut client = pool.client_blocking().map_err(|e| e.to_string())?;
        pool.block_on(pg_store::migrate(&mut client, "ciba_client", MIGRATIONS))
            .map_err(|e| e.to_string())?;
        Ok(Self { pool })
    }

    fn client(&self) -> Result<PgClient, String> {
        self.pool.client_blocking().map_err(|e| e.to_string())
    }
}

fn query(e: pg_store::tokio_postgres::Error) -> String {
    pg_store::PgError::from(e).to_string()
}

impl PendingStore for PgPendingStore {
    fn save(&self, record: &PendingRecord) -> Result<(), String> {
        let client = self.client()?;
        self.pool
            .block_on(client.execute(
                "INSERT INTO ciba_pending (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&record.key(), &record.to_json()],
            ))
            .map(drop)
            .map_err(query)
    }

    fn remove(&self, key: &str) -> Result<(), String> {
        let client = self.client()?;
        self.pool
            .block_on(client.execute("DELETE FROM ciba_pending WHERE key = $1", &[&key]))
            .map(drop)
            .map_err(query)
    }

    fn list(&self) -> Result<Vec<PendingRecord>, String> {
        let client = self.client()?;
        let rows = self
            .pool
            .block_on(client.query("SELECT value FROM ciba_pending ORDER BY key", &[]))
            .map_err(query)?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get(0).map_err(query)?;
                PendingRecord::from_json(&text).ok_or_else(|| "corrupt pending record".to_owned())
            })
            .collect()
    }
}
