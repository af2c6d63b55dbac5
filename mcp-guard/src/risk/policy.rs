//! The per-guard risk policy: a threshold and what an unknown level counts as.

use agent_auth::risk::RiskLevel;

/// What the policy says about one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// Below the threshold: the call goes ahead.
    Admit,
    /// At the threshold: a person must approve (refused when no step-up is
    /// configured).
    StepUp,
    /// Above the threshold, or no level to go by: refused.
    Refuse,
}

/// Below `threshold` admit, at it step up, above it refuse; a subject with
/// no known level is refused unless [`unknown_as`](Self::unknown_as) names
/// the level to assume.
///
/// ```
/// use mcp_guard::agent_auth::risk::RiskLevel;
/// use mcp_guard::risk::{RiskPolicy, Rule};
/// let p = RiskPolicy::default();
/// assert_eq!(p.rule(Some(RiskLevel::Low)), Rule::Admit);
/// assert_eq!(p.rule(Some(RiskLevel::Medium)), Rule::StepUp);
/// assert_eq!(p.rule(Some(RiskLevel::High)), Rule::Refuse);
/// assert_eq!(p.rule(None), Rule::Refuse);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskPolicy {
    threshold: RiskLevel,
    unknown_as: Option<RiskLevel>,
}

impl Default for RiskPolicy {
    /// Threshold MEDIUM (the detection's "ask a human" level); unknown refused.
    fn default() -> Self {
        Self::new(RiskLevel::Medium)
    }
}

impl RiskPolicy {
    /// Steps up at `threshold`; unknown levels are refused.
    pub fn new(threshold: RiskLevel) -> Self {
        Self {
            threshold,
            unknown_as: None,
        }
    }

    /// Treats a subject the provider holds no level for as `level` (e.g.
    /// LOW with a SET-fed provider whose authority starts every subject at
    /// LOW and signals every change). A provider that fails is still refused.
    #[must_use]
    pub fn unknown_as(mut self, level: RiskLevel) -> Self {
        self.unknown_as = Some(level);
        self
    }

    /// The threshold.
    pub fn threshold(&self) -> RiskLevel {
        self.threshold
    }

    /// The level to go by for a known (`Some`) or unknown (`None`) level:
    /// `None` when the policy refuses unknown levels.
    pub fn effective(&self, level: Option<RiskLevel>) -> Option<RiskLevel> {
        level.or(self.unknown_as)
    }

    /// What to do at `level` (`None`: unknown).
    pub fn rule(&self, level: Option<RiskLevel>) -> Rule {
        match self.effective(level) {
            None => Rule::Refuse,
            Some(l) if l < self.threshold => Rule::Admit,
            Some(l) if l == self.threshold => Rule::StepUp,
            Some(_) => Rule::Refuse,
        }
    }
}
