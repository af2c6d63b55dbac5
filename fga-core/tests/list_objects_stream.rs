//! Streamed ListObjects: the same objects as ListObjects, no fixed cap, a caller's limit
//! or break ends the stream, and bad requests fail before anything is streamed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use fga_core::{Engine, Error, ListObjectsRequest, TupleKey};

const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type folder
  relations
    define parent: [folder]
    define blocked: [user]
    define viewer: [user, group#member] or viewer from parent

type document
  relations
    define parent: [folder]
    define blocked: [user]
    define viewer: ([user, group#member] or viewer from parent) but not blocked
";

/// 5,000 documents in 50 folders under one root shared with a group, a few blocked.
fn engine() -> Engine {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let mut tuples = vec![
        TupleKey::new("group:staff", "member", "user:ann"),
        TupleKey::new("folder:root", "viewer", "group:staff#member"),
    ];
    for f in 0..50 {
        tuples.push(TupleKey::new(
            format!("folder:f{f}"),
            "parent",
            "folder:root",
        ));
    }
    for d in 0..5_000 {
        tuples.push(TupleKey::new(
            format!("document:d{d}"),
            "parent",
            format!("folder:f{}", d % 50),
        ));
        if d % 10 == 0 {
            tuples.push(TupleKey::new(
                format!("document:d{d}"),
                "blocked",
                "user:ann",
            ));
        }
    }
    engine.write(&tuples, &[]).unwrap();
    engine
}

fn request(limit: Option<usize>) -> ListObjectsRequest {
    ListObjectsRequest {
        object_type: "document".into(),
        relation: "viewer".into(),
        user: "user:ann".into(),
        limit,
        ..ListObjectsRequest::default()
    }
}

#[test]
fn list_objects_stream_has_no_fixed_cap_and_matches_list_objects() {
    let engine = engine();
    let mut streamed = Vec::new();
    let n = engine
        .list_objects_each(&request(None), |o| {
            streamed.push(o);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(n, 4_500);
    assert_eq!(streamed.len(), 4_500);
    let unique: BTreeSet<String> = streamed.iter().cloned().collect();
    assert_eq!(unique.len(), 4_500, "no object is streamed twice");
    let listed = engine.list_objects(&request(None)).unwrap();
    assert!(!listed.truncated);
    assert_eq!(listed.objects, unique.into_iter().collect::<Vec<_>>());
    assert!(!listed.objects.contains(&"document:d10".to_owned()));
}

#[test]
fn list_objects_stream_stops_at_the_callers_limit() {
    let engine = engine();
    let mut calls = 0;
    let n = engine
        .list_objects_each(&request(Some(7)), |_| {
            calls += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((n, calls), (7, 7));
    let n = engine
        .list_objects_each(&request(Some(0)), |_| {
            calls += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((n, calls), (0, 7));
}

#[test]
fn list_objects_stream_stops_when_the_caller_breaks() {
    let engine = engine();
    let mut calls = 0;
    let n = engine
        .list_objects_each(&request(None), |_| {
            calls += 1;
            if calls == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!((n, calls), (3, 3));
}

#[test]
fn list_objects_stream_rejects_bad_requests_before_streaming() {
    let engine = engine();
    let mut calls = 0;
    let mut bad = request(None);
    bad.relation = "no_such_relation".into();
    let err = engine
        .list_objects_each(&bad, |_| {
            calls += 1;
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(matches!(err, Error::RelationNotFound { .. }), "{err:?}");
    let mut bad = request(None);
    bad.user = "not a user".into();
    assert!(
        engine
            .list_objects_each(&bad, |_| {
                calls += 1;
                ControlFlow::Continue(())
            })
            .is_err()
    );
    assert_eq!(calls, 0);
}
