//! SETs for access lost outside the kill switch: a user's universal logout
//! becomes a CAEP `session-revoked` about the user, a disabled user a RISC
//! `account-disabled` about the user, a disabled agent (the registry's client
//! status gate) a RISC `account-disabled` about the agent as a complex
//! subject naming its `application` (SSF 1.0 section 3.3). A SCIM change
//! becomes its RFC 9967 provisioning event about the resource.

use super::event::{Event, EventKind};
use super::subject::SubjectId;
use super::{Transmitter, TransmitterConfig};
use crate::{AccessChange, AccessHook, Authority};
use agent_auth::events::AuthorityEvent;
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

/// The SCIM event (RFC 9967 section 2.4) and its `scim` subject (section
/// 2.1) a provisioning change is told as, with its transaction id; `None`
/// for the other events. Only attribute names travel, never values.
fn provisioning_of(event: &AuthorityEvent) -> Option<(SubjectId, Event, &str)> {
    let AuthorityEvent::Provisioned {
        event: uri,
        path,
        external_id,
        attributes,
        txn,
        time,
        ..
    } = event
    else {
        return None;
    };
    let kind = crate::scim::EventKind::from_uri(uri)?;
    let subject = SubjectId::Scim {
        uri: path.clone(),
        external_id: external_id.clone(),
    };
    let attributes = if kind.is_notice() {
        attributes.clone()
    } else {
        Vec::new()
    };
    let event = Event::new(EventKind::Provisioning { kind, attributes }, *time);
    Some((subject, event, txn.as_str()))
}

impl SignalAccessChanges {
    /// Queues the SETs (the delivery task or the next flush sends them); a
    /// failure is in the audit trail as a failed `ssf_event`.
    fn send(&self, authority: &Authority, subject: &SubjectId, event: &Event, txn: Option<&str>) {
        let t = Transmitter {
            authority: authority.clone(),
            config: Arc::clone(&self.config),
            http: self.http.clone(),
            flushing: Arc::clone(&self.flushing),
            changed: Arc::clone(&self.changed),
        };
        let txn = match txn.filter(|t| !t.is_empty()) {
            Some(t) => Some(t.to_owned()),
            None => crate::provider::crypto::random_value(),
        };
        let queued = txn
            .ok_or(super::SsfError::Unavailable)
            .and_then(|txn| t.emit(subject, event, &txn));
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

impl AccessHook for SignalAccessChanges {
    fn changed(&self, authority: &Authority, change: &AccessChange) {
        let (subject, event) = signal_of(authority, change);
        self.send(authority, &subject, &event, None);
    }

    fn emitted(&self, authority: &Authority, event: &AuthorityEvent) {
        if let Some((subject, event, txn)) = provisioning_of(event) {
            self.send(authority, &subject, &event, Some(txn));
        }
    }
}
