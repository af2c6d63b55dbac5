//! RAG filtering through the backend trait: post-filter with refetch, pre-filter, and
//! section-level objects resolved through the model.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::rag::{FilterRequest, post_filter, pre_filter};
use fga_core::{EmbeddedBackend, Engine, FgaBackend, TupleKey};

const MODEL: &str = "model
  schema 1.1

type user

type division
  relations
    define member: [user]

type document
  relations
    define owner_division: [division]
    define viewer: [user] or member from owner_division

type section
  relations
    define parent: [document]
    define restricted: [user]
    define viewer: viewer from parent but not restricted
";

async fn backend() -> EmbeddedBackend {
    let backend = EmbeddedBackend::new(Engine::from_dsl(MODEL).unwrap());
    let mut tuples = vec![
        TupleKey::new("division:finance", "member", "user:alice"),
        TupleKey::new("division:sales", "member", "user:bob"),
    ];
    // Ten reports; even ones belong to finance, odd ones to sales.
    for i in 0..10 {
        let division = if i % 2 == 0 { "finance" } else { "sales" };
        tuples.push(TupleKey::new(
            format!("document:r{i}"),
            "owner_division",
            format!("division:{division}"),
        ));
        for s in 0..2 {
            tuples.push(TupleKey::new(
                format!("section:r{i}/{s}"),
                "parent",
                format!("document:r{i}"),
            ));
        }
    }
    tuples.push(TupleKey::new("section:r0/1", "restricted", "user:alice"));
    backend.write(tuples, vec![]).await.unwrap();
    backend
}

fn request(user: &str) -> FilterRequest {
    FilterRequest {
        user: user.into(),
        relation: "viewer".into(),
        ..FilterRequest::default()
    }
}

#[tokio::test]
async fn post_filter_keeps_rank_order_and_fetches_more() {
    let backend = backend().await;
    let mut ranked: Vec<String> = (0..10).map(|i| format!("document:r{i}")).collect();
    let result = post_filter(&backend, &request("user:alice"), &mut ranked, 4, 100)
        .await
        .unwrap();
    assert_eq!(
        result.allowed,
        ["document:r0", "document:r2", "document:r4", "document:r6"]
    );
    // The first page of 8 held only 4 authorized candidates: exactly one page was enough.
    assert_eq!(result.examined, 8);
    assert!(!result.exhausted);

    let mut ranked: Vec<String> = (0..10).map(|i| format!("document:r{i}")).collect();
    let result = post_filter(&backend, &request("user:bob"), &mut ranked, 3, 100)
        .await
        .unwrap();
    assert_eq!(
        result.allowed,
        ["document:r1", "document:r3", "document:r5"]
    );
}

#[tokio::test]
async fn post_filter_reports_exhaustion_and_respects_the_cap() {
    let backend = backend().await;
    let mut ranked: Vec<String> = (0..10).map(|i| format!("document:r{i}")).collect();
    let result = post_filter(&backend, &request("user:alice"), &mut ranked, 8, 100)
        .await
        .unwrap();
    assert_eq!(result.allowed.len(), 5);
    assert!(result.exhausted);
    assert_eq!(result.examined, 10);

    let mut ranked: Vec<String> = (0..10).map(|i| format!("document:r{i}")).collect();
    let result = post_filter(&backend, &request("user:alice"), &mut ranked, 8, 3)
        .await
        .unwrap();
    assert_eq!(result.allowed, ["document:r0", "document:r2"]);
    assert_eq!(result.examined, 3);
}

#[tokio::test]
async fn post_filter_fails_closed_on_invalid_candidates() {
    let backend = backend().await;
    let mut ranked = vec!["document:r0".to_owned(), "not-an-object".to_owned()];
    let err = post_filter(&backend, &request("user:alice"), &mut ranked, 2, 10)
        .await
        .unwrap_err();
    assert_eq!(err.code(), 2000);
}

#[tokio::test]
async fn sections_inherit_from_their_document_with_exceptions() {
    let backend = backend().await;
    let sections = pre_filter(&backend, &request("user:alice"), "section")
        .await
        .unwrap();
    let expected: Vec<String> = (0..10)
        .step_by(2)
        .flat_map(|i| (0..2).map(move |s| format!("section:r{i}/{s}")))
        .filter(|s| s != "section:r0/1")
        .collect();
    assert_eq!(sections.into_iter().collect::<Vec<_>>(), expected);

    let mut ranked = vec![
        "section:r0/1".to_owned(),
        "section:r1/0".to_owned(),
        "section:r0/0".to_owned(),
    ];
    let result = post_filter(&backend, &request("user:alice"), &mut ranked, 3, 10)
        .await
        .unwrap();
    assert_eq!(result.allowed, ["section:r0/0"]);
}

#[tokio::test]
async fn pre_filter_is_the_complete_authorized_set() {
    let backend = backend().await;
    let docs = pre_filter(&backend, &request("user:bob"), "document")
        .await
        .unwrap();
    assert_eq!(
        docs.into_iter().collect::<Vec<_>>(),
        [
            "document:r1",
            "document:r3",
            "document:r5",
            "document:r7",
            "document:r9"
        ]
    );
}
