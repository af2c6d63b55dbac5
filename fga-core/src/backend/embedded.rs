//! [`FgaBackend`] over the in-process [`Engine`].

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::FgaBackend;
use crate::Error;
use crate::engine::{
    BatchCheckItem, BatchCheckResult, CheckRequest, Engine, ListObjectsRequest,
    ListObjectsResponse, ListUsersRequest,
};
use crate::model::AuthorizationModel;
use crate::store::ReadFilter;
use crate::tuple::TupleKey;

/// The embedded engine as a backend. Calls are CPU-bound and short; they run inline.
#[derive(Debug)]
pub struct EmbeddedBackend {
    engine: RwLock<Engine>,
    model_counter: AtomicU64,
}

fn poisoned() -> Error {
    Error::Backend("engine lock poisoned".into())
}

impl EmbeddedBackend {
    /// A backend over an engine.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine: RwLock::new(engine),
            model_counter: AtomicU64::new(1),
        }
    }

    /// Runs a closure with read access to the engine.
    pub fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> Result<T, Error> {
        let engine = self.engine.read().map_err(|_| poisoned())?;
        Ok(f(&engine))
    }

    fn model_id(&self, n: u64) -> String {
        format!("{n:026}")
    }
}

#[async_trait]
impl FgaBackend for EmbeddedBackend {
    // The decision span lives at the backend, the API consumers call; the
    // engine's own Check stays free of per-call tracing (its benchmark
    // measures tens of nanoseconds).
    #[tracing::instrument(
        name = "fga.check",
        level = "debug",
        skip_all,
        fields(object = %request.object, relation = %request.relation, user = %request.user),
        ret,
        err
    )]
    async fn check(&self, request: CheckRequest) -> Result<bool, Error> {
        self.with_engine(|e| e.check(&request))?
    }

    async fn batch_check(
        &self,
        items: Vec<BatchCheckItem>,
    ) -> Result<Vec<BatchCheckResult>, Error> {
        self.with_engine(|e| e.batch_check(&items))
    }

    async fn list_objects(
        &self,
        request: ListObjectsRequest,
    ) -> Result<ListObjectsResponse, Error> {
        self.with_engine(|e| e.list_objects(&request))?
    }

    async fn list_users(&self, request: ListUsersRequest) -> Result<Vec<String>, Error> {
        self.with_engine(|e| e.list_users(&request))?
    }

    async fn read(&self, filter: ReadFilter) -> Result<Vec<TupleKey>, Error> {
        self.with_engine(|e| e.read(&filter))
    }

    async fn write(&self, writes: Vec<TupleKey>, deletes: Vec<TupleKey>) -> Result<(), Error> {
        let mut engine = self.engine.write().map_err(|_| poisoned())?;
        engine.write(&writes, &deletes)
    }

    async fn write_model(&self, model: AuthorizationModel) -> Result<String, Error> {
        let mut engine = self.engine.write().map_err(|_| poisoned())?;
        engine.set_model(model)?;
        let n = self.model_counter.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(self.model_id(n))
    }

    async fn read_model(&self) -> Result<AuthorizationModel, Error> {
        let n = self.model_counter.load(Ordering::Relaxed);
        let id = self.model_id(n);
        self.with_engine(|e| {
            let mut model = e.model().clone();
            model.id = id;
            model
        })
    }
}
