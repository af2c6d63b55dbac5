//! The durable tuple store: a changes feed in change id order behind continuation tokens,
//! atomic rejected requests, and replicas over one SQLite file converging.

#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/durable_scenarios.rs"]
mod scenarios;

use fga_core::durable::{ContinuationToken, SqliteTupleStore, StoreError};

#[test]
fn durable_store_two_handles_on_one_file_converge() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fga.sqlite");
    scenarios::two_handles_converge(|| SqliteTupleStore::open(&path).unwrap());
}

#[test]
fn durable_store_rejected_request_changes_nothing() {
    scenarios::rejected_request_changes_nothing(&SqliteTupleStore::open_in_memory().unwrap());
}

#[test]
fn durable_store_tuple_outside_the_model_never_reaches_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fga.sqlite");
    scenarios::tuple_outside_the_model_never_reaches_the_store(|| {
        SqliteTupleStore::open(&path).unwrap()
    });
}

#[test]
fn durable_store_changes_feed_pages_in_change_id_order() {
    scenarios::changes_feed_pages_in_change_id_order(&SqliteTupleStore::open_in_memory().unwrap());
}

#[test]
fn durable_store_malformed_continuation_tokens_are_rejected() {
    for bad in ["", "-1", "1a", "99999999999999999999999", " 1", "0x10"] {
        assert_eq!(
            bad.parse::<ContinuationToken>(),
            Err(StoreError::InvalidContinuationToken),
            "{bad:?}"
        );
    }
}
