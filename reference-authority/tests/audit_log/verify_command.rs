//! The `audit-verify` command on a good log, a tampered one, and one entry.

use super::common::{ORIGIN, file_log};
use reference_authority::audit_log::LogStorage;
use std::process::Command;

fn audit_verify(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_audit-verify"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap(), text)
}

#[test]
fn verify_command_checks_a_log_and_names_the_first_modified_entry() {
    let (dir, path, log) = file_log(9);
    let checkpoint = dir.path().join("checkpoint");
    std::fs::write(&checkpoint, log.checkpoint()).unwrap();
    let key = log.verifier().to_string();
    let db = path.to_str().unwrap();
    let cp = checkpoint.to_str().unwrap();
    assert_eq!(key.split('+').next(), Some(ORIGIN));
    let (code, text) = audit_verify(&["log", "--database", db, "--key", &key, "--checkpoint", cp]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("verified 9 entries"), "{text}");
    let (code, text) = audit_verify(&[
        "entry",
        "--database",
        db,
        "--key",
        &key,
        "--checkpoint",
        cp,
        "--index",
        "4",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("4 hashes of proof"), "{text}");
    drop(log);
    LogStorage::open(&path)
        .unwrap()
        .raw()
        .execute_batch("UPDATE audit_entries SET body = CAST(replace(CAST(body AS TEXT), 'crm://', 'ftp://') AS BLOB) WHERE idx = 6")
        .unwrap();
    let (code, text) = audit_verify(&["log", "--database", db, "--key", &key, "--checkpoint", cp]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("entry 6 was modified"), "{text}");
    let (code, text) = audit_verify(&[
        "entry",
        "--database",
        db,
        "--key",
        &key,
        "--checkpoint",
        cp,
        "--index",
        "6",
    ]);
    assert_eq!(code, 1, "{text}");
    let (code, _) = audit_verify(&["log", "--database", db, "--key", "not-a-key"]);
    assert_eq!(code, 2);
}
