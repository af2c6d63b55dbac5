//! The OpenFGA conformance suites through the HTTP API: our [`OpenFgaClient`] against our
//! OpenFGA-compatible router over the embedded engine, on a loopback port. Same runner
//! rules as the in-process conformance test, without the contextual-tuple rerun.

#![cfg(feature = "http")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::sync::Arc;

use fga_core::http::{Credentials, OpenFgaClient, Stores, router};
use fga_core::model::dsl;
use fga_core::{
    BatchCheckItem, CheckRequest, Error, FgaBackend, ListObjectsRequest, ListUsersRequest,
    ReadFilter, TupleKey,
};

#[path = "support/openfga_suite.rs"]
mod suite;
use suite::{Suite, Test};

async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Arc::new(Stores::default()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn code_matches<T: std::fmt::Debug + PartialEq>(
    got: &Result<T, Error>,
    want: Option<&T>,
    code: Option<u32>,
) -> bool {
    match (got, code) {
        (Err(e), Some(c)) => e.code() == c,
        (_, Some(_)) => false,
        (Ok(v), None) => Some(v) == want,
        (Err(_), None) => false,
    }
}

async fn run_test(
    base: &str,
    test: &Test,
    tally: &mut [(usize, usize); 3],
    failures: &mut Vec<String>,
) {
    let store = OpenFgaClient::create_store(base, &test.name, Credentials::None)
        .await
        .unwrap();
    let client = OpenFgaClient::new(base, &store, Credentials::ApiToken("test-token".into()));
    for stage in &test.stages {
        let model = dsl::parse(&stage.model).unwrap();
        client.write_model(model).await.unwrap();
        for t in stage.tuples.iter().flatten() {
            let _ = client.write(vec![t.clone()], vec![]).await;
        }
        for a in stage.check_assertions.iter().flatten() {
            let got = client
                .check(CheckRequest {
                    object: a.tuple.object.clone(),
                    relation: a.tuple.relation.clone(),
                    user: a.tuple.user.clone(),
                    contextual_tuples: a.contextual_tuples.clone().unwrap_or_default(),
                    context: a.context.clone(),
                })
                .await;
            tally[0].1 += 1;
            if code_matches(&got, Some(&a.expectation.unwrap_or(false)), a.error_code) {
                tally[0].0 += 1;
            } else {
                failures.push(format!("{}: check {}: {got:?}", test.name, a.tuple));
            }
        }
        for a in stage.list_objects_assertions.iter().flatten() {
            let r = &a.request;
            let got = client
                .list_objects(ListObjectsRequest {
                    object_type: r.object_type.clone(),
                    relation: r.relation.clone(),
                    user: r.user.clone(),
                    contextual_tuples: r
                        .contextual_tuples
                        .iter()
                        .chain(a.contextual_tuples.iter())
                        .flatten()
                        .cloned()
                        .collect(),
                    context: a.context.clone().or_else(|| r.context.clone()),
                    limit: None,
                })
                .await
                .map(|r| r.objects.into_iter().collect::<BTreeSet<_>>());
            let want: BTreeSet<String> = a.expectation.iter().flatten().cloned().collect();
            tally[1].1 += 1;
            if code_matches(&got, Some(&want), a.error_code) {
                tally[1].0 += 1;
            } else {
                failures.push(format!("{}: list_objects {}: {got:?}", test.name, r.user));
            }
        }
        for a in stage.list_users_assertions.iter().flatten() {
            let r = &a.request;
            let got = client
                .list_users(ListUsersRequest {
                    object: r.object.clone(),
                    relation: r.relation.clone(),
                    user_filters: r.filters.clone(),
                    contextual_tuples: r
                        .contextual_tuples
                        .iter()
                        .chain(a.contextual_tuples.iter())
                        .flatten()
                        .cloned()
                        .collect(),
                    context: a.context.clone().or_else(|| r.context.clone()),
                })
                .await
                .map(|u| u.into_iter().collect::<BTreeSet<_>>());
            let want: BTreeSet<String> = a.expectation.iter().flatten().cloned().collect();
            tally[2].1 += 1;
            if code_matches(&got, Some(&want), a.error_code) {
                tally[2].0 += 1;
            } else {
                failures.push(format!("{}: list_users {}: {got:?}", test.name, r.object));
            }
        }
    }
}

async fn run_file(file: &str) {
    let Some(text) = conformance::read("openfga", file) else {
        return;
    };
    let suite: Suite = serde_yaml_ng::from_str(&text).unwrap();
    let base = serve().await;
    let mut tally = [(0, 0); 3];
    let mut failures = Vec::new();
    for test in &suite.tests {
        run_test(&base, test, &mut tally, &mut failures).await;
    }
    println!(
        "openfga-conformance-http {file}: check {}/{}, list_objects {}/{}, list_users {}/{}",
        tally[0].0, tally[0].1, tally[1].0, tally[1].1, tally[2].0, tally[2].1
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn consolidated_through_http() {
    run_file("consolidated_1_1_tests.yaml").await;
}

#[tokio::test]
async fn abac_through_http() {
    run_file("abac_tests.yaml").await;
}

#[tokio::test]
async fn read_batch_check_and_models_through_http() {
    let base = serve().await;
    let store = OpenFgaClient::create_store(&base, "s", Credentials::None)
        .await
        .unwrap();
    let client = OpenFgaClient::new(&base, &store, Credentials::None);
    let model = dsl::parse(
        "model\n  schema 1.1\n\ntype user\n\ntype doc\n  relations\n    define viewer: [user]\n",
    )
    .unwrap();
    let id = client.write_model(model.clone()).await.unwrap();
    let stored = client.read_model().await.unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.type_definitions, model.type_definitions);
    client
        .write(vec![TupleKey::new("doc:1", "viewer", "user:a")], vec![])
        .await
        .unwrap();
    let err = client
        .write(vec![TupleKey::new("doc:1", "viewer", "doc:2")], vec![])
        .await
        .unwrap_err();
    assert_eq!(err.code(), 2027);
    let tuples = client.read(ReadFilter::default()).await.unwrap();
    assert_eq!(tuples, [TupleKey::new("doc:1", "viewer", "user:a")]);
    let results = client
        .batch_check(vec![
            BatchCheckItem {
                correlation_id: "x".into(),
                request: CheckRequest::new("doc:1", "viewer", "user:a"),
            },
            BatchCheckItem {
                correlation_id: "y".into(),
                request: CheckRequest::new("doc:1", "nope", "user:a"),
            },
        ])
        .await
        .unwrap();
    assert_eq!(results[0].result, Ok(true));
    assert_eq!(results[1].correlation_id, "y");
    assert_eq!(results[1].result.as_ref().unwrap_err().code(), 2000);
}

#[test]
fn credentials_are_redacted_in_debug() {
    let c = Credentials::ClientCredentials {
        token_url: "https://issuer.example/oauth/token".into(),
        client_id: "id".into(),
        client_secret: "very-secret".into(),
        audience: None,
    };
    assert!(!format!("{c:?}").contains("very-secret"));
    assert!(!format!("{:?}", Credentials::ApiToken("tok-123".into())).contains("tok-123"));
}
