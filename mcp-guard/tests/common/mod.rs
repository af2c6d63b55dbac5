#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    missing_debug_implementations
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use agent_auth::clock::{Clock, ManualClock, SharedClock};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::{AccessToken, Claims, TokenKind};
use axum::body::Body;
use axum::http::{Request, Response};
use mcp_guard::{Authenticated, Guard, GuardBuilder, HostPolicy, ScopePolicy, TrustedIssuer};
use std::sync::Arc;

pub const RESOURCE: &str = "http://localhost:8000/mcp";
pub const ISS_A: &str = "https://as-a.example";
pub const ISS_B: &str = "https://as-b.example";
pub const NOW: i64 = 1_800_000_000;

pub struct Fixture {
    pub key_a: SigningKey,
    pub key_b: SigningKey,
    pub clock: Arc<ManualClock>,
}

impl Fixture {
    pub fn new() -> Self {
        let mut key_a = SigningKey::generate(Algorithm::Es256).unwrap();
        key_a = key_a.with_kid("a1");
        let key_b = SigningKey::generate(Algorithm::Es256)
            .unwrap()
            .with_kid("b1");
        Self {
            key_a,
            key_b,
            clock: Arc::new(ManualClock::new(NOW)),
        }
    }

    pub fn shared_clock(&self) -> SharedClock {
        self.clock.clone()
    }

    pub fn builder(&self) -> GuardBuilder {
        Guard::builder(RESOURCE)
            .unwrap()
            .trust(TrustedIssuer::with_key(
                ISS_A,
                self.key_a.verifying_key().clone(),
            ))
            .trust(TrustedIssuer::with_key(
                ISS_B,
                self.key_b.verifying_key().clone(),
            ))
            .scopes(
                ScopePolicy::new()
                    .method("tools/list", &[])
                    .tool("crm_lookup", &["mcp:crm:read"])
                    .tool("calendar_today", &["mcp:calendar:read"])
                    .resource("crm://*", &["mcp:crm:read"])
                    .resource("docs://*", &["mcp:docs:read"])
                    .resource("pricing://*", &["mcp:crm:read"]),
            )
            .hosts(HostPolicy::loopback())
            .resource_name("Seed CRM")
            .clock(self.shared_clock())
    }

    pub fn claims(&self, iss: &str, scope: &str) -> Claims {
        let now = self.clock.now();
        let mut c = Claims::new()
            .with("client_id", "sales-agent")
            .with("scope", scope);
        c.iss = Some(iss.into());
        c.sub = Some("sarah".into());
        c.aud = vec![RESOURCE.into()];
        c.iat = Some(now);
        c.exp = Some(now + 300);
        c.jti = Some(format!("jti-{now}-{scope}"));
        c
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let key = if claims.iss.as_deref() == Some(ISS_B) {
            &self.key_b
        } else {
            &self.key_a
        };
        sign_compact(key, AccessToken::PROFILE.mint_typ, claims)
            .unwrap()
            .expose_secret()
            .to_owned()
    }

    pub fn token(&self, scope: &str) -> String {
        self.sign(&self.claims(ISS_A, scope))
    }
}

/// An axum app echoing the principal's subject and scopes.
pub fn app(guard: &Guard) -> axum::Router {
    async fn echo(Authenticated(p): Authenticated, body: String) -> String {
        format!(
            "{}|{}|{}",
            p.subject.clone().unwrap_or_default(),
            p.scopes.join(" "),
            body
        )
    }
    axum::Router::new()
        .route("/mcp", axum::routing::post(echo).get(echo))
        .route("/other", axum::routing::get(echo))
        .layer(guard.layer())
}

pub fn rpc(method: &str, params: serde_json::Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string()
}

pub fn post(token: Option<&str>, body: String) -> Request<Body> {
    let mut b = Request::post("/mcp")
        .header("host", "localhost:8000")
        .header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body)).unwrap()
}

pub async fn send(app: &axum::Router, request: Request<Body>) -> (u16, Option<String>, String) {
    use tower::ServiceExt;
    let response: Response<Body> = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        challenge,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

pub fn param(challenge: &str, name: &str) -> Option<String> {
    let parsed = agent_auth::oauth::parse_www_authenticate(challenge).unwrap();
    let c = parsed.into_iter().next().unwrap();
    assert_eq!(c.scheme, "Bearer");
    c.param(name).map(str::to_owned)
}
