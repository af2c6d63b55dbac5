//! Retrieval filtering: only what the user may see reaches the model.
//!
//! - [`post_filter`]: ranked candidates from a vector store are checked in batches
//!   (BatchCheck); when filtering leaves fewer than `top_k`, more candidates are fetched.
//! - [`pre_filter`]: the complete set of authorized ids (ListObjects), for vector stores
//!   that accept an id filter.
//!
//! Candidates are object ids such as `document:q3-report` or, for section-level
//! permissions, `section:q3-report/2` with a `parent` relation to its document in the model.

use std::collections::BTreeSet;

use async_trait::async_trait;

use crate::Error;
use crate::backend::FgaBackend;
use crate::engine::{BatchCheckItem, CheckRequest, ListObjectsRequest};
use crate::tuple::{Context, TupleKey};

/// Where ranked candidates come from, page by page.
#[async_trait]
pub trait CandidateSource: Send {
    /// Up to `limit` candidates (object ids, best first) starting at rank `offset`;
    /// fewer than `limit` means the source is exhausted.
    async fn fetch(&mut self, offset: usize, limit: usize) -> Result<Vec<String>, Error>;
}

/// A ranked list already in memory is a source.
#[async_trait]
impl CandidateSource for Vec<String> {
    async fn fetch(&mut self, offset: usize, limit: usize) -> Result<Vec<String>, Error> {
        Ok(self.iter().skip(offset).take(limit).cloned().collect())
    }
}

/// Who asks, for which relation.
#[derive(Debug, Clone, Default)]
pub struct FilterRequest {
    /// The user, e.g. `user:alice`.
    pub user: String,
    /// The relation that grants access, e.g. `viewer`.
    pub relation: String,
    /// Tuples that hold for this request only.
    pub contextual_tuples: Vec<TupleKey>,
    /// Condition parameters.
    pub context: Option<Context>,
}

/// The outcome of a post-filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFilterResult {
    /// The authorized candidates, in rank order, at most `top_k`.
    pub allowed: Vec<String>,
    /// How many candidates were checked.
    pub examined: usize,
    /// Whether the source ran out before `top_k` were found.
    pub exhausted: bool,
}

/// Keeps the authorized candidates in rank order, fetching pages of `page_size` (at least
/// `top_k`) until `top_k` are found, the source is exhausted, or `max_candidates` have
/// been examined. Any check error fails the call: nothing unverified is returned.
pub async fn post_filter<S: CandidateSource + ?Sized>(
    backend: &dyn FgaBackend,
    request: &FilterRequest,
    source: &mut S,
    top_k: usize,
    max_candidates: usize,
) -> Result<PostFilterResult, Error> {
    let mut result = PostFilterResult::default();
    let page_size = top_k.max(1).saturating_mul(2);
    while result.allowed.len() < top_k {
        if result.examined >= max_candidates {
            return Ok(result);
        }
        let want = page_size.min(max_candidates - result.examined);
        let page = source.fetch(result.examined, want).await?;
        let got = page.len();
        let items: Vec<BatchCheckItem> = page
            .iter()
            .enumerate()
            .map(|(i, object)| BatchCheckItem {
                correlation_id: i.to_string(),
                request: CheckRequest {
                    object: object.clone(),
                    relation: request.relation.clone(),
                    user: request.user.clone(),
                    contextual_tuples: request.contextual_tuples.clone(),
                    context: request.context.clone(),
                },
            })
            .collect();
        let results = backend.batch_check(items).await?;
        let mut allowed = vec![false; got];
        for r in results {
            let index: usize = r
                .correlation_id
                .parse()
                .map_err(|_| Error::Backend("unknown correlation id in batch check".into()))?;
            if let Some(slot) = allowed.get_mut(index) {
                *slot = r.result?;
            }
        }
        for (object, ok) in page.into_iter().zip(allowed) {
            if ok && result.allowed.len() < top_k {
                result.allowed.push(object);
            }
        }
        result.examined += got;
        if got < want {
            result.exhausted = result.allowed.len() < top_k;
            return Ok(result);
        }
    }
    Ok(result)
}

/// The complete set of objects of `object_type` the user may see (ListObjects, no limit).
pub async fn pre_filter(
    backend: &dyn FgaBackend,
    request: &FilterRequest,
    object_type: &str,
) -> Result<BTreeSet<String>, Error> {
    let response = backend
        .list_objects(ListObjectsRequest {
            object_type: object_type.to_owned(),
            relation: request.relation.clone(),
            user: request.user.clone(),
            contextual_tuples: request.contextual_tuples.clone(),
            context: request.context.clone(),
            limit: None,
        })
        .await?;
    if response.truncated {
        return Err(Error::Backend("list objects was truncated".into()));
    }
    Ok(response.objects.into_iter().collect())
}
