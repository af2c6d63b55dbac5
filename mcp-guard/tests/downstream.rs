//! No token passthrough: an MCP server behind the guard calls an upstream API
//! (itself guarded for its own audience) with a token obtained by RFC 8693
//! token exchange at the reference authority, served on 127.0.0.1. The
//! upstream sees only exchanged tokens; they are cached per caller, audience
//! and scope until expiry; failures are typed.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::audit::{AuditAction, MemorySink, Outcome};
use agent_auth::clock::{Clock, ManualClock, SystemClock};
use agent_auth::exchange::{ClientAuth, ExchangeClient, GRANT_TOKEN_EXCHANGE};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use mcp_guard::{Downstream, DownstreamError, Guard, InboundToken, TrustedIssuer, principal};
use reference_authority::http::router;
use reference_authority::{
    Authority, AuthorityConfig, ClientSpec, GrantFacts, IssueOptions, TokenExchangeGrant,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

const MCP: &str = "http://localhost:8000/mcp";
const MCP_SECRET: &str = "crm-mcp-secret-0123456789abcdef";
const INBOUND_TTL: i64 = 300;

struct World {
    issuer: String,
    upstream: String,
    authority: Authority,
    clock: ManualClock,
    audit: MemorySink,
    /// Every `Authorization` header the upstream API received.
    seen_upstream: Arc<Mutex<Vec<String>>>,
}

/// The authority (the MCP server's client may exchange tokens issued for the
/// MCP endpoint for the pricing API) and the pricing API, guarded for its own
/// URL and echoing the claims of the token it accepted.
async fn world() -> World {
    let clock = ManualClock::new(SystemClock.now());
    let audit = MemorySink::new();
    let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", as_listener.local_addr().unwrap());
    let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}/api", api_listener.local_addr().unwrap());

    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .clock(Arc::new(clock.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("crm-mcp", MCP_SECRET)
                .grant_types([GRANT_TOKEN_EXCHANGE])
                .scopes(["pricing:read", "pricing:history"])
                .resources([upstream.as_str()]),
        )
        .unwrap();
    authority.register_grant(Arc::new(
        TokenExchangeGrant::new().resource_server("crm-mcp", MCP),
    ));
    tokio::spawn(axum::serve(as_listener, router(authority.clone())).into_future());

    let api_guard = Guard::builder(&upstream)
        .unwrap()
        .trust(TrustedIssuer::remote_jwks(&issuer, &format!("{issuer}/jwks")).unwrap())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let seen_upstream = Arc::new(Mutex::new(Vec::new()));
    let seen = seen_upstream.clone();
    let api = axum::Router::new()
        .route(
            "/api",
            axum::routing::get(|request: Request| async move {
                let p = principal(request.extensions()).unwrap();
                axum::Json(json!({
                    "sub": p.subject, "client_id": p.client_id, "aud": p.audience,
                    "scope": p.scopes.join(" "), "act": p.claims.extra.get("act"),
                }))
            }),
        )
        .layer(api_guard.layer())
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let seen = seen.clone();
                async move {
                    if let Some(v) = request.headers().get("authorization") {
                        seen.lock().unwrap().push(v.to_str().unwrap().to_owned());
                    }
                    next.run(request).await
                }
            },
        ));
    tokio::spawn(axum::serve(api_listener, api).into_future());
    World {
        issuer,
        upstream,
        authority,
        clock,
        audit,
        seen_upstream,
    }
}

impl World {
    /// An access token for the MCP endpoint, as the agent got it for `user`.
    fn inbound(&self, user: &str, scope: &[&str]) -> String {
        let facts = GrantFacts {
            client_id: "sales-agent".into(),
            user_id: Some(user.into()),
            scope: scope.iter().map(|s| (*s).to_owned()).collect(),
            resource: vec![MCP.into()],
            auth_time: None,
            acr: None,
            amr: Vec::new(),
            sid: None,
        };
        let mut access_claims = serde_json::Map::new();
        access_claims.insert("act".into(), json!({"sub": "planner-agent"}));
        self.authority
            .issue(
                &facts,
                IssueOptions {
                    access_claims,
                    access_token_ttl: Some(INBOUND_TTL),
                    ..IssueOptions::default()
                },
            )
            .unwrap()
            .access_token
            .expose_secret()
            .to_owned()
    }

    fn downstream(&self, token_endpoint: &str) -> Downstream {
        let client =
            ExchangeClient::new(token_endpoint, ClientAuth::basic("crm-mcp", MCP_SECRET)).unwrap();
        Downstream::new(client).clock(Arc::new(self.clock.clone()))
    }

    /// The MCP server: behind its guard, `POST /quote` with `{"audience",
    /// "scope"}` gets a downstream token and calls the pricing API with it.
    fn mcp(&self, downstream: Downstream, keep_inbound_token: bool) -> axum::Router {
        let mut builder = Guard::builder(MCP)
            .unwrap()
            .trust(
                TrustedIssuer::remote_jwks(&self.issuer, &format!("{}/jwks", self.issuer)).unwrap(),
            )
            .clock(Arc::new(self.clock.clone()));
        if keep_inbound_token {
            builder = builder.keep_inbound_token();
        }
        let state = (downstream, self.upstream.clone());
        axum::Router::new()
            .route("/quote", axum::routing::post(call_upstream))
            .route(
                "/debug",
                axum::routing::get(|request: Request| async move {
                    format!("{:?}", request.extensions().get::<InboundToken>())
                }),
            )
            .with_state(state)
            .layer(builder.build().unwrap().layer())
    }

    fn exchanges(&self) -> usize {
        self.audit
            .events()
            .iter()
            .filter(|e| e.action == AuditAction::TokenExchanged && e.outcome == Outcome::Success)
            .count()
    }

    fn seen(&self) -> Vec<String> {
        self.seen_upstream.lock().unwrap().clone()
    }
}

async fn call_upstream(
    State((downstream, upstream)): State<(Downstream, String)>,
    request: Request,
) -> (StatusCode, String) {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 4096).await.unwrap();
    let ask: Value = serde_json::from_slice(&body).unwrap();
    let audience = ask["audience"].as_str().unwrap_or(&upstream).to_owned();
    let scope: Vec<&str> = ask["scope"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    match downstream
        .for_request(&parts.extensions, &audience, &scope)
        .await
    {
        Ok(token) => {
            let answer = reqwest::Client::new()
                .get(&upstream)
                .bearer_auth(token.expose_secret())
                .send()
                .await
                .unwrap();
            (answer.status(), answer.text().await.unwrap())
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("{e:?}")),
    }
}

async fn ask(app: &axum::Router, token: &str, ask: Value) -> (StatusCode, String) {
    let request = axum::http::Request::post("/quote")
        .header("host", "localhost:8000")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(ask.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_gets_an_exchanged_token_never_the_inbound_one() {
    let w = world().await;
    let app = w.mcp(w.downstream(&format!("{}/token", w.issuer)), true);
    let inbound = w.inbound("user-sarah", &["mcp:crm:read", "pricing:read"]);

    let (status, body) = ask(&app, &inbound, json!({"scope": ["pricing:read"]})).await;
    assert_eq!(status, 200, "{body}");
    let claims: Value = serde_json::from_str(&body).unwrap();
    // RFC 8693: the user stays the subject, the MCP server is the client, the
    // token is for the upstream alone, and the delegation chain is kept.
    assert_eq!(claims["sub"], "user-sarah");
    assert_eq!(claims["client_id"], "crm-mcp");
    assert_eq!(claims["aud"], json!([w.upstream]));
    assert_eq!(claims["scope"], "pricing:read");
    assert_eq!(claims["act"], json!({"sub": "planner-agent"}));

    // A second call reuses the cached token: one exchange in all.
    let (status, _) = ask(&app, &inbound, json!({"scope": ["pricing:read"]})).await;
    assert_eq!(status, 200);
    assert_eq!(w.exchanges(), 1);
    let seen = w.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], seen[1]);
    assert!(
        seen.iter().all(|h| !h.contains(&inbound)),
        "the inbound token reached the upstream"
    );

    // Passed through, the inbound token would not even be accepted there.
    let direct = reqwest::Client::new()
        .get(&w.upstream)
        .bearer_auth(&inbound)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 401);

    // The kept token is opaque in debug output.
    let request = axum::http::Request::get("/debug")
        .header("host", "localhost:8000")
        .header("authorization", format!("Bearer {inbound}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert_eq!(text, "Some(InboundToken([redacted]))");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_per_caller_audience_and_scope_until_expiry() {
    let w = world().await;
    let app = w.mcp(w.downstream(&format!("{}/token", w.issuer)), true);
    let sarah = w.inbound("user-sarah", &["pricing:read", "pricing:history"]);
    let bob = w.inbound("user-bob", &["pricing:read"]);
    let read = json!({"scope": ["pricing:read"]});

    assert_eq!(ask(&app, &sarah, read.clone()).await.0, 200);
    assert_eq!(ask(&app, &sarah, read.clone()).await.0, 200);
    assert_eq!(w.exchanges(), 1);
    // Another scope set is another token.
    let both = json!({"scope": ["pricing:history", "pricing:read"]});
    let (status, body) = ask(&app, &sarah, both).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["scope"],
        "pricing:history pricing:read"
    );
    assert_eq!(w.exchanges(), 2);
    // Another caller is another token, with that caller as subject.
    let (_, body) = ask(&app, &bob, read.clone()).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["sub"],
        "user-bob"
    );
    assert_eq!(w.exchanges(), 3);
    // Near the inbound token's expiry (sooner than the downstream token's),
    // the cached token is replaced.
    w.clock.advance(INBOUND_TTL - 20);
    assert_eq!(ask(&app, &sarah, read).await.0, 200);
    assert_eq!(w.exchanges(), 4);
    let seen = w.seen();
    assert_eq!(seen.len(), 5);
    assert_ne!(seen[0], seen[4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_failures_are_typed_errors() {
    let w = world().await;
    let app = w.mcp(w.downstream(&format!("{}/token", w.issuer)), true);
    let inbound = w.inbound("user-sarah", &["pricing:read"]);
    let typed = |e: DownstreamError| format!("{e:?}");

    // A scope the inbound token lacks: refused before any exchange.
    let (status, body) = ask(&app, &inbound, json!({"scope": ["pricing:history"]})).await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        typed(DownstreamError::ScopeNotGranted("pricing:history".into()))
    );
    // A target the MCP server's client is not registered for: the authority's
    // RFC 8693 section 2.2.2 error code.
    let hr = json!({"audience": "https://hr.example/api", "scope": ["pricing:read"]});
    let (_, body) = ask(&app, &inbound, hr).await;
    assert_eq!(
        body,
        typed(DownstreamError::Refused {
            status: 400,
            error: "invalid_target".into()
        })
    );
    assert_eq!(w.exchanges(), 0);
    assert!(w.seen().is_empty(), "nothing reached the upstream");

    // The token endpoint unreachable.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}/token", closed.local_addr().unwrap());
    drop(closed);
    let offline = w.mcp(w.downstream(&dead), true);
    let read = json!({"scope": ["pricing:read"]});
    let (_, body) = ask(&offline, &inbound, read.clone()).await;
    assert_eq!(body, typed(DownstreamError::Unavailable));

    // A guard that does not keep the token leaves nothing to exchange.
    let forgetful = w.mcp(w.downstream(&format!("{}/token", w.issuer)), false);
    let (_, body) = ask(&forgetful, &inbound, read).await;
    assert_eq!(body, typed(DownstreamError::NoInboundToken));

    // No error message or debug output carries the token.
    let debug = format!("{:?}", w.downstream(&format!("{}/token", w.issuer)));
    assert!(!debug.contains(MCP_SECRET) && !debug.contains(&inbound));
}
