//! An FGA filter around a rig vector-store index: a user's search returns
//! only the documents FGA lets that user read.
//!
//! Two strategies: [`Strategy::PreFilter`] lists the objects the user may
//! read (ListObjects) and asks the index for those only, through its own
//! metadata filter; [`Strategy::PostFilter`] asks the index for more than it
//! needs, checks every hit (BatchCheck) and asks again for a larger page
//! until `top-k` readable hits are found or the index has no more
//! ("top-k refill"). Either way a document is returned only after FGA allowed
//! it; a failure of FGA fails the search (fail closed).

use fga_core::{BatchCheckItem, CheckRequest, FgaBackend, ListObjectsRequest};
use rig_core::vector_store::request::SearchFilter;
use rig_core::vector_store::{
    VectorSearchIdResult, VectorSearchRequest, VectorSearchResult, VectorStoreError,
    VectorStoreIndex,
};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::sync::Arc;

/// How the filter keeps unreadable documents out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// List the readable objects, then search among them: the index's filter
    /// must match metadata field `field` against the document id.
    PreFilter {
        /// The metadata field holding the document id.
        field: String,
    },
    /// Search, check each hit, refill: at most `max_rounds` searches, each
    /// asking for twice the previous page.
    PostFilter {
        /// The most searches one query may make.
        max_rounds: u32,
    },
}

/// Why a filtered search failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexFilterError {
    /// The FGA backend failed: nothing is returned.
    #[error("the authorization check of the search results failed: {0}")]
    Authorization(String),
}

impl From<IndexFilterError> for VectorStoreError {
    fn from(error: IndexFilterError) -> Self {
        VectorStoreError::DatastoreError(Box::new(error))
    }
}

/// A vector-store index whose results one FGA user may read.
#[derive(Clone)]
pub struct FgaIndex<I> {
    index: I,
    backend: Arc<dyn FgaBackend>,
    user: String,
    relation: String,
    object_type: String,
    strategy: Strategy,
}

impl<I> std::fmt::Debug for FgaIndex<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FgaIndex")
            .field("user", &self.user)
            .field("relation", &self.relation)
            .field("object_type", &self.object_type)
            .field("strategy", &self.strategy)
            .finish_non_exhaustive()
    }
}

impl<I> FgaIndex<I> {
    /// `index` as seen by FGA user `user` (`user:sarah`): a document with id
    /// `id` is returned when `user` has `relation` on `object_type:id`.
    /// Post-filtering, at most 4 searches, unless [`Self::strategy`] says
    /// otherwise.
    pub fn new(
        index: I,
        backend: Arc<dyn FgaBackend>,
        user: impl Into<String>,
        relation: impl Into<String>,
        object_type: impl Into<String>,
    ) -> Self {
        Self {
            index,
            backend,
            user: user.into(),
            relation: relation.into(),
            object_type: object_type.into(),
            strategy: Strategy::PostFilter { max_rounds: 4 },
        }
    }

    /// Sets the strategy.
    #[must_use]
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The ids of the documents the user may read (ListObjects).
    async fn readable(&self) -> Result<HashSet<String>, IndexFilterError> {
        let response = self
            .backend
            .list_objects(ListObjectsRequest {
                object_type: self.object_type.clone(),
                relation: self.relation.clone(),
                user: self.user.clone(),
                ..ListObjectsRequest::default()
            })
            .await
            .map_err(|e| IndexFilterError::Authorization(e.to_string()))?;
        let prefix = format!("{}:", self.object_type);
        Ok(response
            .objects
            .iter()
            .filter_map(|o| o.strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    /// Which of `ids` the user may read (one BatchCheck).
    async fn allowed(&self, ids: &[&str]) -> Result<HashSet<String>, IndexFilterError> {
        let items = ids
            .iter()
            .enumerate()
            .map(|(i, id)| BatchCheckItem {
                correlation_id: i.to_string(),
                request: CheckRequest::new(
                    format!("{}:{id}", self.object_type),
                    self.relation.clone(),
                    self.user.clone(),
                ),
            })
            .collect();
        let results = self
            .backend
            .batch_check(items)
            .await
            .map_err(|e| IndexFilterError::Authorization(e.to_string()))?;
        let mut allowed = HashSet::new();
        for result in results {
            let granted = result
                .result
                .map_err(|e| IndexFilterError::Authorization(e.to_string()))?;
            let id = result
                .correlation_id
                .parse::<usize>()
                .ok()
                .and_then(|i| ids.get(i));
            if let (true, Some(id)) = (granted, id) {
                allowed.insert((*id).to_owned());
            }
        }
        Ok(allowed)
    }
}

/// A request like `request` with another page size and filter.
fn with<F: SearchFilter>(
    request: &VectorSearchRequest<F>,
    samples: u64,
    filter: Option<F>,
) -> VectorSearchRequest<F> {
    let mut builder = VectorSearchRequest::<F>::builder()
        .query(request.query())
        .samples(samples);
    if let Some(threshold) = request.threshold() {
        builder = builder.threshold(threshold);
    }
    if let Some(filter) = filter {
        builder = builder.filter(filter);
    }
    builder.build()
}

/// The request's own filter and "`field` is one of `ids`"; `None` when no id
/// is readable (nothing to search).
fn restricted<F>(request: &VectorSearchRequest<F>, field: &str, ids: &HashSet<String>) -> Option<F>
where
    F: SearchFilter + Clone,
    F::Value: From<String>,
{
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort();
    let any = sorted
        .into_iter()
        .map(|id| F::eq(field, F::Value::from(id.clone())))
        .reduce(F::or)?;
    Some(match request.filter() {
        Some(own) => own.clone().and(any),
        None => any,
    })
}

/// Anything with a document id.
trait Hit {
    fn id(&self) -> &str;
}

impl<T> Hit for VectorSearchResult<T> {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Hit for VectorSearchIdResult {
    fn id(&self) -> &str {
        &self.id
    }
}

impl<I> FgaIndex<I>
where
    I: VectorStoreIndex,
    I::Filter: Clone,
    <I::Filter as SearchFilter>::Value: From<String>,
{
    /// Runs `search` under the strategy and keeps the readable hits, at most
    /// `samples` of them, in the index's order.
    async fn filtered<H, S, Fut>(
        &self,
        request: VectorSearchRequest<I::Filter>,
        search: S,
    ) -> Result<Vec<H>, VectorStoreError>
    where
        H: Hit,
        S: Fn(VectorSearchRequest<I::Filter>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<H>, VectorStoreError>>,
    {
        let k = request.samples();
        let limit = usize::try_from(k).unwrap_or(usize::MAX);
        match &self.strategy {
            Strategy::PreFilter { field } => {
                let readable = self.readable().await?;
                let Some(filter) = restricted(&request, field, &readable) else {
                    return Ok(Vec::new());
                };
                let hits = search(with(&request, k, Some(filter))).await?;
                // The index's filter is trusted to narrow, never to decide.
                Ok(hits
                    .into_iter()
                    .filter(|h| readable.contains(h.id()))
                    .take(limit)
                    .collect())
            }
            Strategy::PostFilter { max_rounds } => {
                let mut page = k.saturating_mul(2).max(1);
                for round in 1..=*max_rounds {
                    let hits = search(with(&request, page, request.filter().cloned())).await?;
                    let exhausted = (hits.len() as u64) < page;
                    let ids: Vec<&str> = hits.iter().map(Hit::id).collect();
                    let allowed = self.allowed(&ids).await?;
                    let kept: Vec<H> = hits
                        .into_iter()
                        .filter(|h| allowed.contains(h.id()))
                        .take(limit)
                        .collect();
                    if kept.len() >= limit || exhausted || round == *max_rounds {
                        return Ok(kept);
                    }
                    page = page.saturating_mul(2);
                }
                Ok(Vec::new())
            }
        }
    }
}

impl<I> VectorStoreIndex for FgaIndex<I>
where
    I: VectorStoreIndex,
    I::Filter: Clone,
    <I::Filter as SearchFilter>::Value: From<String>,
{
    type Filter = I::Filter;

    async fn top_n<T: DeserializeOwned + Send>(
        &self,
        request: VectorSearchRequest<Self::Filter>,
    ) -> Result<Vec<VectorSearchResult<T>>, VectorStoreError> {
        self.filtered(request, |r| self.index.top_n::<T>(r)).await
    }

    async fn top_n_ids(
        &self,
        request: VectorSearchRequest<Self::Filter>,
    ) -> Result<Vec<VectorSearchIdResult>, VectorStoreError> {
        self.filtered(request, |r| self.index.top_n_ids(r)).await
    }
}
