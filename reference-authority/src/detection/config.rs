//! The parameters of detection: windows, thresholds, points and decay.

use super::finding::DetectorKind;
use super::risk::RiskLevel;

/// Every tunable of the detector. [`Default`] is what `docs/detection.md`
/// documents and what `threat-lab` measures.
///
/// ```
/// use reference_authority::detection::DetectionConfig;
///
/// let config = DetectionConfig::default();
/// assert_eq!(config.short_window, 600);
/// assert!(config.high_at > config.medium_at);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DetectionConfig {
    /// Days with activity a subject needs before its baseline is trusted
    /// (learning mode until then: only the history-free detectors run).
    pub learning_days: u32,
    /// Days of daily peaks a baseline keeps.
    pub history_days: usize,
    /// The short window of the volume and failure detectors, in seconds.
    pub short_window: i64,
    /// Volume spike: never below this many accesses in the short window.
    pub volume_floor: u32,
    /// Volume spike: this many times the largest daily peak of the history.
    pub volume_factor: f64,
    /// Volume spike in learning mode: the limit while no history exists.
    pub learning_volume_floor: u32,
    /// Failure burst: never below this many refusals in the short window.
    pub failure_floor: u32,
    /// Failure burst: this many times the largest daily failure peak.
    pub failure_factor: f64,
    /// Failure burst: the share of refusals among the window's events.
    pub failure_ratio: f64,
    /// Off-hours: an hour is unusual when it holds less than this share of
    /// the subject's past activity.
    pub off_hours_share: f64,
    /// Off-hours: this many unusual-hour events within an hour.
    pub off_hours_events: u32,
    /// Scope escalation: this many scope refusals within `long_window`.
    pub scope_refusals: u32,
    /// The long window (scope escalation, off-hours, fan-out), in seconds.
    pub long_window: i64,
    /// Fan-out: never below this many distinct users in the long window.
    pub fan_out_floor: u32,
    /// Fan-out: this many times the largest daily peak of distinct users.
    pub fan_out_factor: f64,
    /// Token replay: how long a `jti`'s first source is remembered, in seconds.
    pub replay_window: i64,
    /// Use after revocation: how long a revoked `jti` is remembered, in seconds.
    pub revoked_memory: i64,
    /// A detector fires at most once per subject within this many seconds.
    pub cooldown: i64,
    /// Risk points halve after this many seconds.
    pub half_life: i64,
    /// Points from which the level is MEDIUM.
    pub medium_at: f64,
    /// Points from which the level is HIGH.
    pub high_at: f64,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        Self {
            learning_days: 3,
            history_days: 28,
            short_window: 600,
            volume_floor: 20,
            volume_factor: 3.0,
            learning_volume_floor: 100,
            failure_floor: 10,
            failure_factor: 3.0,
            failure_ratio: 0.5,
            off_hours_share: 0.005,
            off_hours_events: 3,
            scope_refusals: 2,
            long_window: 3600,
            fan_out_floor: 10,
            fan_out_factor: 3.0,
            replay_window: 3600,
            revoked_memory: 7 * 86_400,
            cooldown: 3600,
            half_life: 6 * 3600,
            medium_at: 30.0,
            high_at: 60.0,
        }
    }
}

impl DetectionConfig {
    /// The level of `score` points under the thresholds.
    ///
    /// ```
    /// use reference_authority::detection::{DetectionConfig, RiskLevel};
    /// let c = DetectionConfig::default();
    /// assert_eq!(c.level(0.0), RiskLevel::Low);
    /// assert_eq!(c.level(c.medium_at), RiskLevel::Medium);
    /// assert_eq!(c.level(c.high_at), RiskLevel::High);
    /// ```
    pub fn level(&self, score: f64) -> RiskLevel {
        if score >= self.high_at {
            RiskLevel::High
        } else if score >= self.medium_at {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        }
    }

    /// The risk points one finding of `kind` adds: the certain signs of
    /// compromise (volume spike, token replay, use after revocation, fan-out)
    /// reach HIGH alone; the others reach MEDIUM, and two of them HIGH.
    pub fn points(&self, kind: DetectorKind) -> f64 {
        match kind {
            DetectorKind::VolumeSpike
            | DetectorKind::TokenReplay
            | DetectorKind::UseAfterRevocation
            | DetectorKind::FanOut => 80.0,
            DetectorKind::FailureBurst | DetectorKind::ScopeEscalation => 40.0,
            DetectorKind::FirstSeenResourceType
            | DetectorKind::OffHours
            | DetectorKind::NewNetwork => 35.0,
        }
    }
}
