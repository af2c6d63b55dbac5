//! The scenarios of the durable tuple store, generic over the backend: the SQLite
//! and PostgreSQL suites run the same ones.
#![allow(dead_code)]

use fga_core::durable::{ChangeOp, ContinuationToken, Replica, StoreError, TupleStore};
use fga_core::{CheckRequest, Engine, ReadFilter, TupleKey};

pub(crate) const MODEL: &str = "model
  schema 1.1

type user

type folder
  relations
    define viewer: [user]

type document
  relations
    define parent: [folder]
    define viewer: [user] or viewer from parent
";

fn replica<S: TupleStore>(store: S) -> Replica<S> {
    Replica::open(Engine::from_dsl(MODEL).unwrap(), store).unwrap()
}

fn all<S: TupleStore>(r: &Replica<S>) -> Vec<TupleKey> {
    r.engine().read(&ReadFilter::default())
}

/// Two handles on one store converge by following the feed; a third opened later
/// starts from the same state. `open` opens a new handle on the same store.
pub(crate) fn two_handles_converge<S: TupleStore>(open: impl Fn() -> S) {
    let mut a = replica(open());
    let mut b = replica(open());
    a.write(
        &[
            TupleKey::new("folder:f", "viewer", "user:ann"),
            TupleKey::new("document:d", "parent", "folder:f"),
        ],
        &[],
    )
    .unwrap();
    b.write(&[TupleKey::new("document:e", "viewer", "user:bob")], &[])
        .unwrap();
    // b saw a's writes when it synced after its own write; a has not synced yet.
    assert_eq!(all(&b).len(), 3);
    assert_eq!(all(&a).len(), 2);
    let view = CheckRequest::new("document:d", "viewer", "user:ann");
    assert!(b.engine().check(&view).unwrap());
    a.write(&[], &[TupleKey::new("folder:f", "viewer", "user:ann")])
        .unwrap();
    assert!(b.engine().check(&view).unwrap(), "b has not followed yet");
    assert_eq!(b.sync().unwrap(), 1);
    assert_eq!(a.sync().unwrap(), 0);
    assert_eq!(all(&a), all(&b));
    assert_eq!(a.position(), b.position());
    assert!(!b.engine().check(&view).unwrap());
    // A third process opening the file later starts from the same state.
    drop((a, b));
    let c = replica(open());
    assert_eq!(all(&c).len(), 2);
    assert_eq!(c.position().last_change_id(), 4);
}

/// A conflicting request changes nothing, its changes included.
pub(crate) fn rejected_request_changes_nothing<S: TupleStore>(store: &S) {
    let t = TupleKey::new("folder:f", "viewer", "user:ann");
    store.write(std::slice::from_ref(&t), &[]).unwrap();
    let fresh = TupleKey::new("folder:g", "viewer", "user:ann");
    let err = store.write(&[fresh.clone(), t.clone()], &[]).unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { op: "write", .. }),
        "{err:?}"
    );
    let err = store
        .write(
            std::slice::from_ref(&fresh),
            &[TupleKey::new("folder:x", "viewer", "user:ann")],
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { op: "delete", .. }),
        "{err:?}"
    );
    let page = store.read_changes(None, 100).unwrap();
    assert_eq!(
        page.changes.len(),
        1,
        "no change of a rejected request is kept"
    );
    // The fresh tuple was not written: writing it now succeeds.
    store.write(&[fresh], &[]).unwrap();
}

/// The engine refuses a tuple outside the model before the store sees it.
pub(crate) fn tuple_outside_the_model_never_reaches_the_store<S: TupleStore>(open: impl Fn() -> S) {
    let mut a = replica(open());
    let err = a
        .write(&[TupleKey::new("folder:f", "owner", "user:ann")], &[])
        .unwrap_err();
    assert!(matches!(err, StoreError::Engine(_)), "{err:?}");
    let store = open();
    assert!(store.read_changes(None, 10).unwrap().changes.is_empty());
}

/// The feed pages in change id order behind continuation tokens.
pub(crate) fn changes_feed_pages_in_change_id_order<S: TupleStore>(store: &S) {
    for i in 0..5 {
        store
            .write(
                &[TupleKey::new(format!("folder:f{i}"), "viewer", "user:ann")],
                &[],
            )
            .unwrap();
    }
    store
        .write(&[], &[TupleKey::new("folder:f0", "viewer", "user:ann")])
        .unwrap();
    let mut token: Option<ContinuationToken> = None;
    let mut seen = Vec::new();
    loop {
        let page = store.read_changes(token.as_ref(), 2).unwrap();
        if page.changes.is_empty() {
            assert_eq!(
                Some(page.continuation),
                token,
                "an empty page keeps the token"
            );
            break;
        }
        assert!(page.changes.len() <= 2);
        seen.extend(page.changes);
        // Tokens survive a round trip through text, as a client would hold them.
        token = Some(page.continuation.to_string().parse().unwrap());
    }
    let ids: Vec<u64> = seen.iter().map(|c| c.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(seen.len(), 6);
    assert_eq!(seen[5].op, ChangeOp::Delete);
    assert_eq!(
        seen[5].tuple,
        TupleKey::new("folder:f0", "viewer", "user:ann")
    );
}
