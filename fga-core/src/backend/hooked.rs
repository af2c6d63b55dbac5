//! An opt-in decision hook on any backend: every Check (single or batched)
//! and ListObjects decision is handed to a [`DecisionHook`] with the
//! authorization model id it was made under, for an audit trail.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use super::FgaBackend;
use crate::Error;
use crate::engine::{
    BatchCheckItem, BatchCheckResult, CheckRequest, ListObjectsRequest, ListObjectsResponse,
    ListUsersRequest,
};
use crate::model::AuthorizationModel;
use crate::store::ReadFilter;
use crate::tuple::TupleKey;

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecisionOutcome {
    /// Check: the relationship holds.
    Allowed,
    /// Check: it does not.
    Denied,
    /// ListObjects: this many objects were returned.
    Listed(usize),
    /// The backend failed.
    Failed,
}

/// One decision, as a hook sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Decision<'a> {
    /// `"check"` or `"list_objects"`.
    pub call: &'static str,
    /// The authorization model id (empty if the backend could not say).
    pub model_id: &'a str,
    /// The object (`type:id`) of a Check, the object type of a ListObjects.
    pub object: &'a str,
    /// The relation.
    pub relation: &'a str,
    /// The user.
    pub user: &'a str,
    /// The outcome.
    pub outcome: DecisionOutcome,
}

/// Receives every decision of a [`Hooked`] backend. Must not block.
pub trait DecisionHook: Send + Sync + std::fmt::Debug {
    /// One decision was made.
    fn decided(&self, decision: &Decision<'_>);
}

/// A backend whose decisions go to a hook.
///
/// ```
/// use fga_core::{CheckRequest, EmbeddedBackend, Engine, FgaBackend, TupleKey};
/// use fga_core::backend::{Decision, DecisionHook, DecisionOutcome, Hooked};
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Debug, Default)]
/// struct Seen(Mutex<Vec<(String, DecisionOutcome)>>);
/// impl DecisionHook for Seen {
///     fn decided(&self, d: &Decision<'_>) {
///         self.0.lock().unwrap().push((d.object.to_owned(), d.outcome));
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut engine = Engine::from_dsl("model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define reader: [user]\n").unwrap();
/// engine.write(&[TupleKey::new("doc:1", "reader", "user:sarah")], &[]).unwrap();
/// let seen = Arc::new(Seen::default());
/// let backend = Hooked::new(EmbeddedBackend::new(engine), seen.clone());
/// assert!(backend.check(CheckRequest::new("doc:1", "reader", "user:sarah")).await.unwrap());
/// assert_eq!(seen.0.lock().unwrap()[0], ("doc:1".to_owned(), DecisionOutcome::Allowed));
/// # }
/// ```
#[derive(Debug)]
pub struct Hooked<B> {
    inner: B,
    hook: Arc<dyn DecisionHook>,
    model_id: RwLock<Option<String>>,
}

impl<B: FgaBackend> Hooked<B> {
    /// Hands every decision of `inner` to `hook`.
    pub fn new(inner: B, hook: Arc<dyn DecisionHook>) -> Self {
        Self {
            inner,
            hook,
            model_id: RwLock::new(None),
        }
    }

    /// The model id, read from the backend once and kept until a model is written.
    async fn model_id(&self) -> String {
        if let Some(id) = self.model_id.read().ok().and_then(|g| g.clone()) {
            return id;
        }
        let id = self
            .inner
            .read_model()
            .await
            .map(|m| m.id)
            .unwrap_or_default();
        if let Ok(mut slot) = self.model_id.write() {
            *slot = Some(id.clone());
        }
        id
    }

    fn check_outcome(result: &Result<bool, Error>) -> DecisionOutcome {
        match result {
            Ok(true) => DecisionOutcome::Allowed,
            Ok(false) => DecisionOutcome::Denied,
            Err(_) => DecisionOutcome::Failed,
        }
    }
}

#[async_trait]
impl<B: FgaBackend> FgaBackend for Hooked<B> {
    async fn check(&self, request: CheckRequest) -> Result<bool, Error> {
        let result = self.inner.check(request.clone()).await;
        let model_id = self.model_id().await;
        self.hook.decided(&Decision {
            call: "check",
            model_id: &model_id,
            object: &request.object,
            relation: &request.relation,
            user: &request.user,
            outcome: Self::check_outcome(&result),
        });
        result
    }

    async fn batch_check(
        &self,
        items: Vec<BatchCheckItem>,
    ) -> Result<Vec<BatchCheckResult>, Error> {
        let requests: Vec<CheckRequest> = items.iter().map(|i| i.request.clone()).collect();
        let results = self.inner.batch_check(items).await?;
        let model_id = self.model_id().await;
        for (request, result) in requests.iter().zip(&results) {
            self.hook.decided(&Decision {
                call: "check",
                model_id: &model_id,
                object: &request.object,
                relation: &request.relation,
                user: &request.user,
                outcome: Self::check_outcome(&result.result),
            });
        }
        Ok(results)
    }

    async fn list_objects(
        &self,
        request: ListObjectsRequest,
    ) -> Result<ListObjectsResponse, Error> {
        let result = self.inner.list_objects(request.clone()).await;
        let model_id = self.model_id().await;
        self.hook.decided(&Decision {
            call: "list_objects",
            model_id: &model_id,
            object: &request.object_type,
            relation: &request.relation,
            user: &request.user,
            outcome: match &result {
                Ok(r) => DecisionOutcome::Listed(r.objects.len()),
                Err(_) => DecisionOutcome::Failed,
            },
        });
        result
    }

    async fn list_users(&self, request: ListUsersRequest) -> Result<Vec<String>, Error> {
        self.inner.list_users(request).await
    }

    async fn read(&self, filter: ReadFilter) -> Result<Vec<TupleKey>, Error> {
        self.inner.read(filter).await
    }

    async fn write(&self, writes: Vec<TupleKey>, deletes: Vec<TupleKey>) -> Result<(), Error> {
        self.inner.write(writes, deletes).await
    }

    async fn write_model(&self, model: AuthorizationModel) -> Result<String, Error> {
        let id = self.inner.write_model(model).await?;
        if let Ok(mut slot) = self.model_id.write() {
            *slot = Some(id.clone());
        }
        Ok(id)
    }

    async fn read_model(&self) -> Result<AuthorizationModel, Error> {
        self.inner.read_model().await
    }
}
