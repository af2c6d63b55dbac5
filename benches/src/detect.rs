//! The `detect` group.
//!
//! - `detect.event.vs_audit_append`: scoring one audit event with a detector
//!   that knows 1,000 agents with two weeks of history each (observation,
//!   the nine rules, baseline learning, risk) against appending the same
//!   event to the durable audit log (one entry, leaf and node hashes, the
//!   SQLite commit, the signed checkpoint), which is how an event recorded
//!   in process reaches the detector. Detection must never be the bottleneck.

use crate::measure::{compare, keep};
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::audit_log::{AuditLog, LogStorage, NoteSigner};
use reference_authority::detection::{DetectionConfig, Detector};

const ORIGIN: &str = "bench.example/detect";
const AGENTS: u64 = 1_000;
const DAY0: i64 = 1_750_032_000;

fn exit(msg: &str) -> ! {
    eprintln!("detect bench: {msg}");
    std::process::exit(1)
}

fn event(i: u64, time: i64) -> AuditEvent {
    let agent = i % AGENTS;
    AuditEvent::new(time, AuditAction::AuthorizationDecision, Outcome::Success)
        .id(format!("evt-{i:012}"))
        .agent(format!("agent-{agent:04}"))
        .user(format!("user-{agent:04}"))
        .target(format!("crm://contacts/r{}", i % 5_000))
        .token_jti(format!("at-{agent}-{}", time / 3600))
        .detail("network", format!("10.0.{}.0/24", agent % 250))
}

/// Runs the group.
pub fn run() {
    let detector = Detector::new(DetectionConfig::default());
    // Two weeks of 20 reads a day per agent, in working hours.
    let mut n = 0u64;
    for day in 0..14 {
        for k in 0..20 {
            for _ in 0..AGENTS {
                let t = DAY0 + day * 86_400 + 9 * 3600 + k * 1_500;
                keep(detector.observe(&event(n, t)));
                n += 1;
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("detect-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let signer = NoteSigner::from_seed(ORIGIN, &[5; 32]).unwrap_or_else(|e| exit(&e.to_string()));
    let storage = LogStorage::open(dir.join("log.sqlite")).unwrap_or_else(|e| exit(&e.to_string()));
    let log = AuditLog::new(ORIGIN, signer, storage).unwrap_or_else(|e| exit(&e.to_string()));
    let live = DAY0 + 15 * 86_400 + 9 * 3600;
    let mut scored = n;
    let mut appended = n;
    compare(
        "detect.event.vs_audit_append",
        || {
            let e = event(scored, live + (scored % 20_000) as i64);
            scored += 1;
            keep(detector.observe(&e));
        },
        || {
            let e = event(appended, live + (appended % 20_000) as i64);
            appended += 1;
            keep(
                log.append(None, std::slice::from_ref(&e))
                    .unwrap_or_else(|err| exit(&err.to_string())),
            );
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
}
