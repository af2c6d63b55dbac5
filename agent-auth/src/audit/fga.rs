//! FGA decisions as audit events (feature `tool-fga`): a
//! [`DecisionHook`](fga_core::backend::DecisionHook) for a
//! [`Hooked`](fga_core::backend::Hooked) backend that records each Check and
//! ListObjects decision with the authorization model id.

use super::{AuditAction, AuditEvent, Outcome, SharedSink};
use crate::clock::SharedClock;
use fga_core::backend::{Decision, DecisionHook, DecisionOutcome};

/// Records FGA decisions into an audit sink.
///
/// ```
/// use agent_auth::audit::{FgaAuditHook, MemorySink};
/// use agent_auth::clock::ManualClock;
/// use fga_core::backend::Hooked;
/// use fga_core::{CheckRequest, EmbeddedBackend, Engine, FgaBackend};
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let engine = Engine::from_dsl("model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define reader: [user]\n").unwrap();
/// let sink = MemorySink::new();
/// let hook = FgaAuditHook::new(Arc::new(sink.clone()), Arc::new(ManualClock::new(7)));
/// let fga = Hooked::new(EmbeddedBackend::new(engine), Arc::new(hook));
/// assert!(!fga.check(CheckRequest::new("doc:1", "reader", "user:sarah")).await.unwrap());
/// let event = &sink.events()[0];
/// assert_eq!(event.target.as_deref(), Some("doc:1"));
/// assert_eq!(event.reason.as_deref(), Some("no_relationship"));
/// assert!(event.details.contains_key("model_id"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FgaAuditHook {
    sink: SharedSink,
    clock: SharedClock,
}

impl FgaAuditHook {
    /// Records into `sink`, with times from `clock`.
    pub fn new(sink: SharedSink, clock: SharedClock) -> Self {
        Self { sink, clock }
    }
}

impl DecisionHook for FgaAuditHook {
    fn decided(&self, d: &Decision<'_>) {
        if !self.sink.enabled() {
            return;
        }
        let (outcome, reason) = match d.outcome {
            DecisionOutcome::Allowed | DecisionOutcome::Listed(_) => (Outcome::Success, None),
            DecisionOutcome::Denied => (Outcome::Denied, Some("no_relationship")),
            _ => (Outcome::Error, Some("fga_backend_error")),
        };
        let mut event = AuditEvent::new(
            self.clock.now(),
            AuditAction::AuthorizationDecision,
            outcome,
        )
        .target(d.object)
        .detail("fga_call", d.call)
        .detail("model_id", d.model_id)
        .detail("relation", d.relation)
        .detail("fga_user", d.user);
        // `user:<id>` names a person; other user types (agents, usersets) stay in the details.
        if let Some(user) = d.user.strip_prefix("user:") {
            event = event.user(user);
        }
        if let DecisionOutcome::Listed(n) = d.outcome {
            event = event.detail("objects", n);
        }
        if let Some(r) = reason {
            event = event.reason(r);
        }
        self.sink.record(&event);
    }
}
