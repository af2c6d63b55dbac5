//! BatchCheck and ListObjects in the `fga` group: a batch of 10,000 checks of one user
//! against 10,000 single Checks, and ListObjects of the user's 10,000 documents among
//! 1,000,000 tuples against checking every document of the store one by one.

use fga_core::{BatchCheckItem, CheckRequest, Engine, ListObjectsRequest};

use crate::measure::{compare, fail, keep, lcg, median_duration};

/// The absolute figures of the two comparisons.
#[derive(Debug, Clone, Copy)]
pub struct Lists {
    /// One BatchCheck of 10,000 items, in milliseconds.
    pub batch_ms: f64,
    /// One ListObjects, in milliseconds.
    pub list_ms: f64,
    /// Documents the user sees.
    pub seen: usize,
}

fn check(engine: &Engine, request: &CheckRequest) -> bool {
    engine.check(request).unwrap_or_else(|e| fail(&e))
}

/// Runs both comparisons for `user` over an engine whose documents are
/// `document:0..documents`, of which `document:0..in_tree` sit in folders.
pub fn run(engine: &Engine, user: &str, in_tree: usize, documents: usize) -> Lists {
    // BatchCheck of 10,000 ranked candidates against 10,000 single Checks.
    let mut rng = lcg(11);
    let items: Vec<BatchCheckItem> = (0..10_000)
        .map(|i| BatchCheckItem {
            correlation_id: i.to_string(),
            request: CheckRequest::new(format!("document:{}", rng(in_tree)), "viewer", user),
        })
        .collect();
    let batch = engine.batch_check(&items);
    let allowed = batch.iter().filter(|r| r.result == Ok(true)).count();
    for (item, result) in items.iter().zip(&batch) {
        if engine.check(&item.request) != result.result {
            fail(&format!("batch check differs on {}", item.request.object));
        }
    }
    println!("  fga: batch of 10000 candidates, {allowed} allowed");
    let batch_cmp = compare(
        "fga.batch_check_10k.vs_10k_checks",
        || keep(engine.batch_check(&items)),
        || {
            for item in &items {
                keep(engine.check(&item.request));
            }
        },
    );

    // ListObjects for a user who sees one division's documents, against checking every
    // document of the store.
    let request = ListObjectsRequest {
        object_type: "document".into(),
        relation: "viewer".into(),
        user: user.into(),
        ..ListObjectsRequest::default()
    };
    let seen = engine
        .list_objects(&request)
        .unwrap_or_else(|e| fail(&e))
        .objects
        .len();
    let list_time = median_duration(5, || keep(engine.list_objects(&request)));
    let candidates: Vec<CheckRequest> = (0..documents)
        .map(|d| CheckRequest::new(format!("document:{d}"), "viewer", user))
        .collect();
    let by_checks = candidates.iter().filter(|r| check(engine, r)).count();
    if by_checks != seen {
        fail(&format!(
            "list objects found {seen} documents, checks found {by_checks}"
        ));
    }
    println!(
        "  fga: list of {seen} documents against checks of {} candidates",
        candidates.len()
    );
    compare(
        "fga.list_objects_10k.vs_checks_per_candidate",
        || keep(engine.list_objects(&request)),
        || {
            for r in &candidates {
                keep(check(engine, r));
            }
        },
    );
    Lists {
        batch_ms: batch_cmp.ours_ns / 1_000_000.0,
        list_ms: list_time.as_secs_f64() * 1000.0,
        seen,
    }
}
