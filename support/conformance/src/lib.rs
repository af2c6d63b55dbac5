//! Locates the external conformance data (OpenFGA suites, Wycheproof vectors,
//! RFC 7520 examples, gitleaks rules) that the workspace's tests read.
//!
//! The data is never copied into the repository. Tests find it through one
//! environment variable, [`DIR_ENV`]; when unset, the folder
//! `../shared/conformance` beside the workspace is used if present.
//!
//! When [`REQUIRED_ENV`] is set (CI does), a missing suite fails the test;
//! otherwise the test prints which suite did not run and how to enable it.

use std::path::{Path, PathBuf};

/// Environment variable naming the conformance data folder.
pub const DIR_ENV: &str = "AGENT_AUTH_CONFORMANCE_DIR";

/// Environment variable that, when set to a non-empty value, makes every suite mandatory.
pub const REQUIRED_ENV: &str = "AGENT_AUTH_CONFORMANCE_REQUIRED";

/// The conformance data root: [`DIR_ENV`] if set, else `../shared/conformance`
/// next to the workspace root.
pub fn root() -> PathBuf {
    match std::env::var_os(DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

/// Whether missing suites must fail the run.
pub fn required() -> bool {
    std::env::var_os(REQUIRED_ENV).is_some_and(|v| !v.is_empty())
}

/// The folder of one suite (`wycheproof`, `rfc7520`, `openfga`, `openfga-language`,
/// `secret-rules`), or `None` after printing why the suite does not run.
///
/// # Panics
/// When the suite is missing and [`REQUIRED_ENV`] is set: a mandatory suite that
/// cannot run is a failure, never a silent skip.
#[allow(clippy::panic)]
pub fn suite(name: &str) -> Option<PathBuf> {
    let dir = root().join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!(
        "conformance suite `{name}` did not run: {} not found; set {DIR_ENV} to the conformance data folder",
        dir.display()
    );
    if required() {
        panic!("{message} ({REQUIRED_ENV} is set)");
    }
    eprintln!("{message}");
    None
}

/// Reads one file of a suite, or `None` when the suite does not run.
///
/// # Panics
/// When the suite exists but the file cannot be read, or as [`suite`] does.
#[allow(clippy::panic)]
pub fn read(suite_name: &str, file: &str) -> Option<String> {
    let path = suite(suite_name)?.join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

#[cfg(feature = "secret-samples")]
pub mod secret_samples;
