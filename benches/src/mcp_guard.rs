//! The `mcp_guard` group: what the guard costs.
//!
//! - `mcp_guard.request.vs_unguarded`: time per `tools/call` through the seed
//!   MCP server behind the guard against the same server without it, both in
//!   process on loopback, the same rmcp client (sending the same bearer token to
//!   both) with the same concurrency, in alternating batches.
//! - `mcp_guard.validate.vs_floor`: the guard's per-request token work (the
//!   `Authorization` header, JWT verification with the key cached, claim checks,
//!   the revocation list, the scope rules) against the raw ES256 signature
//!   verification of the `jwt` group.

use crate::jwt::Fixture;
use crate::measure::{compare, keep, report};
use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
use agent_auth::validate::Claims;
use axum::http::{HeaderMap, HeaderValue, header};
use examples::seed_mcp::{seed_app, seed_fga, seed_policy};
use futures::FutureExt;
use mcp_guard::{Guard, HostPolicy, ScopePolicy, TrustedIssuer};
use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ServiceExt, model::CallToolResult};
use std::time::{Duration, Instant};

const ISSUER: &str = "https://idp.example.com";
/// Requests in flight at once.
const CONCURRENCY: usize = 8;
/// Tool calls per measured batch.
const BATCH: usize = 800;
/// Paired batches.
const ROUNDS: usize = 9;

fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("mcp_guard benchmark failed: {e}");
    std::process::exit(2)
}

/// Serves `app` on `listener`; returns the MCP endpoint URL. Nagle's
/// algorithm is off, as in the client: with it, the server's small SSE writes
/// wait for delayed ACKs and every call takes tens of milliseconds, guarded or not.
async fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> String {
    use axum::serve::ListenerExt;
    let url = format!(
        "http://{}/mcp",
        listener.local_addr().unwrap_or_else(|e| fail(&e))
    );
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(axum::serve(listener, app).into_future());
    url
}

async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail(&e))
}

/// An access token for `resource` allowed to call `crm_lookup`.
fn token(key: &SigningKey, resource: &str) -> String {
    let now = {
        use agent_auth::clock::Clock;
        agent_auth::clock::SystemClock.now()
    };
    let mut c = Claims::new()
        .with("client_id", "sales-agent-prod-001")
        .with("scope", "mcp:crm:read mcp:docs:read");
    c.iss = Some(ISSUER.into());
    c.sub = Some("user-sarah".into());
    c.aud = vec![resource.into()];
    c.iat = Some(now);
    c.exp = Some(now + 3600);
    c.jti = Some("bench-token-1".into());
    sign_compact(key, Some("at+jwt"), &c)
        .unwrap_or_else(|e| fail(&e))
        .expose_secret()
        .to_owned()
}

/// An rmcp client of `url` sending `token`, after the MCP handshake.
async fn client(url: &str, token: &str) -> RunningService<RoleClient, ()> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    config.auth_header = Some(token.to_owned());
    let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
    ().serve(transport).await.unwrap_or_else(|e| fail(&e))
}

fn answered(result: &CallToolResult) -> bool {
    serde_json::to_string(&result.content).is_ok_and(|t| t.contains("renewal due in Q3"))
}

/// `BATCH` calls of `crm_lookup`, `CONCURRENCY` in flight; the time per call.
/// Every call must succeed.
async fn load(peer: &Peer<RoleClient>) -> Duration {
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for _ in 0..CONCURRENCY {
        let peer = peer.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..BATCH / CONCURRENCY {
                let result = peer
                    .call_tool(CallToolRequestParams::new("crm_lookup"))
                    .await
                    .unwrap_or_else(|e| fail(&e));
                if !answered(&result) {
                    fail(&"the tool call returned no answer");
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap_or_else(|e| fail(&e));
    }
    start.elapsed() / BATCH as u32
}

fn request_overhead() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&e));
    runtime.block_on(async {
        let key = SigningKey::generate(Algorithm::Es256).unwrap_or_else(|e| fail(&e));
        let guarded_listener = bind().await;
        let resource = format!(
            "http://{}/mcp",
            guarded_listener.local_addr().unwrap_or_else(|e| fail(&e))
        );
        let guard = Guard::builder(&resource)
            .unwrap_or_else(|e| fail(&e))
            .trust(TrustedIssuer::with_key(ISSUER, key.verifying_key().clone()))
            .scopes(seed_policy(false))
            .hosts(HostPolicy::loopback())
            .resource_access(seed_fga().unwrap_or_else(|e| fail(&e)))
            // The default configuration: the verified-token cache is on, and
            // the client sends the same token on every call, as an agent does.
            .build()
            .unwrap_or_else(|e| fail(&e));
        let guarded = serve(guarded_listener, seed_app().layer(guard.layer())).await;
        let unguarded = serve(bind().await, seed_app()).await;
        let token = token(&key, &resource);
        let ours = client(&guarded, &token).await;
        let theirs = client(&unguarded, &token).await;
        // Warm up both (connections, sessions, caches).
        load(ours.peer()).await;
        load(theirs.peer()).await;
        let (mut ratios, mut ours_t, mut theirs_t) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (o, t) = if round % 2 == 0 {
                let o = load(ours.peer()).await;
                (o, load(theirs.peer()).await)
            } else {
                let t = load(theirs.peer()).await;
                (load(ours.peer()).await, t)
            };
            ratios.push(o.as_secs_f64() / t.as_secs_f64());
            ours_t.push(o.as_nanos() as f64);
            theirs_t.push(t.as_nanos() as f64);
        }
        report(
            "mcp_guard.request.vs_unguarded",
            &mut ratios,
            &mut ours_t,
            &mut theirs_t,
        );
        let _ = ours.cancel().await;
        let _ = theirs.cancel().await;
    });
}

/// The guard's token work on one request, as the layer does it.
fn token_work(guard: &Guard, headers: &HeaderMap, calls: &[mcp_guard::jsonrpc::Call]) -> bool {
    let Ok(Some(token)) = mcp_guard::header::bearer_from_headers(headers) else {
        return false;
    };
    let Some(Ok(principal)) = guard.verifier().verify(token).now_or_never() else {
        return false;
    };
    let required = guard.policy().required("/mcp", calls);
    principal.missing(&required).is_empty()
}

fn validation_overhead() {
    let f = Fixture::new(Algorithm::Es256);
    let guard = Guard::builder(Fixture::AUDIENCE)
        .and_then(|b| {
            b.trust(TrustedIssuer::with_key(
                Fixture::ISSUER,
                f.verifying_key().clone(),
            ))
            .scopes(ScopePolicy::new().tool("crm_lookup", &["mcp:crm:read"]))
            // The full check on every call: the cache would hide it.
            .no_verified_token_cache()
            .build()
        })
        .unwrap_or_else(|e| fail(&e));
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&format!("Bearer {}", f.token)).unwrap_or_else(|e| fail(&e));
    headers.insert(header::AUTHORIZATION, value);
    let calls = mcp_guard::jsonrpc::parse(
        br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"crm_lookup"}}"#,
    )
    .unwrap_or_else(|_| fail(&"the request body is not JSON-RPC"));
    if !(token_work(&guard, &headers, &calls) && f.floor()) {
        fail(&"the guard and the floor must both accept the token");
    }
    compare(
        "mcp_guard.validate.vs_floor",
        || keep(token_work(&guard, &headers, &calls)),
        || keep(f.floor()),
    );
}

/// Runs the group: two `RATIO` lines.
pub fn run() {
    validation_overhead();
    request_overhead();
}
