//! BatchCheck shares sub-results between the checks of one user; every item must still
//! get exactly what its own Check returns (values, cycles and errors alike), on random
//! tuples over a model with inheritance, usersets, a cycle, intersection and exclusion.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::{BatchCheckItem, CheckRequest, Engine, TupleKey};
use proptest::prelude::*;

const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type folder
  relations
    define parent: [folder]
    define blocked: [user, group#member]
    define editor: [user, group#member] or editor from parent
    define viewer: [user, group#member] or editor or viewer from parent
    define auditor: viewer and editor
    define reader: viewer but not blocked

type document
  relations
    define parent: [folder]
    define owner: [user]
    define viewer: [user, group#member] or owner or viewer from parent
    define reader: reader from parent or owner
    define auditor: auditor from parent
";

const N: usize = 6;

fn tuple() -> impl Strategy<Value = TupleKey> {
    let user = prop_oneof![
        (0..N).prop_map(|u| format!("user:u{u}")),
        (0..N).prop_map(|g| format!("group:g{g}#member")),
    ];
    prop_oneof![
        ((0..N), (0..N)).prop_map(|(g, u)| TupleKey::new(
            format!("group:g{g}"),
            "member",
            format!("user:u{u}")
        )),
        ((0..N), (0..N)).prop_map(|(g, h)| TupleKey::new(
            format!("group:g{g}"),
            "member",
            format!("group:g{h}#member")
        )),
        ((0..N), (0..N)).prop_map(|(f, p)| TupleKey::new(
            format!("folder:f{f}"),
            "parent",
            format!("folder:f{p}")
        )),
        (
            (0..N),
            prop_oneof![Just("blocked"), Just("editor"), Just("viewer")],
            user.clone()
        )
            .prop_map(|(f, r, u)| TupleKey::new(format!("folder:f{f}"), r, u)),
        ((0..N), (0..N)).prop_map(|(d, f)| TupleKey::new(
            format!("document:d{d}"),
            "parent",
            format!("folder:f{f}")
        )),
        ((0..N), user).prop_map(|(d, u)| TupleKey::new(format!("document:d{d}"), "viewer", u)),
        ((0..N), (0..N)).prop_map(|(d, u)| TupleKey::new(
            format!("document:d{d}"),
            "owner",
            format!("user:u{u}")
        )),
    ]
}

fn item() -> impl Strategy<Value = CheckRequest> {
    (
        prop_oneof![
            (0..N).prop_map(|d| format!("document:d{d}")),
            (0..N).prop_map(|f| format!("folder:f{f}")),
        ],
        prop_oneof![
            Just("viewer"),
            Just("reader"),
            Just("auditor"),
            Just("editor")
        ],
        prop_oneof![
            4 => (0..2usize).prop_map(|u| format!("user:u{u}")),
            1 => (0..N).prop_map(|g| format!("group:g{g}#member")),
        ],
    )
        .prop_map(|(o, r, u)| CheckRequest::new(o, r, u))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn batch_check_equals_single_checks(
        tuples in proptest::collection::vec(tuple(), 0..40),
        items in proptest::collection::vec(item(), 1..60),
    ) {
        let mut engine = Engine::from_dsl(MODEL).unwrap();
        for t in tuples {
            // Duplicates are rejected; the rest goes in.
            let _ = engine.write(&[t], &[]);
        }
        let batch: Vec<BatchCheckItem> = items
            .into_iter()
            .enumerate()
            .map(|(i, request)| BatchCheckItem { correlation_id: i.to_string(), request })
            .collect();
        let results = engine.batch_check(&batch);
        prop_assert_eq!(results.len(), batch.len());
        for (item, result) in batch.iter().zip(&results) {
            prop_assert_eq!(&result.correlation_id, &item.correlation_id);
            prop_assert_eq!(&result.result, &engine.check(&item.request), "{:?}", item.request);
        }
    }
}

#[test]
fn batch_check_shares_work_on_a_deep_tree_and_stays_exact() {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let mut tuples = vec![
        TupleKey::new("group:g0", "member", "user:u0"),
        TupleKey::new("folder:f0", "viewer", "group:g0#member"),
        // A cycle among folders.
        TupleKey::new("folder:f1", "parent", "folder:f2"),
        TupleKey::new("folder:f2", "parent", "folder:f1"),
    ];
    for f in 3..40 {
        tuples.push(TupleKey::new(
            format!("folder:f{f}"),
            "parent",
            format!("folder:f{}", f - 3),
        ));
    }
    for d in 0..200 {
        tuples.push(TupleKey::new(
            format!("document:d{d}"),
            "parent",
            format!("folder:f{}", d % 40),
        ));
    }
    engine.write(&tuples, &[]).unwrap();
    let batch: Vec<BatchCheckItem> = (0..200)
        .flat_map(|d| {
            ["viewer", "reader", "auditor"].map(|r| BatchCheckItem {
                correlation_id: format!("{d}{r}"),
                request: CheckRequest::new(format!("document:d{d}"), r, "user:u0"),
            })
        })
        .collect();
    let results = engine.batch_check(&batch);
    let mut allowed = 0;
    for (item, result) in batch.iter().zip(&results) {
        assert_eq!(result.result, engine.check(&item.request), "{item:?}");
        allowed += usize::from(result.result == Ok(true));
    }
    // Documents under f0, f3, f6, ... (every third folder of the f0 chain) are viewable
    // and readable.
    assert!(allowed > 0);
}

/// A batch large enough to be spread over threads, with repeated checks, several users
/// interleaved, contextual tuples and errors: every item still gets its own Check's answer,
/// under its own correlation id, in order.
#[test]
fn batch_check_parallel_deduplicated_batch_equals_single_checks() {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let mut tuples = vec![
        TupleKey::new("group:g0", "member", "user:u0"),
        TupleKey::new("group:g1", "member", "group:g0#member"),
        TupleKey::new("folder:f0", "viewer", "group:g1#member"),
        TupleKey::new("folder:f1", "blocked", "user:u1"),
        TupleKey::new("folder:f1", "editor", "user:u1"),
    ];
    for d in 0..50 {
        tuples.push(TupleKey::new(
            format!("document:d{d}"),
            "parent",
            format!("folder:f{}", d % 3),
        ));
    }
    engine.write(&tuples, &[]).unwrap();
    let mut batch = Vec::new();
    for i in 0..3_000usize {
        let mut request = CheckRequest::new(
            format!("document:d{}", i % 60),
            ["viewer", "reader", "auditor"][i % 3],
            format!("user:u{}", i % 3),
        );
        if i % 97 == 0 {
            request.relation = "no_such_relation".into();
        }
        if i % 101 == 0 {
            request.contextual_tuples = vec![TupleKey::new(
                format!("document:d{}", i % 60),
                "owner",
                format!("user:u{}", i % 3),
            )];
        }
        batch.push(BatchCheckItem {
            correlation_id: format!("c{i}"),
            request,
        });
    }
    let results = engine.batch_check(&batch);
    assert_eq!(results.len(), batch.len());
    let mut allowed = 0;
    let mut errors = 0;
    for (item, result) in batch.iter().zip(&results) {
        assert_eq!(result.correlation_id, item.correlation_id);
        assert_eq!(result.result, engine.check(&item.request), "{item:?}");
        allowed += usize::from(result.result == Ok(true));
        errors += usize::from(result.result.is_err());
    }
    assert!(
        allowed > 0 && errors > 0,
        "{allowed} allowed, {errors} errors"
    );
}
