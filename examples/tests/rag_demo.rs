//! The RAG example: the same question gives Alice and Bob different sources, each only
//! from what the model lets them view, and both filters agree.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code, unreachable_pub)]
#[path = "../src/bin/rag_demo.rs"]
mod rag_demo;

use rag_demo::{QUESTION, answer_sources, setup};

#[tokio::test]
async fn sources_differ_by_permission() {
    let (backend, index) = setup().await.unwrap();
    let alice = answer_sources(&backend, &index, "user:alice", QUESTION, 3)
        .await
        .unwrap();
    let bob = answer_sources(&backend, &index, "user:bob", QUESTION, 3)
        .await
        .unwrap();
    // Alice: her division's Q3 report, without the section redacted for her, then the
    // handbook everyone may read.
    assert_eq!(
        alice.post_filtered,
        [
            "section:handbook/1",
            "section:q3-finance/1",
            "section:q3-finance/2"
        ]
    );
    // Bob: the sales report instead; no finance section reaches his answer.
    assert_eq!(
        bob.post_filtered,
        [
            "section:q3-sales/2",
            "section:q3-sales/1",
            "section:handbook/1"
        ]
    );
    assert_eq!(alice.pre_filtered, alice.post_filtered);
    assert_eq!(bob.pre_filtered, bob.post_filtered);
}

#[tokio::test]
async fn unfiltered_ranking_mixes_divisions() {
    let (_, index) = setup().await.unwrap();
    let top: Vec<String> = index.rank(QUESTION).into_iter().take(5).collect();
    // The best match is the payroll section, which is redacted for Alice.
    assert_eq!(top[0], "section:q3-finance/3");
    assert!(top.iter().any(|s| s.starts_with("section:q3-finance/")));
    assert!(top.iter().any(|s| s.starts_with("section:q3-sales/")));
}

#[tokio::test]
async fn an_outsider_sees_only_the_handbook() {
    let (backend, index) = setup().await.unwrap();
    let carol = answer_sources(&backend, &index, "user:carol", QUESTION, 3)
        .await
        .unwrap();
    assert_eq!(
        carol.post_filtered,
        ["section:handbook/1", "section:handbook/2"]
    );
    assert_eq!(carol.pre_filtered, carol.post_filtered);
}
