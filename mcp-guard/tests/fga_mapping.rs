//! FGA names are injective: the same `sub` at two trusted issuers is two FGA
//! users, and two different resource URIs are two FGA objects.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::{ConfigError, Guard, ResourceAccess, TrustedIssuer, UriMapping, UserMappingError};
use serde_json::json;
use std::sync::Arc;

const MODEL: &str = "model
  schema 1.1

type user

type resource
  relations
    define reader: [user]
";

const ACME_CORP: &str = "crm://contacts/acme-corp";
const ACME_SLASH_CORP: &str = "crm://contacts/acme/corp";

fn access(tuples: &[TupleKey]) -> ResourceAccess {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    engine.write(tuples, &[]).unwrap();
    ResourceAccess::new(
        Arc::new(EmbeddedBackend::new(engine)),
        "reader",
        UriMapping::escaped("resource"),
    )
}

fn acme_corp_object() -> String {
    UriMapping::escaped("resource")(ACME_CORP).unwrap()
}

async fn read(app: &axum::Router, token: &str, uri: &str) -> String {
    let (s, _, body) = send(
        app,
        post(Some(token), rpc("resources/read", json!({"uri": uri}))),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    body
}

fn denied(body: &str) -> bool {
    body.contains("-32002")
}

#[tokio::test]
async fn same_sub_at_two_issuers_is_two_fga_users() {
    let f = Fixture::new();
    // Only issuer A's Sarah may read; issuer B also has a user whose `sub` is "sarah".
    let fga = access(&[TupleKey::new(
        acme_corp_object(),
        "reader",
        "user:as-a|sarah",
    )])
    .issuer_aliases(&[(ISS_A, "as-a"), (ISS_B, "as-b")])
    .unwrap();
    let app = app(&f.builder().resource_access(fga).build().unwrap());
    let sarah_a = f.sign(&f.claims(ISS_A, "mcp:crm:read"));
    let sarah_b = f.sign(&f.claims(ISS_B, "mcp:crm:read"));
    assert!(read(&app, &sarah_a, ACME_CORP).await.starts_with("sarah|"));
    assert!(denied(&read(&app, &sarah_b, ACME_CORP).await));
}

#[tokio::test]
async fn sub_only_user_mapping_refused_with_two_issuers() {
    let f = Fixture::new();
    let err = f
        .builder()
        .resource_access(access(&[]))
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::AmbiguousFgaUsers);
    // Every trusted issuer needs an alias.
    let fga = access(&[]).issuer_aliases(&[(ISS_A, "a")]).unwrap();
    let err = f.builder().resource_access(fga).build().unwrap_err();
    assert_eq!(err, ConfigError::NoFgaAlias(ISS_B.into()));
    assert!(matches!(
        access(&[]).issuer_aliases(&[(ISS_A, "same"), (ISS_B, "same")]),
        Err(UserMappingError::DuplicateAlias { .. })
    ));
}

#[tokio::test]
async fn single_issuer_default_is_user_sub() {
    let f = Fixture::new();
    let fga = access(&[TupleKey::new(acme_corp_object(), "reader", "user:sarah")]);
    let guard = Guard::builder(RESOURCE)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            ISS_A,
            f.key_a.verifying_key().clone(),
        ))
        .hosts(mcp_guard::HostPolicy::loopback())
        .clock(f.shared_clock())
        .resource_access(fga)
        .build()
        .unwrap();
    let app = app(&guard);
    assert!(
        read(&app, &f.token("mcp:crm:read"), ACME_CORP)
            .await
            .starts_with("sarah|")
    );
}

#[tokio::test]
async fn slash_and_dash_uris_are_different_objects() {
    let f = Fixture::new();
    let fga = access(&[TupleKey::new(acme_corp_object(), "reader", "user:a|sarah")])
        .issuer_aliases(&[(ISS_A, "a"), (ISS_B, "b")])
        .unwrap();
    let guard = f.builder().resource_access(fga).build().unwrap();
    let map = UriMapping::escaped("resource");
    assert_ne!(map(ACME_CORP), map(ACME_SLASH_CORP));
    let app = app(&guard);
    let token = f.token("mcp:crm:read");
    assert!(read(&app, &token, ACME_CORP).await.starts_with("sarah|"));
    assert!(denied(&read(&app, &token, ACME_SLASH_CORP).await));
    assert!(denied(
        &read(&app, &token, "crm://contacts/acme_corp").await
    ));
    let sarah = guard.verifier().verify(&token).await.unwrap();
    let visible = guard
        .visible_resources(&sarah, vec![ACME_CORP, ACME_SLASH_CORP], |u| u)
        .await;
    assert_eq!(visible, [ACME_CORP]);
}
