//! Interop with the official OpenFGA JavaScript packages (installed in the workspace's
//! `peers/` folder by the test script): the DSL transformer cross-checks our DSL parser and
//! writer on models of our own, and the `@openfga/sdk` client runs a scripted session
//! against our OpenFGA-compatible router.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use fga_core::model::dsl;

/// The peers folder with its packages installed, or `None` after printing why the test
/// does not run (a failure when conformance suites are mandatory, as in CI).
fn peers() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../peers");
    let installed = dir
        .join("node_modules/@openfga/syntax-transformer")
        .is_dir()
        && dir.join("node_modules/@openfga/sdk").is_dir();
    let node = Command::new("node").arg("--version").output().is_ok();
    if installed && node {
        return Some(dir);
    }
    let message =
        "OpenFGA JS peers did not run: node or peers/node_modules missing (run `npm ci` in peers/)";
    if conformance::required() {
        panic!("{message}");
    }
    eprintln!("{message}");
    None
}

const MODELS: &[&str] = &[
    "model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]
    define owner: [user]
    define admin: owner or member

type folder
  relations
    define parent: [folder]
    define viewer: [user, group#member, user:*] or viewer from parent
    define blocked: [user]
    define can_view: viewer but not blocked

type document
  relations
    define parent: [folder]
    define editor: [user with in_network]
    define viewer: ([user] or editor) and viewer from parent
    define can_share: (editor but not blocked from parent) or can_view from parent
    define owner: [user]

condition in_network(ip: ipaddress, cidr: string) {
  ip.in_cidr(cidr)
}
",
    "model
  schema 1.1

type user

type section
  relations
    define parent: [report]
    define restricted: [user]
    define viewer: viewer from parent but not restricted

type report
  relations
    define division: [division]
    define viewer: [user, user:* with business_hours] or member from division

type division
  relations
    define member: [user]

condition business_hours(now: timestamp, start: duration, tags: list<string>, limits: map<int>, ip: ipaddress, ratio: double, n: uint, ok: bool) {
  ok && now > timestamp(\"2024-01-01T00:00:00Z\") && start > duration(\"1h\") && \"a\" in tags && limits[\"x\"] > 1 && ip.in_cidr(\"10.0.0.0/8\") && ratio > 0.5 && n > 1u
}
",
];

#[test]
fn dsl_matches_the_official_transformer() {
    let Some(peers) = peers() else {
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/dsl_transform.mjs");
    let mut child = Command::new("node")
        .arg(&script)
        .env("PEERS_DIR", &peers)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(MODELS).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "transformer script failed");
    let theirs: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(theirs.len(), MODELS.len());
    for (text, their) in MODELS.iter().zip(theirs) {
        let ours = dsl::parse(text).unwrap();
        assert_eq!(
            serde_json::to_value(&ours).unwrap(),
            their["json"],
            "DSL -> JSON of:\n{text}"
        );
        let their_dsl = their["dsl"].as_str().unwrap();
        assert_eq!(
            dsl::to_dsl(&ours).unwrap().trim_end(),
            their_dsl.trim_end(),
            "JSON -> DSL"
        );
    }
}

#[cfg(feature = "http")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_sdk_works_against_our_router() {
    use std::sync::Arc;

    let Some(peers) = peers() else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = fga_core::http::router(Arc::new(fga_core::http::Stores::default()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sdk_interop.mjs");
    let url = format!("http://{addr}");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .arg(url)
            .env("PEERS_DIR", &peers)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "sdk session failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("interop complete"), "{stdout}");
}
