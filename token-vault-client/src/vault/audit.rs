//! The vault's audit events: access (read, write, delete) with its outcome,
//! and any other event built by a caller.

use super::records::Names;
use super::{Accessor, Vault};
use crate::cache::Cached;
use crate::credential::CredentialKey;
use crate::error::VaultError;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use std::sync::TryLockError;

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

impl Vault {
    /// Records that a trusted-system accessor (not built from a validated
    /// token) performs `op` on `connection`; nothing for other accessors.
    pub(super) fn audit_trusted(&self, accessor: &Accessor, op: &'static str, connection: &str) {
        if !accessor.is_trusted_system() {
            return;
        }
        self.audit_event(AuditAction::VaultAccess, Outcome::Success, |e| {
            e.user(accessor.user().to_owned())
                .issuer(accessor.tenant().to_owned())
                .agent(accessor.agent().to_owned())
                .reason("trusted_system")
                .detail("accessor", "trusted_system")
                .detail("trusted_op", op)
                .detail("connection", connection.to_owned())
        });
    }

    /// Records an event built by `f`.
    pub(crate) fn audit_event(
        &self,
        action: AuditAction,
        outcome: Outcome,
        f: impl FnOnce(AuditEvent) -> AuditEvent,
    ) {
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
    /// event. The entry keeps the last one it produced: a repeated read of
    /// the entry by the same agent re-sends it with the new time instead of
    /// allocating its names and details again. The slot is taken with
    /// `try_lock`, so a concurrent reader of the same entry (or a sink that
    /// reads the vault from inside `record`) never waits: it builds its own.
    pub(super) fn audit_read(&self, now: i64, entry: &Cached, agent: &str) {
        if !self.inner.audit.enabled() {
            return;
        }
        let slot = match entry.last_read.try_lock() {
            Ok(slot) => Some(slot),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        let Some(mut last) = slot else {
            let mut event = read_event(entry, agent);
            event.time = now;
            self.inner.audit.record(&event);
            return;
        };
        if !matches!(&*last, Some(e) if e.agent.as_deref() == Some(agent)) {
            *last = Some(read_event(entry, agent));
        }
        if let Some(event) = last.as_mut() {
            event.time = now;
            self.inner.audit.record(event);
        }
    }
}
