//! The packed base a bulk load builds answers exactly as tuples written one by one:
//! random stores, bulk loaded into one engine and written into another, then the same
//! writes and deletes on both (some landing in the delta over the packed base, some
//! removing packed tuples, with a compaction on the way), compared on Check, BatchCheck,
//! ListObjects, ListUsers, Expand and Read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use fga_core::{
    BatchCheckItem, CheckRequest, Context, Engine, Error, ListObjectsRequest, ListUsersRequest,
    ReadFilter, TupleKey, tuple::RelationshipCondition,
};
use proptest::prelude::*;

const MODEL: &str = "model
  schema 1.1

type user

type group
  relations
    define member: [user, user:*, group#member, user with in_hours]

type folder
  relations
    define parent: [folder]
    define blocked: [user, group#member]
    define viewer: [user, group#member] or viewer from parent
    define reader: viewer but not blocked
    define auditor: viewer and blocked

type document
  relations
    define parent: [folder]
    define viewer: [user, user:*, group#member] or viewer from parent
    define reader: reader from parent

condition in_hours(hour: int) {
  hour >= 9 && hour < 17
}
";

const N: usize = 4;

fn user() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0..N).prop_map(|u| format!("user:u{u}")),
        1 => Just("user:*".to_owned()),
        1 => (0..N).prop_map(|g| format!("group:g{g}#member")),
    ]
}

fn tuple() -> impl Strategy<Value = TupleKey> {
    prop_oneof![
        ((0..N), user()).prop_map(|(g, u)| TupleKey::new(format!("group:g{g}"), "member", u)),
        ((0..N), (0..N)).prop_map(|(g, u)| TupleKey {
            condition: Some(RelationshipCondition {
                name: "in_hours".into(),
                context: None,
            }),
            ..TupleKey::new(format!("group:g{g}"), "member", format!("user:u{u}"))
        }),
        ((0..N), (0..N)).prop_map(|(f, p)| TupleKey::new(
            format!("folder:f{f}"),
            "parent",
            format!("folder:f{p}")
        )),
        ((0..N), prop_oneof![Just("blocked"), Just("viewer")], user())
            .prop_map(|(f, r, u)| TupleKey::new(format!("folder:f{f}"), r, u)),
        ((0..N), (0..N)).prop_map(|(d, f)| TupleKey::new(
            format!("document:d{d}"),
            "parent",
            format!("folder:f{f}")
        )),
        ((0..N), user()).prop_map(|(d, u)| TupleKey::new(format!("document:d{d}"), "viewer", u)),
    ]
}

/// The tuples the model accepts, each once, in order.
fn valid(tuples: Vec<TupleKey>) -> Vec<TupleKey> {
    let mut probe = Engine::from_dsl(MODEL).unwrap();
    tuples
        .into_iter()
        .filter(|t| probe.write(std::slice::from_ref(t), &[]).is_ok())
        .collect()
}

fn objects() -> Vec<String> {
    let mut out = Vec::new();
    for (t, p) in [("document", "d"), ("folder", "f"), ("group", "g")] {
        for i in 0..=N {
            out.push(format!("{t}:{p}{i}"));
        }
    }
    out
}

fn relations(object: &str) -> &'static [&'static str] {
    match object.split_once(':').map(|(t, _)| t) {
        Some("document") => &["viewer", "reader", "parent"],
        Some("folder") => &["viewer", "reader", "auditor", "blocked"],
        _ => &["member"],
    }
}

fn users() -> Vec<String> {
    let mut out: Vec<String> = (0..=N).map(|u| format!("user:u{u}")).collect();
    out.push("user:*".into());
    out.push("group:g0#member".into());
    out
}

fn context(hour: i64) -> Context {
    serde_json::from_value(serde_json::json!({ "hour": hour })).unwrap()
}

/// Every answer of the two engines, side by side.
fn assert_same(a: &Engine, b: &Engine, hour: Option<i64>) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    prop_assert_eq!(
        a.read(&ReadFilter::default()),
        b.read(&ReadFilter::default())
    );
    let mut items = Vec::new();
    for object in objects() {
        for relation in relations(&object) {
            prop_assert_eq!(
                a.expand(&object, relation, &[]),
                b.expand(&object, relation, &[])
            );
            let list_users = ListUsersRequest {
                object: object.clone(),
                relation: (*relation).into(),
                user_filters: vec!["user".into(), "group#member".into()],
                context: hour.map(context),
                ..ListUsersRequest::default()
            };
            prop_assert_eq!(a.list_users(&list_users), b.list_users(&list_users));
            for user in users() {
                let request = CheckRequest {
                    context: hour.map(context),
                    ..CheckRequest::new(object.clone(), *relation, user.clone())
                };
                prop_assert_eq!(a.check(&request), b.check(&request), "{:?}", request);
                items.push(BatchCheckItem {
                    correlation_id: items.len().to_string(),
                    request,
                });
            }
        }
    }
    prop_assert_eq!(a.batch_check(&items), b.batch_check(&items));
    for object_type in ["document", "folder", "group"] {
        for relation in ["viewer", "reader", "member"] {
            for user in users() {
                let request = ListObjectsRequest {
                    object_type: object_type.into(),
                    relation: relation.into(),
                    user,
                    context: hour.map(context),
                    ..ListObjectsRequest::default()
                };
                prop_assert_eq!(a.list_objects(&request), b.list_objects(&request));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn packed_base_answers_as_tuples_written_one_by_one(
        initial in proptest::collection::vec(tuple(), 0..30),
        ops in proptest::collection::vec((any::<bool>(), tuple()), 0..20),
        compact_after in 0..20usize,
        hour in proptest::option::of(0..24i64),
    ) {
        let initial = valid(initial);
        let mut packed = Engine::from_dsl(MODEL).unwrap();
        prop_assert_eq!(packed.bulk_load(initial.clone()).unwrap(), initial.len());
        let mut written = Engine::from_dsl(MODEL).unwrap();
        for t in &initial {
            written.write(std::slice::from_ref(t), &[]).unwrap();
        }
        assert_same(&packed, &written, hour)?;
        for (i, (write, t)) in ops.iter().enumerate() {
            let (writes, deletes) = if *write {
                (std::slice::from_ref(t), &[][..])
            } else {
                (&[][..], std::slice::from_ref(t))
            };
            prop_assert_eq!(packed.write(writes, deletes), written.write(writes, deletes));
            if i == compact_after {
                packed.compact().unwrap();
            }
        }
        assert_same(&packed, &written, hour)?;
    }
}

#[test]
fn bulk_load_of_a_duplicate_is_a_conflict_and_changes_nothing() {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let t = TupleKey::new("document:d1", "viewer", "user:u1");
    engine.bulk_load([t.clone()]).unwrap();
    let fresh = TupleKey::new("document:d2", "viewer", "user:u2");
    let err = engine.bulk_load([fresh.clone(), t.clone()]).unwrap_err();
    assert_eq!(err.code(), 2017);
    assert!(
        err.to_string().contains("document:d1#viewer@user:u1"),
        "{err}"
    );
    let twice = engine
        .bulk_load([fresh.clone(), fresh.clone()])
        .unwrap_err();
    assert_eq!(twice.code(), 2017);
    assert_eq!(engine.len(), 1);
    assert!(
        !engine
            .check(&CheckRequest::new("document:d2", "viewer", "user:u2"))
            .unwrap()
    );
}

#[test]
fn bulk_load_of_a_tuple_that_does_not_fit_the_model_is_refused() {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let err = engine
        .bulk_load([
            TupleKey::new("document:d1", "viewer", "user:u1"),
            TupleKey::new("document:d1", "owner", "user:u1"),
        ])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTuple { .. }), "{err}");
    assert_eq!(engine.len(), 0);
}

#[test]
fn writes_and_deletes_after_a_bulk_load_reach_the_packed_tuples() {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let tuples: Vec<TupleKey> = (0..2000)
        .map(|i| {
            TupleKey::new(
                format!("document:d{i}"),
                "viewer",
                format!("user:u{}", i % 7),
            )
        })
        .collect();
    engine.bulk_load(tuples.clone()).unwrap();
    let viewer = |e: &Engine, d: &str, u: &str| {
        e.check(&CheckRequest::new(
            format!("document:{d}"),
            "viewer",
            format!("user:{u}"),
        ))
        .unwrap()
    };
    assert!(viewer(&engine, "d8", "u1"));
    // A packed tuple cannot be written again, and can be deleted once.
    assert!(engine.write(&tuples[8..9], &[]).is_err());
    engine.write(&[], &tuples[8..9]).unwrap();
    assert!(!viewer(&engine, "d8", "u1"));
    assert!(engine.write(&[], &tuples[8..9]).is_err());
    // Written again, it lands in the delta; compaction keeps it.
    engine.write(&tuples[8..9], &[]).unwrap();
    engine
        .write(&[TupleKey::new("document:new", "viewer", "user:u1")], &[])
        .unwrap();
    assert!(viewer(&engine, "d8", "u1") && viewer(&engine, "new", "u1"));
    engine.compact().unwrap();
    assert!(viewer(&engine, "d8", "u1") && viewer(&engine, "new", "u1"));
    assert_eq!(engine.len(), 2001);
    let seen: HashSet<String> = engine
        .list_objects(&ListObjectsRequest {
            object_type: "document".into(),
            relation: "viewer".into(),
            user: "user:u1".into(),
            ..ListObjectsRequest::default()
        })
        .unwrap()
        .objects
        .into_iter()
        .collect();
    assert_eq!(seen.len(), 2000 / 7 + 2);
}

/// The direct look-up of the packed base keys on the object's and the user's ids as
/// strings: ids whose bytes run together the same way (`1` + `12` and `11` + `2`),
/// ids one byte apart around the inline length, a prefix of a stored id, a case
/// variant and a userset spelling of a stored user are never taken for a stored tuple.
#[test]
fn direct_checks_of_look_alike_ids_in_the_packed_base_are_answered_exactly() {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    let stored = [
        ("document:11", "user:2"),
        ("document:abcdefgh", "user:abcdefgh"),
        ("document:abcdefghi", "user:abcdefghi"),
    ];
    engine
        .bulk_load(stored.map(|(o, u)| TupleKey::new(o, "viewer", u)))
        .unwrap();
    let check = |o: &str, u: &str| engine.check(&CheckRequest::new(o, "viewer", u));
    for (o, u) in stored {
        assert_eq!(check(o, u), Ok(true), "{o} {u}");
    }
    for (o, u) in [
        ("document:1", "user:12"),
        ("document:11", "user:22"),
        ("document:abcdefgh", "user:abcdefghi"),
        ("document:abcdefghi", "user:abcdefgh"),
        ("document:abcdefg", "user:abcdefgh"),
        ("document:abcdefghij", "user:abcdefghi"),
        ("document:ABCDEFGH", "user:abcdefgh"),
        ("document:11", "user:2#member"),
    ] {
        assert_ne!(check(o, u), Ok(true), "{o} {u}");
    }
}
