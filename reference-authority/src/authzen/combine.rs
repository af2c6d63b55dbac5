//! Deny-overrides combination of the sources' verdicts.

use super::source::{DecisionSource, Verdict};
use agent_auth::authzen::EvaluationRequest;
use std::sync::Arc;

/// The combined outcome of one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Some source permitted and none denied.
    Permit(String),
    /// A source denied, or none permitted.
    Deny(String),
    /// A source failed; denied.
    Failed(String),
}

impl Outcome {
    pub(crate) fn permitted(&self) -> bool {
        matches!(self, Self::Permit(_))
    }

    pub(crate) fn reason(&self) -> &str {
        match self {
            Self::Permit(r) | Self::Deny(r) | Self::Failed(r) => r,
        }
    }

    /// The reason, taken out of the outcome.
    pub(crate) fn into_reason(self) -> String {
        match self {
            Self::Permit(r) | Self::Deny(r) | Self::Failed(r) => r,
        }
    }
}

/// Asks the sources in order: the first deny or failure ends the evaluation;
/// otherwise the first permit's reason is kept; no permit at all is a deny.
pub(crate) async fn combine(
    sources: &[Arc<dyn DecisionSource>],
    request: &EvaluationRequest,
    now: i64,
) -> Outcome {
    let mut permit = None;
    for source in sources {
        match source.decide(request, now).await {
            Ok(Verdict::Deny(reason)) => {
                return Outcome::Deny(attributed(source.name(), &reason));
            }
            Err(e) => return Outcome::Failed(attributed(source.name(), &e.0)),
            Ok(Verdict::Permit(reason)) => {
                if permit.is_none() {
                    permit = Some(attributed(source.name(), &reason));
                }
            }
            Ok(Verdict::Abstain) => {}
        }
    }
    match permit {
        Some(reason) => Outcome::Permit(reason),
        None => Outcome::Deny("no source permits this request".into()),
    }
}

/// `source: reason`, in one allocation of the exact size (this runs on every
/// decision).
fn attributed(source: &str, reason: &str) -> String {
    let mut s = String::with_capacity(source.len() + 2 + reason.len());
    s.push_str(source);
    s.push_str(": ");
    s.push_str(reason);
    s
}
