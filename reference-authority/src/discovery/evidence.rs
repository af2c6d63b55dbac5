//! What the audit stream shows of each client: machine grants, tool calls,
//! the users who delegated to it, the scopes, resources and connections it
//! used, and when.

use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The activity of one client id as seen in the stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ClientEvidence {
    pub(crate) first_seen: i64,
    pub(crate) last_seen: i64,
    /// Tokens it got as itself (client credentials, no user).
    pub(crate) machine_grants: u64,
    /// Tool calls through a guarded MCP server.
    pub(crate) tool_calls: u64,
    /// Vault reads.
    pub(crate) vault_reads: u64,
    /// Presentations of its tokens at guarded resources.
    pub(crate) presentations: u64,
    /// Users it acted for, with how often.
    pub(crate) delegators: BTreeMap<String, u64>,
    /// Last use of each thing it reached (`scope:..`, `resource:..`,
    /// `fga:..`, `vault:..`, `audience:..`, `user:..`).
    pub(crate) used: HashMap<String, i64>,
    /// Resources at which its tokens were presented (guards).
    pub(crate) resource_servers: BTreeMap<String, u64>,
}

impl ClientEvidence {
    fn note(&mut self, time: i64) {
        if self.first_seen == 0 || time < self.first_seen {
            self.first_seen = time;
        }
        self.last_seen = self.last_seen.max(time);
    }

    fn used(&mut self, key: String, time: i64) {
        let t = self.used.entry(key).or_insert(time);
        *t = (*t).max(time);
    }

    /// Whether `key` was used at or after `since`.
    pub(crate) fn used_since(&self, key: &str, since: i64) -> bool {
        self.used.get(key).is_some_and(|t| *t >= since)
    }

    /// The user who delegated to it most often.
    pub(crate) fn top_delegator(&self) -> Option<&str> {
        self.delegators
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(u, _)| u.as_str())
    }
}

/// Folds one audit event into the evidence of its client.
pub(crate) fn fold(all: &mut HashMap<String, ClientEvidence>, e: &AuditEvent) {
    let Some(client) = e.agent.as_deref() else {
        return;
    };
    let detail = |k: &str| e.details.get(k).and_then(Value::as_str);
    let counted = matches!(
        e.action,
        AuditAction::TokenIssued
            | AuditAction::TokenExchanged
            | AuditAction::TokenRefreshed
            | AuditAction::TokenValidated
            | AuditAction::AuthorizationDecision
            | AuditAction::VaultAccess
    );
    if !counted {
        return;
    }
    let ev = all.entry(client.to_owned()).or_default();
    ev.note(e.time);
    if let Some(user) = &e.user {
        *ev.delegators.entry(user.clone()).or_insert(0) += 1;
        ev.used(format!("user:{user}"), e.time);
    }
    if e.outcome != Outcome::Success {
        return;
    }
    match &e.action {
        AuditAction::TokenIssued | AuditAction::TokenExchanged | AuditAction::TokenRefreshed => {
            if e.user.is_none() {
                ev.machine_grants += 1;
            }
            for s in detail("scope").unwrap_or_default().split_whitespace() {
                ev.used(format!("scope:{s}"), e.time);
            }
            if let Some(aud) = detail("audience") {
                ev.used(format!("audience:{aud}"), e.time);
            }
        }
        AuditAction::AuthorizationDecision | AuditAction::TokenValidated => {
            ev.presentations += 1;
            if let Some(rs) = detail("resource_server") {
                *ev.resource_servers.entry(rs.to_owned()).or_insert(0) += 1;
            }
            if detail("tool").is_some() || detail("method") == Some("tools/call") {
                ev.tool_calls += 1;
            }
            if let Some(target) = &e.target {
                ev.used(format!("resource:{target}"), e.time);
                if !target.contains("://") && target.contains(':') {
                    ev.used(format!("fga:{target}"), e.time);
                }
            }
        }
        AuditAction::VaultAccess => {
            ev.vault_reads += 1;
            if let Some(c) = detail("connection").or(e.target.as_deref()) {
                ev.used(format!("vault:{c}"), e.time);
            }
        }
        _ => {}
    }
}
