//! The scoring of one event: observation, detectors, baselines, risk.

use super::baseline::{Baseline, BaselineSummary};
use super::config::DetectionConfig;
use super::detectors::token_memory::TokenMemory;
use super::detectors::{self, hour_of};
use super::finding::{DetectorKind, Finding, Subject};
use super::observation::{Activity, Observation};
use super::risk::{Risk, RiskChange, RiskState};
use agent_auth::audit::AuditEvent;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// One detector rule over an observation and the subject's baseline.
type Rule = fn(&Observation<'_>, &mut Baseline, &DetectionConfig) -> Option<String>;

/// The rules run for an agent, in order.
const AGENT_RULES: [(DetectorKind, Rule); 7] = [
    (DetectorKind::VolumeSpike, detectors::volume_spike::check),
    (
        DetectorKind::FirstSeenResourceType,
        detectors::first_seen::check,
    ),
    (DetectorKind::FailureBurst, detectors::failure_burst::check),
    (DetectorKind::OffHours, detectors::off_hours::check),
    (DetectorKind::NewNetwork, detectors::new_network::check),
    (
        DetectorKind::ScopeEscalation,
        detectors::scope_escalation::check,
    ),
    (DetectorKind::FanOut, detectors::fan_out::check),
];

/// The rules run for the user an agent acts for, in order.
const USER_RULES: [(DetectorKind, Rule); 2] = [
    (DetectorKind::VolumeSpike, detectors::volume_spike::check),
    (DetectorKind::FailureBurst, detectors::failure_burst::check),
];

/// What one event led to: the findings (after cooldown) and the risk changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Assessment {
    /// The detections.
    pub findings: Vec<Finding>,
    /// The risk levels that changed.
    pub changes: Vec<RiskChange>,
}

impl Assessment {
    /// Whether nothing was found and nothing changed.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.changes.is_empty()
    }
}

#[derive(Debug, Default)]
struct SubjectState {
    baseline: Baseline,
    risk: Risk,
    last_fired: HashMap<DetectorKind, i64>,
}

/// The detector's whole state.
#[derive(Debug, Default)]
pub(crate) struct Engine {
    pub(crate) config: DetectionConfig,
    subjects: HashMap<Subject, SubjectState>,
    tokens: TokenMemory,
}

impl Engine {
    pub(crate) fn new(config: DetectionConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    pub(crate) fn observe(&mut self, event: &AuditEvent) -> Assessment {
        let obs = Observation::of(event);
        match obs.activity {
            Activity::Other => return Assessment::default(),
            Activity::Revocation => {
                for jti in obs.revoked_jtis() {
                    self.tokens
                        .revoke(jti, obs.time, self.config.revoked_memory);
                }
                return Assessment::default();
            }
            Activity::Access | Activity::Token | Activity::Approval => {}
        }
        let agent = obs.agent.map(|a| Subject::Agent(a.to_owned()));
        let user = obs.user.map(|u| Subject::User(u.to_owned()));
        let mut raw: Vec<(Subject, DetectorKind, String)> = Vec::new();
        if let Some(owner) = agent.clone().or_else(|| user.clone()) {
            let c = &self.config;
            if let Some(r) = detectors::token_replay::check(&obs, &mut self.tokens, c) {
                raw.push((owner.clone(), DetectorKind::TokenReplay, r));
            }
            if let Some(r) = detectors::use_after_revocation::check(&obs, &self.tokens) {
                raw.push((owner, DetectorKind::UseAfterRevocation, r));
            }
        }
        if let Some(subject) = agent {
            let found = self.run_rules(&subject, &obs, &AGENT_RULES);
            raw.extend(found.into_iter().map(|(k, r)| (subject.clone(), k, r)));
        }
        // On-behalf-of activity counts for the user too.
        if let Some(subject) = user {
            let found = self.run_rules(&subject, &obs, &USER_RULES);
            raw.extend(found.into_iter().map(|(k, r)| (subject.clone(), k, r)));
        }
        self.score(&obs, raw)
    }

    fn state(&mut self, subject: &Subject, time: i64) -> &mut SubjectState {
        let state = self.subjects.entry(subject.clone()).or_default();
        state.baseline.roll(time, &self.config);
        state
    }

    /// Runs `rules` in order on the subject's baseline, then learns from
    /// the observation.
    fn run_rules(
        &mut self,
        subject: &Subject,
        obs: &Observation<'_>,
        rules: &[(DetectorKind, Rule)],
    ) -> Vec<(DetectorKind, String)> {
        let config = self.config.clone();
        let base = &mut self.state(subject, obs.time).baseline;
        let found = rules
            .iter()
            .filter_map(|(kind, rule)| rule(obs, base, &config).map(|r| (*kind, r)))
            .collect();
        learn(base, obs);
        found
    }

    /// Applies the cooldown, then adds the points of what remains.
    fn score(
        &mut self,
        obs: &Observation<'_>,
        raw: Vec<(Subject, DetectorKind, String)>,
    ) -> Assessment {
        let mut assessment = Assessment::default();
        let cooldown = self.config.cooldown;
        for (subject, kind, reason) in raw {
            let config = self.config.clone();
            let state = self.state(&subject, obs.time);
            let cooling = state
                .last_fired
                .get(&kind)
                .is_some_and(|t| obs.time - *t < cooldown);
            if cooling {
                // The same episode goes on: it stays one alert while the
                // condition holds, and a new one needs `cooldown` of calm.
                state.last_fired.insert(kind, obs.time);
                continue;
            }
            state.last_fired.insert(kind, obs.time);
            let finding = Finding {
                detector: kind,
                subject,
                time: obs.time,
                reason,
                user: obs.user.map(str::to_owned),
                event_id: obs.event.id.clone(),
            };
            if let Some(change) = state.risk.add(finding.clone(), &config) {
                assessment.changes.push(change);
            }
            assessment.findings.push(finding);
        }
        assessment
    }

    /// Lets every risk decay to `now`; returns the levels that fell.
    pub(crate) fn tick(&mut self, now: i64) -> Vec<RiskChange> {
        let config = &self.config;
        let mut changes: Vec<RiskChange> = self
            .subjects
            .iter_mut()
            .filter_map(|(subject, s)| s.risk.tick(subject, now, config))
            .collect();
        changes.sort_by(|a, b| a.subject.cmp(&b.subject));
        changes
    }

    pub(crate) fn risk(&self, subject: &Subject, now: i64) -> RiskState {
        self.subjects
            .get(subject)
            .map(|s| s.risk.state(now, &self.config))
            .unwrap_or_else(|| Risk::default().state(now, &self.config))
    }

    pub(crate) fn baseline(&self, subject: &Subject) -> Option<BaselineSummary> {
        self.subjects
            .get(subject)
            .map(|s| s.baseline.summary(&self.config))
    }
}

fn learn(base: &mut Baseline, obs: &Observation<'_>) {
    base.learn(
        hour_of(obs.time),
        obs.activity == Activity::Access,
        obs.is_failure(),
        obs.activity == Activity::Approval,
        obs.event.details.get("scope").and_then(Value::as_str),
    );
}
