//! The planted attacks, one per detector, and the events each one adds.

use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use reference_authority::detection::DetectorKind;

/// One kind of planted attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scenario(pub DetectorKind);

impl Scenario {
    /// Every scenario, one per detector.
    pub fn all() -> Vec<Scenario> {
        DetectorKind::ALL.iter().copied().map(Scenario).collect()
    }

    /// Its name (the detector's).
    pub fn name(self) -> &'static str {
        self.0.as_str()
    }

    /// Seconds from the attack's start in which detections count for it.
    pub(crate) fn span(self) -> i64 {
        match self.0 {
            DetectorKind::OffHours | DetectorKind::FanOut => 3600,
            _ => 1200,
        }
    }

    /// The attack's events for `agent` starting at `start`. `net` is the
    /// agent's usual network, `users` its usual users.
    pub(crate) fn events(
        self,
        agent: &str,
        start: i64,
        net: &str,
        users: &[String],
    ) -> Vec<AuditEvent> {
        let user = users.first().cloned().unwrap_or_default();
        let read = |t: i64, u: &str, res: String, network: &str| {
            AuditEvent::new(t, AuditAction::AuthorizationDecision, Outcome::Success)
                .agent(agent)
                .user(u)
                .target(res)
                .detail("network", network.to_owned())
        };
        match self.0 {
            // The seed case: 500 CRM records in ten minutes.
            DetectorKind::VolumeSpike => (0..500)
                .map(|i| {
                    read(
                        start + i * 600 / 500,
                        &user,
                        format!("crm://contacts/bulk-{i}"),
                        net,
                    )
                })
                .collect(),
            DetectorKind::FirstSeenResourceType => (0..3)
                .map(|i| read(start + i * 60, &user, format!("hr://salaries/emp-{i}"), net))
                .collect(),
            DetectorKind::FailureBurst => (0..15)
                .map(|i| {
                    AuditEvent::new(start + i * 20, AuditAction::TokenValidated, Outcome::Denied)
                        .agent(agent)
                        .reason("invalid_token")
                        .detail("network", net.to_owned())
                })
                .collect(),
            DetectorKind::OffHours => (0..5)
                .map(|i| {
                    read(
                        start + i * 300,
                        &user,
                        format!("crm://contacts/night-{i}"),
                        net,
                    )
                })
                .collect(),
            DetectorKind::NewNetwork => (0..3)
                .map(|i| {
                    read(
                        start + i * 60,
                        &user,
                        format!("crm://contacts/n-{i}"),
                        "198.51.100.0/24",
                    )
                })
                .collect(),
            DetectorKind::ScopeEscalation => (0..3)
                .map(|i| {
                    AuditEvent::new(start + i * 120, AuditAction::TokenIssued, Outcome::Denied)
                        .agent(agent)
                        .reason("invalid_scope")
                        .detail("scope", "crm:admin")
                        .detail("network", net.to_owned())
                })
                .collect(),
            DetectorKind::TokenReplay => {
                let jti = format!("stolen-{agent}-{start}");
                vec![
                    read(start, &user, "crm://contacts/r-1".into(), net).token_jti(jti.clone()),
                    read(
                        start + 30,
                        &user,
                        "crm://contacts/r-2".into(),
                        "203.0.113.0/24",
                    )
                    .token_jti(jti),
                ]
            }
            DetectorKind::UseAfterRevocation => {
                let jti = format!("revoked-{agent}-{start}");
                vec![
                    AuditEvent::new(start, AuditAction::TokenRevoked, Outcome::Success)
                        .detail("jtis", vec![jti.clone()])
                        .detail("target", format!("agent:{agent}")),
                    read(start + 300, &user, "crm://contacts/after".into(), net).token_jti(jti),
                ]
            }
            DetectorKind::FanOut => (0..30)
                .map(|i| {
                    read(
                        start + i * 60,
                        &format!("{agent}-victim-{i}"),
                        format!("crm://contacts/v-{i}"),
                        net,
                    )
                })
                .collect(),
        }
    }
}
