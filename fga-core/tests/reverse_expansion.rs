//! Reverse expansion (ListObjects and BatchCheck on relations that only add access)
//! gives exactly the answers of single Checks: random tuples over an acyclic model of
//! unions, computed relations, usersets, wildcards and parent links.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::{BatchCheckItem, CheckRequest, Engine, ListObjectsRequest, TupleKey};
use proptest::prelude::*;

const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, user:*]

type division
  relations
    define viewer: [user, group#member]

type folder
  relations
    define parent: [division]
    define owner: [user]
    define viewer: [user, group#member] or owner or viewer from parent

type document
  relations
    define parent: [folder]
    define owner: [user]
    define editor: [user] or owner
    define viewer: [user, user:*, group#member] or editor or viewer from parent
";

const N: usize = 5;

fn user() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..N).prop_map(|u| format!("user:u{u}")),
        1 => (0..N).prop_map(|g| format!("group:g{g}#member")),
    ]
}

fn tuple() -> impl Strategy<Value = TupleKey> {
    prop_oneof![
        ((0..N), (0..N)).prop_map(|(g, u)| TupleKey::new(
            format!("group:g{g}"),
            "member",
            format!("user:u{u}")
        )),
        (0..N).prop_map(|g| TupleKey::new(format!("group:g{g}"), "member", "user:*")),
        ((0..N), user()).prop_map(|(d, u)| TupleKey::new(format!("division:v{d}"), "viewer", u)),
        ((0..N), (0..N)).prop_map(|(f, d)| TupleKey::new(
            format!("folder:f{f}"),
            "parent",
            format!("division:v{d}")
        )),
        ((0..N), user()).prop_map(|(f, u)| TupleKey::new(format!("folder:f{f}"), "viewer", u)),
        ((0..N), (0..N)).prop_map(|(f, u)| TupleKey::new(
            format!("folder:f{f}"),
            "owner",
            format!("user:u{u}")
        )),
        ((0..N), (0..N)).prop_map(|(d, f)| TupleKey::new(
            format!("document:d{d}"),
            "parent",
            format!("folder:f{f}")
        )),
        ((0..N), user()).prop_map(|(d, u)| TupleKey::new(format!("document:d{d}"), "viewer", u)),
        (0..N).prop_map(|d| TupleKey::new(format!("document:d{d}"), "viewer", "user:*")),
        ((0..N), prop_oneof![Just("owner"), Just("editor")], (0..N))
            .prop_map(|(d, r, u)| TupleKey::new(format!("document:d{d}"), r, format!("user:u{u}"))),
    ]
}

fn engine(tuples: &[TupleKey]) -> Engine {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    for t in tuples {
        // Duplicates are refused; the rest is written.
        let _ = engine.write(std::slice::from_ref(t), &[]);
    }
    engine
}

/// Every object the requests below may name, including ones no tuple mentions.
fn objects() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (t, prefix) in [
        ("document", "d"),
        ("folder", "f"),
        ("division", "v"),
        ("group", "g"),
    ] {
        for i in 0..=N {
            out.push((t, format!("{t}:{prefix}{i}")));
        }
    }
    out
}

const RELATIONS: [(&str, &str); 6] = [
    ("document", "viewer"),
    ("document", "editor"),
    ("folder", "viewer"),
    ("division", "viewer"),
    ("group", "member"),
    ("document", "nope"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn reverse_expansion_list_objects_equals_checks_of_every_object(
        tuples in proptest::collection::vec(tuple(), 0..40),
        u in 0..=N,
    ) {
        let engine = engine(&tuples);
        let user = format!("user:u{u}");
        for (t, r) in RELATIONS.iter().filter(|(_, r)| *r != "nope") {
            let got = engine
                .list_objects(&ListObjectsRequest {
                    object_type: (*t).into(),
                    relation: (*r).into(),
                    user: user.clone(),
                    ..ListObjectsRequest::default()
                })
                .unwrap()
                .objects;
            let want: Vec<String> = objects()
                .into_iter()
                .filter(|(ty, _)| ty == t)
                .map(|(_, o)| o)
                .filter(|o| engine.check(&CheckRequest::new(o.clone(), *r, user.clone())).unwrap())
                .collect();
            let mut want = want;
            want.sort();
            prop_assert_eq!(got, want, "{}#{}@{}", t, r, user);
        }
    }

    #[test]
    fn reverse_expansion_batch_check_equals_single_checks(
        tuples in proptest::collection::vec(tuple(), 0..40),
        picks in proptest::collection::vec((0..30usize, 0..6usize, 0..=N), 1..80),
    ) {
        let engine = engine(&tuples);
        let objects = objects();
        let items: Vec<BatchCheckItem> = picks
            .iter()
            .enumerate()
            .map(|(i, &(o, r, u))| {
                let (_, object) = &objects[o % objects.len()];
                BatchCheckItem {
                    correlation_id: i.to_string(),
                    request: CheckRequest::new(object.clone(), RELATIONS[r].1, format!("user:u{u}")),
                }
            })
            .collect();
        let batch = engine.batch_check(&items);
        for (item, result) in items.iter().zip(&batch) {
            prop_assert_eq!(&engine.check(&item.request), &result.result, "{:?}", item.request);
        }
    }
}

#[test]
fn reverse_expansion_list_objects_streams_with_a_limit() {
    let engine = engine(&[
        TupleKey::new("division:v0", "viewer", "user:u0"),
        TupleKey::new("folder:f0", "parent", "division:v0"),
        TupleKey::new("document:d0", "parent", "folder:f0"),
        TupleKey::new("document:d1", "parent", "folder:f0"),
        TupleKey::new("document:d2", "parent", "folder:f0"),
    ]);
    let request = ListObjectsRequest {
        object_type: "document".into(),
        relation: "viewer".into(),
        user: "user:u0".into(),
        limit: Some(2),
        ..ListObjectsRequest::default()
    };
    let mut seen = Vec::new();
    let n = engine
        .list_objects_each(&request, |o| {
            seen.push(o);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((n, seen.len()), (2, 2));
    let all = engine
        .list_objects(&ListObjectsRequest {
            limit: None,
            ..request
        })
        .unwrap();
    assert_eq!(all.objects, ["document:d0", "document:d1", "document:d2"]);
}
