//! Engine behaviour beyond the conformance suites: atomic writes, deletes, reads,
//! limits, BatchCheck correlation, Expand, conditions, bad input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use fga_core::engine::{Node, UsersetTree};
use fga_core::{BatchCheckItem, CheckRequest, Engine, ListObjectsRequest, ReadFilter, TupleKey};
use serde_json::json;

const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type document
  relations
    define editor: [user]
    define viewer: [user, user:*, group#member, user with in_network] or editor
    define blocked: [user]
    define can_read: viewer but not blocked

condition in_network(ip: ipaddress, cidr: string) {
  ip.in_cidr(cidr)
}
";

fn engine() -> Engine {
    let mut e = Engine::from_dsl(MODEL).unwrap();
    e.write(
        &[
            TupleKey::new("document:1", "editor", "user:anne"),
            TupleKey::new("group:eng", "member", "user:bob"),
            TupleKey::new("document:2", "viewer", "group:eng#member"),
            TupleKey::new("document:3", "viewer", "user:*"),
            TupleKey::new("document:3", "blocked", "user:carl"),
        ],
        &[],
    )
    .unwrap();
    e
}

fn check(e: &Engine, object: &str, relation: &str, user: &str) -> bool {
    e.check(&CheckRequest::new(object, relation, user)).unwrap()
}

#[test]
fn a_rejected_write_changes_nothing() {
    let mut e = engine();
    let before = e.read(&ReadFilter::default());
    let err = e
        .write(
            &[
                TupleKey::new("document:9", "editor", "user:dan"),
                TupleKey::new("document:9", "editor", "group:eng#member"),
            ],
            &[TupleKey::new("document:1", "editor", "user:anne")],
        )
        .unwrap_err();
    assert_eq!(err.code(), 2027);
    assert_eq!(e.read(&ReadFilter::default()), before);
    assert!(check(&e, "document:1", "editor", "user:anne"));
    assert!(!check(&e, "document:9", "editor", "user:dan"));
}

#[test]
fn duplicate_writes_and_missing_deletes_are_rejected() {
    let mut e = engine();
    let dup = e.write(&[TupleKey::new("document:1", "editor", "user:anne")], &[]);
    assert_eq!(dup.unwrap_err().code(), 2017);
    let missing = e.write(&[], &[TupleKey::new("document:1", "editor", "user:zed")]);
    assert_eq!(missing.unwrap_err().code(), 2017);
    assert_eq!(e.len(), 5);
}

#[test]
fn bad_tuples_get_typed_errors() {
    let mut e = engine();
    for (tuple, code) in [
        (TupleKey::new("nope:1", "viewer", "user:a"), 2027),
        (TupleKey::new("document:1", "nope", "user:a"), 2027),
        (TupleKey::new("document:1", "editor", "user:*"), 2027),
        (TupleKey::new("document 1", "editor", "user:a"), 2027),
        (TupleKey::new("document:1", "editor", "user:a:b"), 2027),
        (TupleKey::new("document:1", "editor", ""), 2027),
        (
            TupleKey::new("document:1", "viewer", "user:a").with_condition("nope", None),
            2027,
        ),
    ] {
        assert_eq!(
            e.write(std::slice::from_ref(&tuple), &[])
                .unwrap_err()
                .code(),
            code,
            "{tuple}"
        );
    }
    assert_eq!(e.len(), 5);
    let bad_check = e.check(&CheckRequest::new("document:1", "nope", "user:a"));
    assert_eq!(bad_check.unwrap_err().code(), 2000);
}

#[test]
fn delete_and_read_with_filters() {
    let mut e = engine();
    assert!(check(&e, "document:2", "viewer", "user:bob"));
    e.write(&[], &[TupleKey::new("group:eng", "member", "user:bob")])
        .unwrap();
    assert!(!check(&e, "document:2", "viewer", "user:bob"));
    let docs = e.read(&ReadFilter {
        object: Some("document:".into()),
        ..ReadFilter::default()
    });
    assert_eq!(docs.len(), 4);
    let by_user = e.read(&ReadFilter {
        user: Some("user:*".into()),
        ..ReadFilter::default()
    });
    assert_eq!(by_user, [TupleKey::new("document:3", "viewer", "user:*")]);
}

#[test]
fn wildcards_exclusions_and_usersets() {
    let e = engine();
    assert!(check(&e, "document:3", "can_read", "user:zoe"));
    assert!(!check(&e, "document:3", "can_read", "user:carl"));
    assert!(check(&e, "document:2", "viewer", "group:eng#member"));
    assert!(check(&e, "document:1", "viewer", "user:anne"));
}

#[test]
fn list_objects_limit_is_reported() {
    let e = engine();
    let request = ListObjectsRequest {
        object_type: "document".into(),
        relation: "viewer".into(),
        user: "user:anne".into(),
        ..ListObjectsRequest::default()
    };
    let all = e.list_objects(&request).unwrap();
    assert_eq!(all.objects, ["document:1", "document:3"]);
    assert!(!all.truncated);
    let cut = e
        .list_objects(&ListObjectsRequest {
            limit: Some(1),
            ..request
        })
        .unwrap();
    assert_eq!(cut.objects, ["document:1"]);
    assert!(cut.truncated);
}

#[test]
fn batch_check_keeps_correlation_ids() {
    let e = engine();
    let items = vec![
        BatchCheckItem {
            correlation_id: "a".into(),
            request: CheckRequest::new("document:1", "viewer", "user:anne"),
        },
        BatchCheckItem {
            correlation_id: "b".into(),
            request: CheckRequest::new("document:1", "viewer", "user:bob"),
        },
        BatchCheckItem {
            correlation_id: "c".into(),
            request: CheckRequest::new("document:1", "nope", "user:bob"),
        },
    ];
    let results = e.batch_check(&items);
    assert_eq!(results[0].correlation_id, "a");
    assert_eq!(results[0].result, Ok(true));
    assert_eq!(results[1].result, Ok(false));
    assert_eq!(results[2].result.as_ref().unwrap_err().code(), 2000);
}

#[test]
fn conditions_take_the_tuple_context_over_the_request() {
    let mut e = engine();
    e.write(
        &[
            TupleKey::new("document:7", "viewer", "user:eve").with_condition(
                "in_network",
                Some(json!({"cidr": "10.0.0.0/8"}).as_object().unwrap().clone()),
            ),
        ],
        &[],
    )
    .unwrap();
    let ask = |context: serde_json::Value| {
        e.check(&CheckRequest {
            context: Some(context.as_object().unwrap().clone()),
            ..CheckRequest::new("document:7", "viewer", "user:eve")
        })
    };
    assert_eq!(ask(json!({"ip": "10.1.2.3"})), Ok(true));
    assert_eq!(ask(json!({"ip": "192.168.0.1"})), Ok(false));
    // The tuple's cidr wins over the request's.
    assert_eq!(
        ask(json!({"ip": "10.1.2.3", "cidr": "192.168.0.0/16"})),
        Ok(true)
    );
    // A missing parameter is an error, and so is a value of the wrong type.
    assert_eq!(ask(json!({})).unwrap_err().code(), 2000);
    assert_eq!(ask(json!({"ip": "not-an-ip"})).unwrap_err().code(), 2000);
}

#[test]
fn contextual_tuples_apply_to_one_request_only() {
    let e = engine();
    let request = CheckRequest {
        contextual_tuples: vec![TupleKey::new("document:5", "editor", "user:fay")],
        ..CheckRequest::new("document:5", "viewer", "user:fay")
    };
    assert!(e.check(&request).unwrap());
    assert!(!check(&e, "document:5", "viewer", "user:fay"));
}

#[test]
fn expand_shows_the_rewrite() {
    let e = engine();
    let UsersetTree { root } = e.expand("document:2", "viewer", &[]).unwrap();
    let Node::Union { nodes, .. } = root else {
        panic!("viewer is a union: {root:?}");
    };
    assert_eq!(
        nodes[0],
        Node::Users {
            name: "document:2#viewer".into(),
            users: vec!["group:eng#member".into()],
        }
    );
    assert_eq!(
        nodes[1],
        Node::Computed {
            name: "document:2#viewer".into(),
            userset: "document:2#editor".into(),
        }
    );
}

#[test]
fn deep_chains_exceed_the_depth_limit() {
    let mut e = Engine::from_dsl(MODEL).unwrap();
    let mut tuples = vec![TupleKey::new("group:g0", "member", "user:deep")];
    for i in 1..30 {
        tuples.push(TupleKey::new(
            format!("group:g{i}"),
            "member",
            format!("group:g{}#member", i - 1),
        ));
    }
    e.write(&tuples, &[]).unwrap();
    assert!(check(&e, "group:g5", "member", "user:deep"));
    let err = e
        .check(&CheckRequest::new("group:g29", "member", "user:deep"))
        .unwrap_err();
    assert_eq!(err.code(), 2002);
}

#[test]
fn cycles_evaluate_to_false() {
    let mut e = Engine::from_dsl(MODEL).unwrap();
    e.write(
        &[
            TupleKey::new("group:a", "member", "group:b#member"),
            TupleKey::new("group:b", "member", "group:a#member"),
        ],
        &[],
    )
    .unwrap();
    assert!(!check(&e, "group:a", "member", "user:x"));
}

#[test]
fn object_ids_follow_the_shared_validation_cases() {
    #[derive(serde::Deserialize)]
    struct Case {
        name: String,
        object_id: String,
        valid: bool,
    }
    let Some(text) = conformance::read("openfga-language", "object-id-validation-cases.yaml")
    else {
        return;
    };
    let cases: Vec<Case> = serde_yaml_ng::from_str(&text).unwrap();
    assert!(cases.len() > 20);
    let e = engine();
    for case in cases {
        let object = format!("document:{}", case.object_id);
        let result = e.check(&CheckRequest::new(&object, "viewer", "user:anne"));
        assert_eq!(result.is_ok(), case.valid, "{}: {result:?}", case.name);
    }
}
