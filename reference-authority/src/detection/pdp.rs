//! The risk of the calling agent as an AuthZEN decision source.

use super::response::{Gate, Gates};
use crate::authzen::{DecisionSource, SourceError, Verdict};
use agent_auth::authzen::EvaluationRequest;

/// Denies for an agent the responder blocked (`risk_blocked`), and denies
/// with `approval_required` for an agent whose level requires a human
/// approval of every action: the caller (mcp-guard's tool hook, a CIBA
/// step-up) asks the user, then retries with the approval. Abstains
/// otherwise. The agent is the request context's `agent` (its client id,
/// as the COAZ-MCP binding places it).
///
/// Made by [`Responder::risk_source`](super::Responder::risk_source).
#[derive(Debug, Clone)]
pub struct RiskSource {
    pub(super) gates: Gates,
}

impl super::Responder {
    /// The decision source reading the gates this responder sets.
    pub fn risk_source(&self) -> RiskSource {
        RiskSource {
            gates: self.gates.clone(),
        }
    }
}

#[async_trait::async_trait]
impl DecisionSource for RiskSource {
    fn name(&self) -> &str {
        "risk"
    }

    async fn decide(&self, request: &EvaluationRequest, _now: i64) -> Result<Verdict, SourceError> {
        let Some(agent) = request.context.get("agent").and_then(|v| v.as_str()) else {
            return Ok(Verdict::Abstain);
        };
        let approved = request
            .context
            .get("approval")
            .and_then(|v| v.as_str())
            .is_some_and(|v| v == "granted");
        Ok(match self.gates.get(agent) {
            Some(Gate::Blocked) => Verdict::Deny("risk_blocked".into()),
            Some(Gate::Approval) if !approved => Verdict::Deny("approval_required".into()),
            _ => Verdict::Abstain,
        })
    }
}
