//! The opt-in decision hook: every Check, batched Check and ListObjects
//! decision reaches it with the model id; other calls do not.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use fga_core::backend::{Decision, DecisionHook, DecisionOutcome, Hooked};
use fga_core::{
    BatchCheckItem, CheckRequest, EmbeddedBackend, Engine, FgaBackend, ListObjectsRequest, TupleKey,
};
use std::sync::{Arc, Mutex};

const MODEL: &str = "model
  schema 1.1
type user
type doc
  relations
    define reader: [user]
";

#[derive(Debug, Default)]
struct Seen(Mutex<Vec<(&'static str, String, String, DecisionOutcome)>>);

impl DecisionHook for Seen {
    fn decided(&self, d: &Decision<'_>) {
        self.0.lock().unwrap().push((
            d.call,
            d.model_id.to_owned(),
            d.object.to_owned(),
            d.outcome,
        ));
    }
}

fn backend() -> (Hooked<EmbeddedBackend>, Arc<Seen>) {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    engine
        .write(&[TupleKey::new("doc:1", "reader", "user:sarah")], &[])
        .unwrap();
    let seen = Arc::new(Seen::default());
    (
        Hooked::new(EmbeddedBackend::new(engine), seen.clone()),
        seen,
    )
}

#[tokio::test]
async fn every_check_and_list_objects_decision_reaches_the_hook_with_the_model_id() {
    let (fga, seen) = backend();
    let model_id = fga.read_model().await.unwrap().id;
    assert!(
        fga.check(CheckRequest::new("doc:1", "reader", "user:sarah"))
            .await
            .unwrap()
    );
    assert!(
        !fga.check(CheckRequest::new("doc:2", "reader", "user:sarah"))
            .await
            .unwrap()
    );
    let listed = fga
        .list_objects(ListObjectsRequest {
            object_type: "doc".into(),
            relation: "reader".into(),
            user: "user:sarah".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.objects, ["doc:1"]);
    fga.batch_check(vec![BatchCheckItem {
        correlation_id: "c1".into(),
        request: CheckRequest::new("doc:1", "reader", "user:tom"),
    }])
    .await
    .unwrap();
    fga.read(Default::default()).await.unwrap();
    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            (
                "check",
                model_id.clone(),
                "doc:1".into(),
                DecisionOutcome::Allowed
            ),
            (
                "check",
                model_id.clone(),
                "doc:2".into(),
                DecisionOutcome::Denied
            ),
            (
                "list_objects",
                model_id.clone(),
                "doc".into(),
                DecisionOutcome::Listed(1)
            ),
            ("check", model_id, "doc:1".into(), DecisionOutcome::Denied),
        ]
    );
}

#[tokio::test]
async fn a_new_model_is_named_in_the_decisions_after_it() {
    let (fga, seen) = backend();
    let new_id = fga
        .write_model(fga_core::model::dsl::parse(MODEL).unwrap())
        .await
        .unwrap();
    fga.check(CheckRequest::new("doc:1", "reader", "user:sarah"))
        .await
        .unwrap();
    assert_eq!(seen.0.lock().unwrap()[0].1, new_id);
}
