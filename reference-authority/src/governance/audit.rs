//! Governance decisions as audit events of the one audit model: the target
//! (an agent id, or a template, campaign or schedule name) in `agent`, who
//! decided in the `actor` detail (`user:olivia`, `system:review_deadline`),
//! why in `reason`.

use crate::Authority;
use crate::registry::Actor;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};

/// One governance decision about `target`, made by `actor`.
#[derive(Debug)]
pub(crate) struct Decision<'a> {
    pub(crate) action: AuditAction,
    pub(crate) outcome: Outcome,
    pub(crate) actor: &'a Actor,
    pub(crate) target: &'a str,
    pub(crate) reason: &'a str,
}

impl Decision<'_> {
    /// Records the decision, with further non-secret facts added by `more`.
    pub(crate) fn record(self, authority: &Authority, more: impl FnOnce(AuditEvent) -> AuditEvent) {
        authority.audit(self.action, self.outcome, |e| {
            more(
                e.agent(self.target.to_owned())
                    .reason(self.reason.to_owned())
                    .detail("actor", self.actor.to_string()),
            )
        });
    }
}

/// The audit action of a governance decision that has no action of its own
/// (`governance.template_changed`, ...).
pub(crate) fn action(name: &str) -> AuditAction {
    AuditAction::Other(format!("governance.{name}"))
}
