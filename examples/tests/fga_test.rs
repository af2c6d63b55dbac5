//! The `fga-test` binary on store files of our own: a passing one, a failing one, and
//! usage errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

fn run(args: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fga-test"))
        .args(args)
        .output()
        .expect("fga-test runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn passing_store_file() {
    let out = run(&[data("reports.fga.yaml")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let pass = lines.iter().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(pass, 9, "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    assert!(text.contains(
        "PASS division members see their division's reports: check user:alice viewer document:q3-sales"
    ));
    assert_eq!(lines.last(), Some(&"9 passed, 0 failed"));
}

#[test]
fn failing_store_file() {
    let out = run(&[data("failing.fga.yaml")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("PASS expectations: check user:alice viewer document:plan"));
    assert!(text.contains(
        "FAIL expectations: check user:bob viewer document:plan (expected true, got false)"
    ));
    assert_eq!(text.lines().last(), Some("1 passed, 1 failed"));
}

#[test]
fn totals_span_files() {
    let out = run(&[data("reports.fga.yaml"), data("failing.fga.yaml")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().last(), Some("10 passed, 1 failed"));
}

#[test]
fn unreadable_file_and_usage() {
    let out = run(&[data("no-such-file.fga.yaml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file.fga.yaml"));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: fga-test"));
}
