//! A connection pool that owns its own small runtime.
//!
//! The sockets of the pool's connections are driven by the pool's runtime, on its
//! own threads. A client taken from the pool only exchanges messages with its socket
//! task, so its queries can be awaited on any executor: in an async caller as usual,
//! or, for the synchronous store traits, on the calling thread with
//! [`PgPool::block_on`]. A synchronous call then blocks the calling thread for
//! the round trip, as a SQLite store blocks it for the disk, and never needs the
//! caller's runtime to make progress, so it cannot deadlock it.

use crate::{PgConfig, PgError};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::future::Future;
use std::sync::Arc;
use tokio::runtime::{Handle, Runtime};

/// A pooled connection.
pub type PgClient = Object;

/// A shared pool of connections to one database. Clones share the pool.
///
/// ```no_run
/// let pool = pg_store::PgPool::connect(pg_store::PgConfig::parse("host=/run/postgresql dbname=app")?)?;
/// let client = pool.client_blocking()?;
/// let row = pool.block_on(client.query_one("SELECT 1::INT4", &[]))?;
/// assert_eq!(row.get::<_, i32>(0), 1);
/// # Ok::<(), pg_store::PgError>(())
/// ```
#[derive(Clone)]
pub struct PgPool {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The connection settings (for connections of their own, such as a listener's).
    pub(crate) config: tokio_postgres::Config,
    pool: Pool,
    pub(crate) handle: Handle,
    runtime: Option<Runtime>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A runtime may not be dropped from async code: let its threads wind down
        // on their own.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.inner.pool.status();
        f.debug_struct("PgPool")
            .field("max_size", &status.max_size)
            .field("size", &status.size)
            .field("available", &status.available)
            .finish_non_exhaustive()
    }
}

impl PgPool {
    /// Starts the pool's runtime and opens one connection to check the settings.
    ///
    /// Plain TCP or a unix socket, without TLS: meant for a database on the same
    /// host or a private network link; see `docs/deployment.md`.
    pub fn connect(config: PgConfig) -> Result<Self, PgError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads)
            .thread_name("pg-store")
            .enable_all()
            .build()
            .map_err(|e| PgError::Pool(format!("runtime: {e}")))?;
        let pg = config.pg.clone();
        let manager = Manager::from_config(
            config.pg,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(config.wait_timeout))
            .create_timeout(Some(config.wait_timeout))
            .build()
            .map_err(|e| PgError::Pool(e.to_string()))?;
        let pool = Self {
            inner: Arc::new(Inner {
                config: pg,
                pool,
                handle: runtime.handle().clone(),
                runtime: Some(runtime),
            }),
        };
        drop(pool.client_blocking()?);
        Ok(pool)
    }

    /// A connection, for async callers.
    pub async fn client(&self) -> Result<PgClient, PgError> {
        let pool = self.inner.pool.clone();
        self.inner
            .handle
            .spawn(async move { pool.get().await })
            .await
            .map_err(|_| PgError::RuntimeGone)?
            .map_err(|e| PgError::Pool(pool_error(&e)))
    }

    /// A connection, waiting on the calling thread (synchronous store traits).
    ///
    /// The pool is asked from the calling thread, in the context of the pool's
    /// runtime (its timers, and the socket task of a new connection, live there),
    /// without a task handed to the runtime and back: an idle connection costs
    /// no thread switch.
    pub fn client_blocking(&self) -> Result<PgClient, PgError> {
        let _context = self.inner.handle.enter();
        self.block_on(self.inner.pool.get())
            .map_err(|e| PgError::Pool(pool_error(&e)))
    }

    /// Runs `future` (queries of a pooled client) to completion on the calling thread.
    ///
    /// Never call it from a thread of the pool's own runtime; the stores only call
    /// it from their callers' threads.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    /// Starts `future` on the pool's runtime without waiting for it: for work
    /// started where nothing can wait, such as releasing a lock in a `Drop`.
    pub fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.inner.handle.spawn(future));
    }

    /// Runs `future` on the pool's runtime and awaits its output. The future runs
    /// to its end even when the caller stops waiting, so a step such as taking a
    /// lock is never cut in the middle (its output is then dropped).
    pub async fn run<T, F>(&self, future: F) -> Result<T, PgError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        self.inner
            .handle
            .spawn(future)
            .await
            .map_err(|_| PgError::RuntimeGone)
    }
}

/// The pool's error without the server's connection details.
fn pool_error(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(b) => PgError::query(b).to_string(),
        other => other.to_string(),
    }
}
