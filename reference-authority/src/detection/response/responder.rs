//! The responder: takes the detector's assessments and carries out the
//! policy, each step audited with the detections that caused it.

use super::gate::Gates;
use super::policy::{Action, ResponsePolicy};
use crate::Authority;
use crate::detection::detector::Detector;
use crate::detection::engine::Assessment;
use crate::detection::finding::{Finding, Subject};
use crate::detection::risk::{RiskChange, RiskLevel};
use crate::kill_switch::KillSwitch;
use crate::notify::Notifier;
use crate::signals::Transmitter;
use agent_auth::audit::{AuditAction, Outcome};
use std::sync::Arc;

/// What the responder did about one risk change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResponseReport {
    /// The change.
    pub change: RiskChange,
    /// The `risk-level-change` SETs queued (their `jti`s).
    pub signals: Vec<String>,
    /// Each action taken, and its error if it failed.
    pub actions: Vec<(Action, Result<(), String>)>,
}

/// Carries out the [`ResponsePolicy`] for every risk change of a
/// [`Detector`]. Cheap to clone.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use reference_authority::detection::{DetectionConfig, Detector, Responder, ResponsePolicy};
/// use reference_authority::{Authority, AuthorityConfig};
///
/// let authority = Authority::builder("https://idp.example").config(AuthorityConfig::for_tests()).build()?;
/// let detector = Detector::new(DetectionConfig::default());
/// let responder = Responder::new(&authority, detector.clone(), ResponsePolicy::default());
/// assert!(responder.process_pending().await.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Responder {
    pub(super) authority: Authority,
    pub(super) detector: Detector,
    pub(super) policy: ResponsePolicy,
    pub(super) kill: Option<KillSwitch>,
    pub(super) signals: Option<Transmitter>,
    pub(super) notifier: Option<Arc<dyn Notifier>>,
    pub(crate) gates: Gates,
}

impl Responder {
    /// A responder at `authority` for `detector`'s changes.
    pub fn new(authority: &Authority, detector: Detector, policy: ResponsePolicy) -> Self {
        Self {
            authority: authority.clone(),
            detector,
            policy,
            kill: None,
            signals: None,
            notifier: None,
            gates: Gates::default(),
        }
    }

    /// Logs agents out through this kill switch (needed for [`Action::Logout`]
    /// and [`Action::Rotate`]).
    #[must_use]
    pub fn kill_switch(mut self, kill: KillSwitch) -> Self {
        self.kill = Some(kill);
        self
    }

    /// Sends CAEP `risk-level-change` SETs through this transmitter.
    #[must_use]
    pub fn signals(mut self, transmitter: Transmitter) -> Self {
        self.signals = Some(transmitter);
        self
    }

    /// Tells people through this notifier (default: the registry's).
    #[must_use]
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Handles every pending assessment of the detector: each finding is
    /// audited, each change of an agent's or user's level is answered.
    pub async fn process_pending(&self) -> Vec<ResponseReport> {
        let mut reports = Vec::new();
        for assessment in self.detector.take_pending() {
            reports.extend(self.handle(&assessment).await);
        }
        reports
    }

    /// Answers changes as they come, until the task is dropped.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                self.detector.pending_ready().await;
                self.process_pending().await;
            }
        })
    }

    async fn handle(&self, assessment: &Assessment) -> Vec<ResponseReport> {
        for finding in &assessment.findings {
            self.audit_finding(finding);
        }
        let mut reports = Vec::new();
        for change in &assessment.changes {
            reports.push(self.respond(change).await);
        }
        reports
    }

    fn audit_finding(&self, f: &Finding) {
        self.authority.audit(
            AuditAction::Other("anomaly_detected".into()),
            Outcome::Success,
            |e| {
                let e = subject_of(e, &f.subject)
                    .reason(f.reason.clone())
                    .detail("detector", f.detector.as_str())
                    .detail("observed_at", f.time);
                match &f.event_id {
                    Some(id) => e.detail("event_id", id.clone()),
                    None => e,
                }
            },
        );
    }

    /// Answers one change: the `RiskChanged` audit event, the CAEP SET, then
    /// (for a rise of an agent) the policy's actions, each audited.
    pub async fn respond(&self, change: &RiskChange) -> ResponseReport {
        let detections: Vec<&str> = change
            .findings
            .iter()
            .map(|f| f.detector.as_str())
            .collect();
        self.authority
            .audit(AuditAction::RiskChanged, Outcome::Success, |e| {
                subject_of(e, &change.subject)
                    .reason(format!("risk {} -> {}", change.from, change.to))
                    .detail("from", change.from.as_str())
                    .detail("to", change.to.as_str())
                    .detail("score", change.score.round())
                    .detail("detections", detections.clone())
                    .detail("reasons", change.reasons())
            });
        let signals = self.signal(change).await;
        let mut actions = Vec::new();
        if let Subject::Agent(agent) = &change.subject {
            if change.to == RiskLevel::Low {
                self.gates.lift(agent);
            }
            if change.to > change.from {
                for action in self.policy.actions(change.to).to_vec() {
                    let result = self.act(action, agent, change).await;
                    self.authority.audit(
                        AuditAction::Other("detection_response".into()),
                        if result.is_ok() {
                            Outcome::Success
                        } else {
                            Outcome::Error
                        },
                        |e| {
                            let e = e
                                .agent(agent.clone())
                                .reason(format!("risk {}", change.to))
                                .detail("response", action.as_str())
                                .detail("detections", detections.clone())
                                .detail("reasons", change.reasons());
                            match &result {
                                Err(err) => e.detail("error", err.clone()),
                                Ok(()) => e,
                            }
                        },
                    );
                    actions.push((action, result));
                }
            }
        } else if let Subject::User(user) = &change.subject
            && change.to > change.from
            && self.policy.actions(change.to).contains(&Action::Notify)
        {
            let result = self.notify_user_risk(user, change).await;
            actions.push((Action::Notify, result));
        }
        ResponseReport {
            change: change.clone(),
            signals,
            actions,
        }
    }
}

/// Names the subject on an audit event.
fn subject_of(e: agent_auth::audit::AuditEvent, s: &Subject) -> agent_auth::audit::AuditEvent {
    match s {
        Subject::Agent(a) => e.agent(a.clone()),
        Subject::User(u) => e.user(u.clone()),
    }
}
