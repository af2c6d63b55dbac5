//! The guard inspects every request that reaches the MCP service, whatever the
//! spelling of its path: an MCP server mounted with axum `nest_service("/mcp")`
//! answers `/mcp/x` too, so per-tool scopes, FGA and the tool hook must hold
//! there exactly as on `/mcp`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use fga_core::{EmbeddedBackend, Engine, TupleKey};
use mcp_guard::{
    Authenticated, Guard, HostPolicy, ResourceAccess, ScopePolicy, TrustedIssuer, UriMapping,
};
use serde_json::json;
use std::sync::Arc;

const MODEL: &str = "model
  schema 1.1

type user

type resource
  relations
    define reader: [user]
";

const CRM: &str = "crm://contacts/acme-corp";
const PRICING: &str = "pricing://executive-discounts";

fn guard(f: &Fixture) -> Guard {
    let mut engine = Engine::from_dsl(MODEL).unwrap();
    engine
        .write(
            &[
                TupleKey::new("resource:crm", "reader", "user:sarah"),
                TupleKey::new("resource:pricing", "reader", "user:cfo"),
            ],
            &[],
        )
        .unwrap();
    let fga = ResourceAccess::new(
        Arc::new(EmbeddedBackend::new(engine)),
        "reader",
        UriMapping::table(&[(CRM, "resource:crm"), (PRICING, "resource:pricing")]),
    );
    Guard::builder(RESOURCE)
        .unwrap()
        .trust(TrustedIssuer::with_key(
            ISS_A,
            f.key_a.verifying_key().clone(),
        ))
        .scopes(
            ScopePolicy::new()
                .tool("crm_lookup", &["mcp:crm:read"])
                .resource("crm://*", &["mcp:crm:read"])
                .resource("pricing://*", &["mcp:crm:read"]),
        )
        .hosts(HostPolicy::loopback())
        .clock(f.shared_clock())
        .resource_access(fga)
        .build()
        .unwrap()
}

async fn echo(Authenticated(p): Authenticated, body: String) -> String {
    format!("{}|{}", p.subject.clone().unwrap_or_default(), body)
}

/// The MCP service mounted as axum users mount rmcp's: it answers every path under `/mcp`.
fn nested(guard: &Guard) -> axum::Router {
    axum::Router::new()
        .nest_service("/mcp", axum::Router::new().fallback(echo))
        .layer(guard.layer())
}

fn post_to(path: &str, token: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header("host", "localhost:8000")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap()
}

fn read(uri: &str) -> String {
    rpc("resources/read", json!({"uri": uri}))
}

fn reached_service(body: &str) -> bool {
    body.starts_with("sarah|")
}

#[tokio::test]
async fn sub_path_read_of_fga_denied_resource_is_refused_as_on_mcp_path() {
    let f = Fixture::new();
    let app = nested(&guard(&f));
    let token = f.token("mcp:crm:read");
    let init = rpc("initialize", json!({"protocolVersion": "2025-06-18"}));
    let (s, _, body) = send(&app, post_to("/mcp/x", &token, init)).await;
    assert_eq!(s, 200);
    assert!(reached_service(&body), "{body}");
    let (s, _, body) = send(&app, post_to("/mcp/x", &token, read(CRM))).await;
    assert_eq!(s, 200);
    assert!(reached_service(&body), "an allowed read goes on: {body}");

    let on_mcp = send(&app, post_to("/mcp", &token, read(PRICING))).await;
    let on_sub = send(&app, post_to("/mcp/x", &token, read(PRICING))).await;
    let answer: serde_json::Value = serde_json::from_str(&on_sub.2).unwrap();
    assert_eq!(answer["error"]["code"], -32002, "{}", on_sub.2);
    assert_eq!(on_sub, on_mcp);
}

#[tokio::test]
async fn sub_path_tool_call_without_its_scope_is_refused_as_on_mcp_path() {
    let f = Fixture::new();
    let app = nested(&guard(&f));
    let token = f.token("mcp:docs:read");
    let call = || rpc("tools/call", json!({"name": "crm_lookup", "arguments": {}}));
    let on_mcp = send(&app, post_to("/mcp", &token, call())).await;
    let on_sub = send(&app, post_to("/mcp/x", &token, call())).await;
    assert_eq!(on_sub.0, 403, "{}", on_sub.2);
    assert_eq!(
        param(on_sub.1.as_deref().unwrap(), "error").as_deref(),
        Some("insufficient_scope")
    );
    assert_eq!(on_sub, on_mcp);
}

#[tokio::test]
async fn no_spelling_of_mcp_path_reaches_service_uninspected() {
    let f = Fixture::new();
    let app = nested(&guard(&f));
    let token = f.token("mcp:crm:read");
    for path in [
        "/mcp/",
        "/mcp/x",
        "/mcp/x/y",
        "/mcp//x",
        "//mcp",
        "//mcp/x",
        "/mcp/../mcp",
        "/mcp/./x",
        "/mcp/%2e%2e/mcp",
        "/m%63p",
        "/m%63p/x",
        "/mcp%2Fx",
        "/MCP",
        "/Mcp/x",
        "/mcp.",
        "/mcp./x",
        "/mcp;v=1",
        "/other/../mcp",
    ] {
        let (s, _, body) = send(&app, post_to(path, &token, read(PRICING))).await;
        assert!(
            !reached_service(&body),
            "{path} reached the service: {body}"
        );
        assert!(
            s == 404 || body.contains("-32002"),
            "{path}: neither unrouted nor refused: {s} {body}"
        );
    }
}

#[tokio::test]
async fn guard_inside_nested_service_reads_the_original_path() {
    let f = Fixture::new();
    let guard = guard(&f);
    // The guard layered inside the nest sees `/x`, not `/mcp/x`.
    let app = axum::Router::new().nest_service(
        "/mcp",
        axum::Router::new().fallback(echo).layer(guard.layer()),
    );
    let token = f.token("mcp:crm:read");
    for path in ["/mcp", "/mcp/x"] {
        let (_, _, body) = send(&app, post_to(path, &token, read(PRICING))).await;
        assert!(body.contains("-32002"), "{path}: {body}");
    }
}

#[tokio::test]
async fn body_on_get_to_mcp_sub_path_is_refused() {
    let f = Fixture::new();
    let app = nested(&guard(&f));
    let token = f.token("mcp:crm:read");
    let mut request = post_to("/mcp/x", &token, read(PRICING));
    *request.method_mut() = axum::http::Method::GET;
    let (s, _, body) = send(&app, request).await;
    assert_eq!(s, 400, "{body}");
    assert!(!reached_service(&body));
    // A GET without a body (the SSE stream) still goes on.
    let mut request = post_to("/mcp/x", &token, String::new());
    *request.method_mut() = axum::http::Method::GET;
    let (s, _, body) = send(&app, request).await;
    assert_eq!(s, 200);
    assert!(reached_service(&body), "{body}");
}
