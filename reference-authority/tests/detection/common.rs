//! Helpers: a normal history for an agent, and event builders.

use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::detection::{Assessment, Detector, DetectorKind};

/// Midnight UTC, a Monday.
pub(crate) const DAY0: i64 = 1_750_032_000;
pub(crate) const AGENT: &str = "sales-agent-prod-001";

/// A successful read of `resource` by `agent` for `user` at `time`.
pub(crate) fn read(agent: &str, user: &str, resource: &str, time: i64) -> AuditEvent {
    AuditEvent::new(time, AuditAction::AuthorizationDecision, Outcome::Success)
        .agent(agent)
        .user(user)
        .target(resource)
        .detail("network", "10.0.0.0/24")
}

/// `days` days of normal work: 12 reads a day between 09:00 and 17:00 UTC
/// from one network, for sarah, in `crm://contacts` and `docs://proposals`.
pub(crate) fn history(detector: &Detector, agent: &str, days: i64) {
    for day in 0..days {
        for i in 0..12 {
            let t = DAY0 + day * 86_400 + 9 * 3600 + i * 2400;
            let resource = if i % 3 == 0 {
                format!("docs://proposals/p{day}-{i}")
            } else {
                format!("crm://contacts/c{day}-{i}")
            };
            let a = detector.observe(&read(agent, "sarah", &resource, t));
            assert!(a.findings.is_empty(), "history raised {a:?}");
        }
    }
}

/// The detectors that fired in `assessments`.
pub(crate) fn fired(assessments: &[Assessment]) -> Vec<DetectorKind> {
    let mut out: Vec<DetectorKind> = assessments
        .iter()
        .flat_map(|a| a.findings.iter().map(|f| f.detector))
        .collect();
    out.dedup();
    out
}
