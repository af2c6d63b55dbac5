//! The outcome of a risk check, with its typed reason.

use agent_auth::risk::RiskLevel;
use std::fmt;

/// What [`RiskHook`](super::RiskHook) decided, and why. Its
/// [`code`](Self::code) is the refusal reason the client and the audit
/// event see.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RiskDecision {
    /// Below the threshold.
    Admitted {
        /// The level gone by.
        level: RiskLevel,
    },
    /// At the threshold, and a person approved.
    SteppedUp {
        /// The level gone by.
        level: RiskLevel,
    },
    /// At the threshold, and the step-up did not approve (denied, expired,
    /// failed, or no step-up configured).
    StepUpRefused {
        /// The level gone by.
        level: RiskLevel,
        /// What the step-up answered (no secrets: a refusal's reason).
        answer: String,
    },
    /// Above the threshold.
    TooHigh {
        /// The level gone by.
        level: RiskLevel,
    },
    /// No level is known for the caller and the policy refuses unknown levels.
    Unknown,
    /// The provider could not answer.
    Unavailable,
}

impl RiskDecision {
    /// Whether the call goes ahead.
    pub fn admits(&self) -> bool {
        matches!(self, Self::Admitted { .. } | Self::SteppedUp { .. })
    }

    /// The reason code: `risk_admitted`, `risk_step_up_approved`,
    /// `risk_step_up_refused`, `risk_too_high`, `risk_unknown` or
    /// `risk_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Admitted { .. } => "risk_admitted",
            Self::SteppedUp { .. } => "risk_step_up_approved",
            Self::StepUpRefused { .. } => "risk_step_up_refused",
            Self::TooHigh { .. } => "risk_too_high",
            Self::Unknown => "risk_unknown",
            Self::Unavailable => "risk_unavailable",
        }
    }

    /// The level gone by, when there was one.
    pub fn level(&self) -> Option<RiskLevel> {
        match self {
            Self::Admitted { level }
            | Self::SteppedUp { level }
            | Self::StepUpRefused { level, .. }
            | Self::TooHigh { level } => Some(*level),
            Self::Unknown | Self::Unavailable => None,
        }
    }
}

impl fmt::Display for RiskDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.level()) {
            (Self::StepUpRefused { answer, .. }, Some(level)) => {
                write!(f, "{} (risk {level}): {answer}", self.code())
            }
            (_, Some(level)) => write!(f, "{} (risk {level})", self.code()),
            (_, None) => f.write_str(self.code()),
        }
    }
}
