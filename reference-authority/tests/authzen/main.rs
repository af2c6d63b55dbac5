//! The AuthZEN PDP: the certification scenario read from the conformance
//! folder, caller authentication, decision sources and their audit, embedded
//! and over HTTP.
#![cfg(feature = "server")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod callers;
mod conformance;
mod entitlements;
mod fixture_policy;
mod remote;
mod scenario;
mod sources;

use agent_auth::audit::MemorySink;
use agent_auth::clock::ManualClock;
use axum::body::Body;
use axum::http::Request;
use reference_authority::authzen::http::{Callers, PDP_SCOPE, router};
use reference_authority::authzen::{EntityDirectory, Pdp};
use reference_authority::*;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt as _;

pub(crate) const ISSUER: &str = "https://idp.example";
pub(crate) const PEP_SECRET: &str = "pep-secret-0123456789abcdef";
pub(crate) const NOW: i64 = 1_750_000_000;

/// An authority, a PDP whose base is the issuer, and the router serving both.
#[allow(missing_debug_implementations)]
pub(crate) struct Harness {
    pub(crate) authority: Authority,
    pub(crate) pdp: Pdp,
    pub(crate) app: axum::Router,
    pub(crate) audit: MemorySink,
    pub(crate) clock: ManualClock,
}

pub(crate) fn harness(
    build: impl FnOnce(
        reference_authority::authzen::PdpBuilder,
    ) -> reference_authority::authzen::PdpBuilder,
) -> Harness {
    let clock = ManualClock::new(NOW);
    let audit = MemorySink::new();
    let authority = Authority::builder(ISSUER)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    for (id, scopes) in [("pep", vec![PDP_SCOPE]), ("other", vec!["crm:read"])] {
        authority
            .register_client(
                ClientSpec::confidential(id, PEP_SECRET)
                    .grant_types(["client_credentials"])
                    .scopes(scopes)
                    .resources([ISSUER, "https://crm.example/mcp"]),
            )
            .unwrap();
    }
    let pdp = build(
        Pdp::builder(ISSUER)
            .clock(Arc::new(clock.clone()))
            .audit(Arc::new(audit.clone())),
    )
    .build();
    let app = reference_authority::http::router(authority.clone())
        .merge(router(pdp.clone(), Callers::new(authority.clone(), ISSUER)));
    Harness {
        authority,
        pdp,
        app,
        audit,
        clock,
    }
}

impl Harness {
    /// An access token of `client` for `resource` with `scope`.
    pub(crate) async fn token(&self, client: &str, scope: &str, resource: &str) -> String {
        let request = TokenRequest::new(Params::from_pairs([
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("resource", resource),
        ]))
        .basic(client, PEP_SECRET);
        let tokens = self.authority.token(&request).await.unwrap();
        tokens.access_token.expose_secret().to_owned()
    }

    /// The PEP's token: meant for the PDP, with its scope.
    pub(crate) async fn pep_token(&self) -> String {
        self.token("pep", PDP_SCOPE, ISSUER).await
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> (u16, axum::http::HeaderMap, Value) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, headers, body)
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let (status, _, body) = self.send(post(path, Some(token), body.to_string())).await;
        (status, body)
    }
}

pub(crate) fn post(path: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.body(body.into()).unwrap()
}

/// An empty directory (for tests that do not search).
pub(crate) fn no_directory() -> EntityDirectory {
    EntityDirectory::default()
}

/// A source for tests that need one FGA-backed PDP: `user:alice` views `doc:1`.
pub(crate) fn sources_fixture() -> reference_authority::authzen::sources::FgaSource {
    let mut engine = fga_core::Engine::from_dsl(
        "model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n",
    )
    .unwrap();
    engine
        .write(
            &[fga_core::TupleKey::new("doc:1", "viewer", "user:alice")],
            &[],
        )
        .unwrap();
    reference_authority::authzen::sources::FgaSource::new(Arc::new(fga_core::EmbeddedBackend::new(
        engine,
    )))
    .relation("read", "viewer")
}
