//! Helpers: a signed log in a temporary SQLite file and a stream of events.

use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};
use std::path::PathBuf;

pub(crate) const ORIGIN: &str = "authority.example/audit-log";

pub(crate) fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &[42; 32]).unwrap()
}

/// A log in a fresh file, with `n` events appended one batch each.
pub(crate) fn file_log(n: u64) -> (tempfile::TempDir, PathBuf, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite");
    let log = AuditLog::new(ORIGIN, signer(), LogStorage::open(&path).unwrap()).unwrap();
    for i in 0..n {
        log.append(None, &[event(i)]).unwrap();
    }
    (dir, path, log)
}

pub(crate) fn event(i: u64) -> AuditEvent {
    AuditEvent::new(
        1_700_000_000 + i as i64,
        AuditAction::AuthorizationDecision,
        if i.is_multiple_of(3) {
            Outcome::Denied
        } else {
            Outcome::Success
        },
    )
    .id(format!("evt-{i}"))
    .agent("sales-agent-prod-001")
    .user(if i.is_multiple_of(2) { "sarah" } else { "tom" })
    .target(format!("crm://contacts/{i}"))
    .request_id(format!("req-{}", i / 4))
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
