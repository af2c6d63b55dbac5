//! The extension point of the PDP: a source of verdicts.

use agent_auth::authzen::EvaluationRequest;

/// What one source says about one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The source permits, for this reason.
    Permit(String),
    /// The source denies, for this reason; a deny overrides every permit.
    Deny(String),
    /// The source has nothing to say about this question.
    Abstain,
}

/// A source that could not decide; the PDP then denies (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// One source of verdicts (FGA relations, context rules, entitlements, ...).
/// `now` is the PDP's clock, in seconds since the epoch.
#[async_trait::async_trait]
pub trait DecisionSource: Send + Sync + std::fmt::Debug {
    /// A short name, used in reasons and audit events.
    fn name(&self) -> &str;

    /// The verdict on `request`.
    async fn decide(&self, request: &EvaluationRequest, now: i64) -> Result<Verdict, SourceError>;
}
