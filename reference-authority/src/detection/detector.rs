//! The detector handle: fed one audit event at a time, in process (it is an
//! [`AuditSink`]) or by the audit log for every event it appends, whether
//! recorded in process or shipped to the ingestion endpoint.

use super::baseline::BaselineSummary;
use super::config::DetectionConfig;
use super::engine::{Assessment, Engine};
use super::finding::Subject;
use super::risk::{RiskChange, RiskLevel, RiskState};
use agent_auth::audit::{AuditEvent, AuditSink};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;

/// Scores audit events against per-subject baselines. Clones share state.
///
/// Every non-empty [`Assessment`] is also queued for the
/// [`Responder`](super::Responder) ([`take_pending`](Self::take_pending)).
///
/// ```
/// use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
/// use reference_authority::detection::{DetectionConfig, Detector, RiskLevel, Subject};
///
/// let detector = Detector::new(DetectionConfig::default());
/// let agent = Subject::Agent("sales-agent".into());
/// // A token revoked, then presented again.
/// detector.observe(&AuditEvent::new(100, AuditAction::TokenRevoked, Outcome::Success).token_jti("at-1"));
/// let seen = detector.observe(
///     &AuditEvent::new(200, AuditAction::AuthorizationDecision, Outcome::Success)
///         .agent("sales-agent").target("crm://contacts/acme").token_jti("at-1"),
/// );
/// assert_eq!(seen.findings[0].detector.as_str(), "use_after_revocation");
/// assert_eq!(detector.risk(&agent, 200).level, RiskLevel::High);
/// ```
#[derive(Debug, Clone)]
pub struct Detector {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    engine: Mutex<Engine>,
    pending: Mutex<VecDeque<Assessment>>,
    wake: Notify,
}

impl Detector {
    /// A detector with no history.
    pub fn new(config: DetectionConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                engine: Mutex::new(Engine::new(config)),
                pending: Mutex::new(VecDeque::new()),
                wake: Notify::new(),
            }),
        }
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        self.inner
            .engine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn pending(&self) -> MutexGuard<'_, VecDeque<Assessment>> {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The configuration.
    pub fn config(&self) -> DetectionConfig {
        self.engine().config.clone()
    }

    /// Scores one event (time is the event's own) and learns from it.
    pub fn observe(&self, event: &AuditEvent) -> Assessment {
        let assessment = self.engine().observe(event);
        if !assessment.is_empty() {
            self.pending().push_back(assessment.clone());
            self.inner.wake.notify_one();
        }
        assessment
    }

    /// Lets every risk decay to `now` (a clock reading); the levels that
    /// fell are returned and queued like any change.
    pub fn tick(&self, now: i64) -> Vec<RiskChange> {
        let changes = self.engine().tick(now);
        if !changes.is_empty() {
            self.pending().push_back(Assessment {
                findings: Vec::new(),
                changes: changes.clone(),
            });
            self.inner.wake.notify_one();
        }
        changes
    }

    /// The risk of `subject` at `now`.
    pub fn risk(&self, subject: &Subject, now: i64) -> RiskState {
        self.engine().risk(subject, now)
    }

    /// The risk level of the agent with client id `agent` at `now`.
    pub fn agent_level(&self, agent: &str, now: i64) -> RiskLevel {
        self.risk(&Subject::Agent(agent.to_owned()), now).level
    }

    /// What the baseline of `subject` holds, if it was ever seen.
    pub fn baseline(&self, subject: &Subject) -> Option<BaselineSummary> {
        self.engine().baseline(subject)
    }

    /// The assessments not yet handed out, oldest first.
    pub fn take_pending(&self) -> Vec<Assessment> {
        self.pending().drain(..).collect()
    }

    /// Waits until an assessment is pending.
    pub async fn pending_ready(&self) {
        if !self.pending().is_empty() {
            return;
        }
        self.inner.wake.notified().await;
    }
}

impl AuditSink for Detector {
    fn record(&self, event: &AuditEvent) {
        self.observe(event);
    }
}
