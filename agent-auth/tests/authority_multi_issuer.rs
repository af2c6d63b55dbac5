//! Two authorities (two trust domains) side by side on one HTTP server, each
//! nested under its issuer path: separate discovery, keys and tokens.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use reference_authority::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_issuers_on_one_server() {
    let (listener, base) = common::bind().await;
    let make = |tenant: &str| {
        let a = Authority::builder(format!("{base}/{tenant}"))
            .config(AuthorityConfig::for_tests())
            .build()
            .unwrap();
        a.register_client(
            ClientSpec::confidential("agent", "agent-secret-0123456789")
                .grant_types(["client_credentials"])
                .scopes(["read"]),
        )
        .unwrap();
        a
    };
    let corp = make("corp");
    let pricing = make("pricing");
    let app = axum::Router::new()
        .nest("/corp", http::router(corp.clone()))
        .nest("/pricing", http::router(pricing.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    for (tenant, authority) in [("corp", &corp), ("pricing", &pricing)] {
        let meta: Value = http
            .get(format!("{base}/{tenant}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meta["issuer"], format!("{base}/{tenant}"));
        assert_eq!(meta["token_endpoint"], format!("{base}/{tenant}/token"));
        let tokens: Value = http
            .post(meta["token_endpoint"].as_str().unwrap())
            .basic_auth("agent", Some("agent-secret-0123456789"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let at = tokens["access_token"].as_str().unwrap();
        assert!(authority.verify_access_token(at).is_ok());
        let other = if tenant == "corp" { &pricing } else { &corp };
        assert!(
            other.verify_access_token(at).is_err(),
            "issuers do not trust each other"
        );
    }
    assert_ne!(corp.keys().active().kid(), pricing.keys().active().kid());
}
