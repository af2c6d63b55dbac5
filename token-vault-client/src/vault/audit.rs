//! The vault's audit events: access (read, write, delete) with its outcome,
//! and any other event built by a caller.

use super::records::Names;
use super::{Accessor, Vault};
use crate::cache::Cached;
use crate::credential::CredentialKey;
use crate::error::VaultError;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use std::sync::{Mutex, TryLockError};

/// A successful read of `entry` by `agent` (time set by the caller).
fn read_event(entry: &Cached, agent: &str) -> AuditEvent {
    let key = &entry.record.key;
    AuditEvent {
        time: 0,
        action: AuditAction::VaultAccess,
        outcome: Outcome::Success,
        agent: Some(agent.to_owned()),
        user: Some(key.user.clone()),
        issuer: Some(key.tenant.clone()),
        reason: None,
        details: entry.read_details.clone(),
        id: None,
        on_behalf_of: Vec::new(),
        target: None,
        token_jti: None,
        request_id: None,
    }
}

/// The marker of a trusted-system accessor's `op` on a credential (time set
/// by the caller).
fn trusted_event(names: Names<'_>, agent: &str, op: &'static str) -> AuditEvent {
    AuditEvent::new(0, AuditAction::VaultAccess, Outcome::Success)
        .user(names.user)
        .issuer(names.tenant)
        .agent(agent)
        .reason("trusted_system")
        .detail("accessor", "trusted_system")
        .detail("trusted_op", op)
        .detail("connection", names.connection)
}

impl Vault {
    /// Records that a trusted-system accessor (not built from a validated
    /// token) performs `op` on `connection`; nothing for other accessors.
    pub(super) fn audit_trusted(&self, accessor: &Accessor, op: &'static str, connection: &str) {
        if !accessor.is_trusted_system() || !self.inner.audit.enabled() {
            return;
        }
        let names = Names {
            tenant: accessor.tenant(),
            user: accessor.user(),
            connection,
        };
        let mut event = trusted_event(names, accessor.agent(), op);
        event.time = self.now();
        self.inner.audit.record(&event);
    }

    /// [`audit_trusted`](Self::audit_trusted) of a read, on the hot path: with
    /// the cached `entry` of the credential, the entry's last marker is
    /// re-sent with the new time instead of being built again.
    pub(super) fn audit_trusted_read(
        &self,
        now: i64,
        accessor: &Accessor,
        connection: &str,
        entry: Option<&Cached>,
    ) {
        if !accessor.is_trusted_system() || !self.inner.audit.enabled() {
            return;
        }
        match entry {
            Some(entry) => self.resend(&entry.last_trusted, now, accessor.agent(), || {
                trusted_event(Names::of(&entry.record.key), accessor.agent(), "read")
            }),
            None => self.audit_trusted(accessor, "read", connection),
        }
    }

    /// Records an event built by `f` (not built when the sink records
    /// nothing).
    pub(crate) fn audit_event(
        &self,
        action: AuditAction,
        outcome: Outcome,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) {
        if !self.inner.audit.enabled() {
            return;
        }
        let event = f(AuditEvent::new(self.now(), action, outcome));
        self.inner.audit.record(&event);
    }

    /// The access event of `op` on `key` by `agent`, now.
    pub(super) fn audit_access(
        &self,
        op: &'static str,
        key: &CredentialKey,
        agent: Option<&str>,
        result: Result<(), &VaultError>,
    ) {
        self.audit_access_at(self.now(), op, Names::of(key), agent, result);
    }

    /// The access event, built field by field (no builder moves, two map
    /// entries): it is on the hot path of every read.
    pub(super) fn audit_access_at(
        &self,
        now: i64,
        op: &'static str,
        names: Names<'_>,
        agent: Option<&str>,
        result: Result<(), &VaultError>,
    ) {
        if !self.inner.audit.enabled() {
            return;
        }
        let outcome = match result {
            Ok(()) => Outcome::Success,
            Err(VaultError::NotActingForUser | VaultError::ConsentRequired(_)) => Outcome::Denied,
            Err(VaultError::NotFound(_) | VaultError::Expired(_)) => Outcome::Denied,
            Err(
                VaultError::ConnectionNotAllowed(_)
                | VaultError::ScopeNotAllowed { .. }
                | VaultError::BroaderThanAllowed(_),
            ) => Outcome::Denied,
            Err(_) => Outcome::Error,
        };
        let mut details = serde_json::Map::new();
        details.insert("op".to_owned(), op.into());
        details.insert("connection".to_owned(), names.connection.into());
        let event = AuditEvent {
            time: now,
            action: AuditAction::VaultAccess,
            outcome,
            agent: agent.map(str::to_owned),
            user: Some(names.user.to_owned()),
            issuer: Some(names.tenant.to_owned()),
            reason: result.err().map(|e| e.reason().to_owned()),
            details,
            id: None,
            on_behalf_of: Vec::new(),
            target: None,
            token_jti: None,
            request_id: None,
        };
        self.inner.audit.record(&event);
    }

    /// The event of a successful read. Each read hands the sink a complete
    /// event; see [`resend`](Self::resend) for how it is reused.
    pub(super) fn audit_read(&self, now: i64, entry: &Cached, agent: &str) {
        if !self.inner.audit.enabled() {
            return;
        }
        self.resend(&entry.last_read, now, agent, || read_event(entry, agent));
    }

    /// Hands the sink the event kept in `slot` with the time `now` when it
    /// was made for `agent`, else one made by `build` (then kept): a
    /// repeated read of an entry by the same agent re-sends its event
    /// instead of allocating its names and details again. The slot is taken
    /// with `try_lock`, so a concurrent reader of the same entry (or a sink
    /// that reads the vault from inside `record`) never waits: it builds its
    /// own.
    fn resend(
        &self,
        slot: &Mutex<Option<AuditEvent>>,
        now: i64,
        agent: &str,
        build: impl FnOnce() -> AuditEvent,
    ) {
        let slot = match slot.try_lock() {
            Ok(slot) => Some(slot),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        let Some(mut last) = slot else {
            let mut event = build();
            event.time = now;
            self.inner.audit.record(&event);
            return;
        };
        if !matches!(&*last, Some(e) if e.agent.as_deref() == Some(agent)) {
            *last = Some(build());
        }
        if let Some(event) = last.as_mut() {
            event.time = now;
            self.inner.audit.record(event);
        }
    }
}
