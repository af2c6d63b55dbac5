//! An agent meeting a protected MCP server: the 401 challenge is parsed, the
//! RFC 9728 metadata found (challenge URL, path-inserted, root) and checked,
//! and the authorization server's metadata (our reference authority's) found
//! and checked, over loopback HTTP.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use agent_auth::mcp_client::{BearerChallenge, DiscoveryError, McpDiscovery};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use reference_authority::http::router;
use reference_authority::{Authority, AuthorityConfig};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_then_resource_then_authorization_server_metadata() {
    let (as_listener, issuer) = common::bind().await;
    let (mcp_listener, base) = common::bind().await;
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    let mcp = format!("{base}/mcp");
    let challenge = format!(
        r#"Bearer error="invalid_token", scope="crm:read", resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
    );
    let prm = json!({"resource": mcp, "authorization_servers": [issuer], "scopes_supported": ["crm:read"]});
    let app = Router::new()
        .route(
            "/mcp",
            get(move || {
                let challenge = challenge.clone();
                async move {
                    let mut r = StatusCode::UNAUTHORIZED.into_response();
                    r.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_str(&challenge).unwrap(),
                    );
                    r
                }
            }),
        )
        .route("/.well-known/oauth-protected-resource/mcp", {
            let prm = prm.clone();
            get(move || async move { axum::Json(prm) })
        })
        // The root document describes `/mcp`, not the root.
        .route("/.well-known/oauth-protected-resource", {
            let prm = prm.clone();
            get(move || async move { axum::Json(prm) })
        })
        .route(
            "/.well-known/oauth-authorization-server",
            get(|| async { axum::Json(json!({"issuer": "https://impostor.example"})) }),
        );
    let servers = [
        tokio::spawn(async move { axum::serve(as_listener, router(authority)).await.unwrap() }),
        tokio::spawn(async move { axum::serve(mcp_listener, app).await.unwrap() }),
    ];

    let response = reqwest::get(&mcp).await.unwrap();
    assert_eq!(response.status(), 401);
    let header = response.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap();
    let challenge = BearerChallenge::from_header(header).unwrap().unwrap();
    assert_eq!(challenge.scope, ["crm:read"]);

    let discovery = McpDiscovery::new().unwrap();
    let found = discovery
        .protected_resource(&mcp, Some(&challenge))
        .await
        .unwrap();
    assert_eq!(found.authorization_servers, std::slice::from_ref(&issuer));
    // Without the challenge's URL: the path-inserted location.
    assert_eq!(
        discovery.protected_resource(&mcp, None).await.unwrap(),
        found
    );
    // A document for another resource is refused (the root one names `/mcp`).
    assert_eq!(
        discovery
            .protected_resource(&format!("{base}/other"), None)
            .await
            .unwrap_err(),
        DiscoveryError::ResourceMismatch
    );

    let metadata = discovery
        .authorization_server(&found.authorization_servers[0])
        .await
        .unwrap();
    assert_eq!(metadata.issuer, issuer);
    assert_eq!(metadata.token_endpoint, Some(format!("{issuer}/token")));
    assert!(
        metadata
            .code_challenge_methods_supported
            .contains(&"S256".to_owned())
    );
    // An authorization server document naming another issuer is refused.
    assert_eq!(
        discovery.authorization_server(&base).await.unwrap_err(),
        DiscoveryError::IssuerMismatch
    );
    // Nothing at any location.
    assert_eq!(
        discovery
            .authorization_server(&format!("{issuer}/tenant-x"))
            .await
            .unwrap_err(),
        DiscoveryError::NotFound("authorization server metadata")
    );
    // Insecure URLs are refused before any request.
    assert_eq!(
        discovery
            .protected_resource("http://mcp.example/mcp", None)
            .await
            .unwrap_err(),
        DiscoveryError::InsecureUrl
    );
    for s in servers {
        s.abort();
    }
}
