//! The FGA filter of a rig vector-store index: post-filtering refills the
//! top-k from larger pages, pre-filtering searches only among the objects
//! ListObjects returns, and an FGA failure returns nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use agent_auth_rig::{FgaIndex, Strategy};
use fga_core::{EmbeddedBackend, Engine, FgaBackend, TupleKey};
use rig_core::vector_store::request::Filter;
use rig_core::vector_store::{
    VectorSearchIdResult, VectorSearchRequest, VectorSearchResult, VectorStoreError,
    VectorStoreIndex,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// An index over documents `doc-0` .. `doc-19`, ranked in that order, that
/// honours the request's page size and rig's canonical filter, and records
/// each page size it was asked for.
#[derive(Clone, Default)]
struct RankedIndex {
    pages: Arc<Mutex<Vec<u64>>>,
}

impl RankedIndex {
    fn hits(&self, request: &VectorSearchRequest<Filter<Value>>) -> Vec<(String, Value)> {
        self.pages.lock().unwrap().push(request.samples());
        (0..20)
            .map(|i| {
                let id = format!("doc-{i}");
                let doc = json!({"id": id, "text": format!("document {i}")});
                (id, doc)
            })
            .filter(|(_, doc)| request.filter().is_none_or(|f| f.satisfies(doc)))
            .take(usize::try_from(request.samples()).unwrap())
            .collect()
    }
}

impl VectorStoreIndex for RankedIndex {
    type Filter = Filter<Value>;

    async fn top_n<T: DeserializeOwned + Send>(
        &self,
        request: VectorSearchRequest<Self::Filter>,
    ) -> Result<Vec<VectorSearchResult<T>>, VectorStoreError> {
        let mut results = Vec::new();
        for (rank, (id, doc)) in self.hits(&request).into_iter().enumerate() {
            results.push(VectorSearchResult {
                score: 1.0 - rank as f64 / 100.0,
                id,
                document: serde_json::from_value(doc)?,
            });
        }
        Ok(results)
    }

    async fn top_n_ids(
        &self,
        request: VectorSearchRequest<Self::Filter>,
    ) -> Result<Vec<VectorSearchIdResult>, VectorStoreError> {
        Ok(self
            .hits(&request)
            .into_iter()
            .map(|(id, _)| VectorSearchIdResult { score: 1.0, id })
            .collect())
    }
}

/// Sarah reads every fifth document: 4, 9, 14, 19.
async fn fga() -> Arc<dyn FgaBackend> {
    let engine = Engine::from_dsl(
        "model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define reader: [user]\n",
    )
    .unwrap();
    let backend = EmbeddedBackend::new(engine);
    let tuples = [4, 9, 14, 19]
        .iter()
        .map(|i| TupleKey::new(format!("doc:doc-{i}"), "reader", "user:sarah"))
        .collect();
    backend.write(tuples, vec![]).await.unwrap();
    Arc::new(backend)
}

fn request(k: u64) -> VectorSearchRequest<Filter<Value>> {
    VectorSearchRequest::builder()
        .query("pricing")
        .samples(k)
        .build()
}

fn ids(hits: &[VectorSearchResult<Value>]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

#[tokio::test]
async fn post_filtering_refills_the_top_k_from_larger_pages() {
    let index = RankedIndex::default();
    let filtered = FgaIndex::new(index.clone(), fga().await, "user:sarah", "reader", "doc");
    let hits: Vec<VectorSearchResult<Value>> = filtered.top_n(request(3)).await.unwrap();
    assert_eq!(ids(&hits), ["doc-4", "doc-9", "doc-14"]);
    // 6 hits hold one readable document, 12 hold two, 24 (all 20) three.
    assert_eq!(*index.pages.lock().unwrap(), [6, 12, 24]);
}

#[tokio::test]
async fn post_filtering_stops_at_max_rounds_with_what_it_found() {
    let index = RankedIndex::default();
    let filtered = FgaIndex::new(index.clone(), fga().await, "user:sarah", "reader", "doc")
        .strategy(Strategy::PostFilter { max_rounds: 1 });
    let hits: Vec<VectorSearchResult<Value>> = filtered.top_n(request(3)).await.unwrap();
    assert_eq!(ids(&hits), ["doc-4"]);
    assert_eq!(*index.pages.lock().unwrap(), [6]);
}

#[tokio::test]
async fn pre_filtering_searches_only_among_readable_objects() {
    let index = RankedIndex::default();
    let filtered = FgaIndex::new(index.clone(), fga().await, "user:sarah", "reader", "doc")
        .strategy(Strategy::PreFilter { field: "id".into() });
    let hits: Vec<VectorSearchResult<Value>> = filtered.top_n(request(2)).await.unwrap();
    assert_eq!(ids(&hits), ["doc-4", "doc-9"]);
    assert_eq!(*index.pages.lock().unwrap(), [2], "one search, no refill");
    let ids_only = filtered.top_n_ids(request(10)).await.unwrap();
    assert_eq!(ids_only.len(), 4);
}

#[tokio::test]
async fn a_user_who_reads_nothing_gets_nothing_and_the_index_is_not_asked() {
    let index = RankedIndex::default();
    let filtered = FgaIndex::new(index.clone(), fga().await, "user:mallory", "reader", "doc")
        .strategy(Strategy::PreFilter { field: "id".into() });
    let hits: Vec<VectorSearchResult<Value>> = filtered.top_n(request(3)).await.unwrap();
    assert!(hits.is_empty());
    assert!(index.pages.lock().unwrap().is_empty());
    let post = FgaIndex::new(index.clone(), fga().await, "user:mallory", "reader", "doc");
    let hits: Vec<VectorSearchResult<Value>> = post.top_n(request(3)).await.unwrap();
    assert!(hits.is_empty());
}

#[tokio::test]
async fn an_fga_failure_fails_the_search_closed() {
    let index = RankedIndex::default();
    // `folder` is not a type of the model: every check errs.
    let filtered = FgaIndex::new(index, fga().await, "user:sarah", "reader", "folder");
    let result: Result<Vec<VectorSearchResult<Value>>, _> = filtered.top_n(request(3)).await;
    assert!(result.is_err());
}
