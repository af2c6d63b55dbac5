//! Shipping audit events to the authority's log: a component process killed
//! in the middle of the stream loses nothing and duplicates nothing, and an
//! unreachable authority only delays delivery.
//!
//! The test binary is its own child: run with `AUDIT_SHIPPING_CHILD` set, the
//! crash test plays the component (journal, record, ship) instead of the
//! authority.
#![cfg(feature = "audit-shipping")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use agent_auth::audit::shipping::{Shipper, ShippingSink};
use agent_auth::audit::{AuditAction, AuditEvent, AuditSink, Outcome};
use agent_auth::oauth::{ClientAuth, TokenEndpoint};
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner, router};
use reference_authority::{Authority, AuthorityConfig, ClientSpec};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD: &str = "AUDIT_SHIPPING_CHILD";
const SECRET: &str = "shipper-secret-0123456789";
const TEST: &str = "a_component_killed_mid_stream_loses_and_duplicates_nothing";

struct Served {
    issuer: String,
    log: AuditLog,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(listener: tokio::net::TcpListener) -> Served {
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let authority = Authority::builder(&issuer)
        .config(AuthorityConfig::for_tests())
        .build()
        .unwrap();
    authority
        .register_client(
            ClientSpec::confidential("mcp-guard-crm", SECRET)
                .grant_types(vec!["client_credentials"])
                .scopes(vec!["audit:write"]),
        )
        .unwrap();
    let signer = NoteSigner::from_seed("authority.example/audit-log", &[9; 32]).unwrap();
    let log = AuditLog::new(
        "authority.example/audit-log",
        signer,
        LogStorage::in_memory().unwrap(),
    )
    .unwrap();
    let app =
        reference_authority::http::router(authority.clone()).merge(router(log.clone(), authority));
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Served {
        issuer,
        log,
        server,
    }
}

fn open_sink(dir: &std::path::Path, issuer: &str) -> (ShippingSink, Shipper) {
    let token = TokenEndpoint::new(
        format!("{issuer}/token"),
        ClientAuth::basic("mcp-guard-crm", SECRET),
    )
    .unwrap();
    ShippingSink::open(
        dir,
        Shipper::builder(format!("{issuer}/audit-log/events"), token)
            .batch(25)
            .retry_after(Duration::from_millis(20)),
    )
    .unwrap()
}

fn event(i: u64) -> AuditEvent {
    AuditEvent::new(
        1_700_000_000,
        AuditAction::AuthorizationDecision,
        Outcome::Success,
    )
    .id(format!("evt-{i}"))
    .agent("sales-agent-prod-001")
    .user("sarah")
    .target(format!("crm://contacts/{i}"))
}

/// The component: records events `from..to`, printing each once `record`
/// returned (so it is durable), ships in the background, and says when drained.
async fn child() {
    let dir = std::env::var("JOURNAL").unwrap();
    let issuer = std::env::var("ISSUER").unwrap();
    let from: u64 = std::env::var("FROM").unwrap().parse().unwrap();
    let to: u64 = std::env::var("TO").unwrap().parse().unwrap();
    let (sink, shipper) = open_sink(dir.as_ref(), &issuer);
    let shipper = std::sync::Arc::new(shipper);
    let background = std::sync::Arc::clone(&shipper);
    tokio::spawn(async move {
        loop {
            let _ = background.drain().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    for i in from..to {
        sink.record(&event(i));
        println!("recorded {i}");
        if i % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    while !shipper.is_drained() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("drained");
    std::process::exit(0);
}

fn spawn_child(dir: &std::path::Path, issuer: &str, from: u64, to: u64) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .env("JOURNAL", dir)
        .env("ISSUER", issuer)
        .env("FROM", from.to_string())
        .env("TO", to.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The highest `recorded N` line of a child's output, and whether it drained.
fn read_progress(
    lines: impl Iterator<Item = String>,
    stop_after: Option<u64>,
) -> (Option<u64>, bool) {
    let mut last = None;
    for line in lines {
        if line == "drained" {
            return (last, true);
        }
        if let Some(n) = line.strip_prefix("recorded ").and_then(|n| n.parse().ok()) {
            last = Some(n);
            if stop_after.is_some_and(|s| n >= s) {
                return (last, false);
            }
        }
    }
    (last, false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_killed_mid_stream_loses_and_duplicates_nothing() {
    if std::env::var_os(CHILD).is_some() {
        return child().await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = serve(listener).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().to_owned();
    let issuer = served.issuer.clone();

    // First life: killed (SIGKILL, no cleanup) after 300 durable records.
    let recorded_before_kill = tokio::task::spawn_blocking(move || {
        let mut first = spawn_child(&journal, &issuer, 0, 2000);
        let mut lines = BufReader::new(first.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok);
        let (seen, drained) = read_progress(&mut lines, Some(300));
        assert!(!drained);
        first.kill().unwrap();
        first.wait().unwrap();
        // Lines already in the pipe were printed before the kill.
        let (rest, _) = read_progress(lines, None);
        rest.or(seen).unwrap()
    })
    .await
    .unwrap();
    assert!(
        recorded_before_kill < 1999,
        "the child finished before it was killed"
    );
    let before_restart = served.log.size();

    // Second life on the same journal: records more and drains everything.
    let journal = dir.path().to_owned();
    let issuer = served.issuer.clone();
    let drained = tokio::task::spawn_blocking(move || {
        let mut second = spawn_child(&journal, &issuer, 5000, 5100);
        let lines = BufReader::new(second.stdout.take().unwrap())
            .lines()
            .map_while(Result::ok);
        let (_, drained) = read_progress(lines, None);
        second.wait().unwrap();
        drained
    })
    .await
    .unwrap();
    assert!(drained, "the restarted component did not drain its journal");

    let mut seen: HashMap<String, u64> = HashMap::new();
    for index in 0..served.log.size() {
        let entry = served.log.entry(index).unwrap();
        assert_eq!(entry.reporter.as_deref(), Some("mcp-guard-crm"));
        *seen.entry(entry.event.id.unwrap()).or_default() += 1;
    }
    // Exactly once: no id twice.
    assert!(
        seen.values().all(|n| *n == 1),
        "duplicated events: {seen:?}"
    );
    // Nothing lost: every event whose record returned before the kill arrived,
    // and every event of the second life.
    for i in (0..=recorded_before_kill).chain(5000..5100) {
        assert!(seen.contains_key(&format!("evt-{i}")), "evt-{i} was lost");
    }
    // Only the one event possibly in flight at the kill may be there besides.
    let extra = seen.len() as u64 - (recorded_before_kill + 1) - 100;
    assert!(
        extra <= 1,
        "{extra} events appeared that were never recorded"
    );
    assert!(before_restart <= served.log.size());
}

#[tokio::test]
async fn events_recorded_while_the_authority_is_down_arrive_when_it_is_back() {
    // Reserve a port, keep it closed for now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let issuer = format!("http://{address}");
    let dir = tempfile::tempdir().unwrap();
    let (sink, shipper) = open_sink(dir.path(), &issuer);
    for i in 0..40 {
        sink.record(&event(i));
    }
    assert!(shipper.ship_once().await.is_err());
    assert!(!shipper.is_drained());
    let served = serve(tokio::net::TcpListener::bind(address).await.unwrap()).await;
    assert_eq!(shipper.drain().await.unwrap(), 40);
    assert_eq!(served.log.size(), 40);
    assert!(shipper.is_drained());
}
