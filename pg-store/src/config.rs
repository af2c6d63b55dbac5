//! Connection settings.

use crate::PgError;
use std::str::FromStr;
use std::time::Duration;

/// Where the database is and how many connections to keep.
///
/// The connection string is a libpq URL or key/value string
/// (`postgres://app@db.internal:5432/authority`, `host=/run/postgresql dbname=authority`).
/// Its `Debug` never shows the password.
///
/// ```
/// let config = pg_store::PgConfig::parse("postgres://app:pw@127.0.0.1:5432/authority")?
///     .pool_size(8);
/// assert!(!format!("{config:?}").contains("pw"));
/// # Ok::<(), pg_store::PgError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PgConfig {
    pub(crate) pg: tokio_postgres::Config,
    pub(crate) pool_size: usize,
    pub(crate) wait_timeout: Duration,
    pub(crate) worker_threads: usize,
}

impl PgConfig {
    /// Reads a libpq connection string (URL or key/value form).
    pub fn parse(connection: &str) -> Result<Self, PgError> {
        let pg = tokio_postgres::Config::from_str(connection)
            // The parser's message may quote the string: keep only a fixed text.
            .map_err(|_| PgError::Config("unreadable connection string".into()))?;
        Ok(Self {
            pg,
            pool_size: 8,
            wait_timeout: Duration::from_secs(30),
            worker_threads: 1,
        })
    }

    /// The most connections the pool opens (default 8).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long a caller waits for a free connection before an error (default 30 s).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// Threads of the pool's own runtime, which drives the sockets (default 1).
    pub fn worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = threads.max(1);
        self
    }

    /// The database name, if the string named one.
    pub fn dbname(&self) -> Option<&str> {
        self.pg.get_dbname()
    }
}
