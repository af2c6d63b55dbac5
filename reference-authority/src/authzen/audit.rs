//! The audit event of a decision (`AuthorizationDecision`, with its reason).

use super::combine::Outcome;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome as AuditOutcome};
use agent_auth::authzen::EvaluationRequest;

/// The event for `outcome` on `request` at `now`. The agent is the request
/// context's `agent` (the COAZ-MCP binding places the agent identity there).
pub(crate) fn decision_event(
    request: &EvaluationRequest,
    outcome: &Outcome,
    now: i64,
) -> AuditEvent {
    let result = match outcome {
        Outcome::Permit(_) => AuditOutcome::Success,
        Outcome::Deny(_) => AuditOutcome::Denied,
        Outcome::Failed(_) => AuditOutcome::Error,
    };
    let event = AuditEvent::new(now, AuditAction::AuthorizationDecision, result)
        .user(format!("{}:{}", request.subject.kind, request.subject.id))
        .reason(outcome.reason().to_owned())
        .detail("action", request.action.name.clone())
        .detail(
            "resource",
            format!("{}:{}", request.resource.kind, request.resource.id),
        )
        .detail("api", "authzen");
    match request.context.get("agent").and_then(|a| a.as_str()) {
        Some(agent) => event.agent(agent.to_owned()),
        None => event,
    }
}
