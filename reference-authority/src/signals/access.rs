//! SETs for access lost outside the kill switch: a user's universal logout
//! becomes a CAEP `session-revoked` about the user, a disabled user a RISC
//! `account-disabled` about the user, a disabled agent (the registry's client
//! status gate) a RISC `account-disabled` about the agent as a complex
//! subject naming its `application` (SSF 1.0 section 3.3).

use super::event::{Event, EventKind};
use super::subject::SubjectId;
use super::{Transmitter, TransmitterConfig};
use crate::{AccessChange, AccessHook, Authority};
use std::sync::Arc;

/// The transmitter's state, without the authority the hook is registered in.
#[derive(Debug)]
pub(super) struct SignalAccessChanges {
    pub(super) config: Arc<TransmitterConfig>,
    pub(super) http: reqwest::Client,
    pub(super) flushing: Arc<tokio::sync::Mutex<()>>,
    pub(super) changed: Arc<tokio::sync::Notify>,
}

impl SignalAccessChanges {
    pub(super) fn of(t: &Transmitter) -> Self {
        Self {
            config: Arc::clone(&t.config),
            http: t.http.clone(),
            flushing: Arc::clone(&t.flushing),
            changed: Arc::clone(&t.changed),
        }
    }
}

/// The event and subject a change is told as.
fn signal_of(authority: &Authority, change: &AccessChange) -> (SubjectId, Event) {
    let now = authority.now();
    let user = |u: &str| SubjectId::iss_sub(authority.issuer(), u);
    match change {
        AccessChange::UserLoggedOut { user_id } => (
            user(user_id),
            Event::new(EventKind::SessionRevoked, now).reason_admin("universal logout"),
        ),
        AccessChange::UserDisabled { user_id } => (
            user(user_id),
            Event::new(EventKind::AccountDisabled { reason: None }, now)
                .reason_admin("user disabled"),
        ),
        AccessChange::ClientDisabled { client_id } => (
            SubjectId::complex([("application", SubjectId::Opaque(client_id.clone()))]),
            Event::new(EventKind::AccountDisabled { reason: None }, now)
                .reason_admin("agent disabled"),
        ),
    }
}

impl AccessHook for SignalAccessChanges {
    /// Queues the SETs (the delivery task or the next flush sends them); a
    /// failure is in the audit trail as a failed `ssf_event`.
    fn changed(&self, authority: &Authority, change: &AccessChange) {
        let (subject, event) = signal_of(authority, change);
        let t = Transmitter {
            authority: authority.clone(),
            config: Arc::clone(&self.config),
            http: self.http.clone(),
            flushing: Arc::clone(&self.flushing),
            changed: Arc::clone(&self.changed),
        };
        let queued = crate::provider::crypto::random_value()
            .ok_or(super::SsfError::Unavailable)
            .and_then(|txn| t.emit(&subject, &event, &txn));
        if let Err(e) = queued {
            authority.audit(
                agent_auth::audit::AuditAction::Other("ssf_event".into()),
                agent_auth::audit::Outcome::Error,
                |ev| {
                    ev.detail("event_type", event.type_uri())
                        .reason(e.to_string())
                },
            );
        }
    }
}
