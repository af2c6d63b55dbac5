//! What a detector reports: its kind, the subject, and a reason for humans.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The detectors, one per rule (see `docs/detection.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    /// Far more accesses in the short window than the subject ever made.
    VolumeSpike,
    /// A resource type the agent never touched.
    FirstSeenResourceType,
    /// Many refusals (denials, invalid tokens) in the short window.
    FailureBurst,
    /// Activity at hours the agent is never active.
    OffHours,
    /// Activity from a network the agent never used.
    NewNetwork,
    /// Repeated attempts at scopes the agent does not hold.
    ScopeEscalation,
    /// One token (`jti`) used from two networks.
    TokenReplay,
    /// A token used after it was revoked (logout, kill switch, RFC 7009).
    UseAfterRevocation,
    /// Data of far more users than usual within the long window.
    FanOut,
}

impl DetectorKind {
    /// Every detector.
    pub const ALL: [DetectorKind; 9] = [
        DetectorKind::VolumeSpike,
        DetectorKind::FirstSeenResourceType,
        DetectorKind::FailureBurst,
        DetectorKind::OffHours,
        DetectorKind::NewNetwork,
        DetectorKind::ScopeEscalation,
        DetectorKind::TokenReplay,
        DetectorKind::UseAfterRevocation,
        DetectorKind::FanOut,
    ];

    /// The snake_case name (`volume_spike`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorKind::VolumeSpike => "volume_spike",
            DetectorKind::FirstSeenResourceType => "first_seen_resource_type",
            DetectorKind::FailureBurst => "failure_burst",
            DetectorKind::OffHours => "off_hours",
            DetectorKind::NewNetwork => "new_network",
            DetectorKind::ScopeEscalation => "scope_escalation",
            DetectorKind::TokenReplay => "token_replay",
            DetectorKind::UseAfterRevocation => "use_after_revocation",
            DetectorKind::FanOut => "fan_out",
        }
    }
}

impl fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose behaviour is scored: an agent (its client id) or a user it acts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Subject {
    /// An agent, by OAuth client id.
    Agent(String),
    /// A user, by authority user id.
    User(String),
}

impl Subject {
    /// The identifier.
    pub fn id(&self) -> &str {
        match self {
            Subject::Agent(id) | Subject::User(id) => id,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Agent(id) => write!(f, "agent:{id}"),
            Subject::User(id) => write!(f, "user:{id}"),
        }
    }
}

/// One detection: which rule fired, for whom, when, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule.
    pub detector: DetectorKind,
    /// Whose behaviour.
    pub subject: Subject,
    /// The time of the event that fired it.
    pub time: i64,
    /// A sentence naming the observed and the expected values (no secrets).
    pub reason: String,
    /// The user the event acted for, if any (to tell them).
    pub user: Option<String>,
    /// The id of the audit event that fired it, if it had one.
    pub event_id: Option<String>,
}
