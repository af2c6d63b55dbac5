//! Risk per subject: points from findings, halving every `half_life`,
//! read as LOW / MEDIUM / HIGH (the CAEP 1.0 section 3.8 levels).

use super::config::DetectionConfig;
use super::finding::{Finding, Subject};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many findings a risk keeps as its reasons.
const KEPT_REASONS: usize = 8;

/// A risk level: the CAEP levels of `agent_auth::risk`, which guards read.
pub use agent_auth::risk::RiskLevel;

/// A change of a subject's risk level, with the findings behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskChange {
    /// Whose risk.
    pub subject: Subject,
    /// The level before.
    pub from: RiskLevel,
    /// The level now.
    pub to: RiskLevel,
    /// The points now.
    pub score: f64,
    /// When.
    pub time: i64,
    /// The recent findings that made up the score, oldest first.
    pub findings: Vec<Finding>,
}

impl RiskChange {
    /// The reasons, one `detector: reason` string per finding.
    pub fn reasons(&self) -> Vec<String> {
        self.findings
            .iter()
            .map(|f| format!("{}: {}", f.detector, f.reason))
            .collect()
    }
}

/// The risk of one subject now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RiskState {
    /// The level.
    pub level: RiskLevel,
    /// The points (decayed to the time asked).
    pub score: f64,
    /// The recent findings, oldest first.
    pub findings: Vec<Finding>,
}

/// Decaying points of one subject.
#[derive(Debug, Clone, Default)]
pub(crate) struct Risk {
    score: f64,
    at: i64,
    level: RiskLevel,
    findings: VecDeque<Finding>,
}

impl Risk {
    fn decayed(&self, now: i64, config: &DetectionConfig) -> f64 {
        let elapsed = (now - self.at).max(0) as f64;
        let half = config.half_life.max(1) as f64;
        self.score * 0.5_f64.powf(elapsed / half)
    }

    /// Adds a finding's points; returns the change of level, if any.
    pub(crate) fn add(&mut self, finding: Finding, config: &DetectionConfig) -> Option<RiskChange> {
        let now = finding.time.max(self.at);
        self.score = self.decayed(now, config) + config.points(finding.detector);
        self.at = now;
        let subject = finding.subject.clone();
        self.findings.push_back(finding);
        while self.findings.len() > KEPT_REASONS {
            self.findings.pop_front();
        }
        self.settle(subject, now, config)
    }

    /// Lets the points decay to `now`; returns the change of level, if any.
    pub(crate) fn tick(
        &mut self,
        subject: &Subject,
        now: i64,
        config: &DetectionConfig,
    ) -> Option<RiskChange> {
        if now <= self.at {
            return None;
        }
        self.score = self.decayed(now, config);
        self.at = now;
        self.settle(subject.clone(), now, config)
    }

    fn settle(
        &mut self,
        subject: Subject,
        now: i64,
        config: &DetectionConfig,
    ) -> Option<RiskChange> {
        let level = config.level(self.score);
        if level == self.level {
            return None;
        }
        let from = std::mem::replace(&mut self.level, level);
        Some(RiskChange {
            subject,
            from,
            to: level,
            score: self.score,
            time: now,
            findings: self.findings.iter().cloned().collect(),
        })
    }

    /// The state at `now` (without changing it).
    pub(crate) fn state(&self, now: i64, config: &DetectionConfig) -> RiskState {
        let score = self.decayed(now, config);
        RiskState {
            level: config.level(score),
            score,
            findings: self.findings.iter().cloned().collect(),
        }
    }
}
