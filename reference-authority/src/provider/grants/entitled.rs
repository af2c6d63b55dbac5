//! What the agent registry lets a client obtain, for the two token exchange
//! paths that consult it: an ID-JAG scope a managed connection marks
//! [`ScopePolicy::Entitled`](super::ScopePolicy::Entitled), and a plain
//! exchange's scopes and targets when the grant is configured so. An agent
//! holds an entitlement directly, from a template or by a just-in-time
//! elevation, at the time of the request.

use super::ScopePolicy;
use crate::provider::{Authority, OAuthError};
use crate::registry::{AgentStatus, Entitlement};
use std::collections::BTreeMap;

/// The entitlements in force, now, of the agent registered for one client.
/// A client no agent is registered for, or whose agent is not ACTIVE, holds
/// nothing. A just-in-time grant is recorded with its end as expiry, so it
/// counts up to the second before that end and never after.
pub(super) struct Held(Vec<Entitlement>);

impl Held {
    /// The entitlements of `client_id`'s agent at the authority's time. A
    /// registry that cannot be read is a `server_error`, so nothing is
    /// granted (fail closed).
    pub(super) fn by(authority: &Authority, client_id: &str) -> Result<Self, OAuthError> {
        let agent = authority
            .registry()
            .agent_of_client(client_id)
            .map_err(|_| OAuthError::server_error("the agent registry is unavailable"))?;
        let Some(agent) = agent.filter(|a| a.status == AgentStatus::Active) else {
            return Ok(Self(Vec::new()));
        };
        let now = authority.now();
        Ok(Self(
            agent
                .entitlements
                .into_iter()
                .filter(|g| g.in_force(now))
                .map(|g| g.entitlement)
                .collect(),
        ))
    }

    /// Whether `Scope { scope, resource: audience }` is held (`None`: the
    /// authority's default audience).
    pub(super) fn scope(&self, scope: &str, audience: Option<&str>) -> bool {
        self.0.iter().any(|e| {
            matches!(e, Entitlement::Scope { scope: s, resource }
                if s == scope && resource.as_deref() == audience)
        })
    }

    /// Whether some entitlement reaches `target`: a scope for it, or its
    /// managed connection.
    pub(super) fn reaches(&self, target: &str) -> bool {
        self.0.iter().any(|e| match e {
            Entitlement::Scope {
                resource: Some(r), ..
            } => r == target,
            Entitlement::ManagedConnection { audience } => audience == target,
            _ => false,
        })
    }
}

/// The registry's part of a plain exchange (RFC 8693, for an access token),
/// as the grant is configured: `policies` for the scopes it lists, and
/// whether every target needs an entitlement reaching it.
#[derive(Debug, Clone, Default)]
pub(super) struct PlainExchange {
    pub(super) policies: BTreeMap<String, ScopePolicy>,
    pub(super) targets: bool,
}

impl PlainExchange {
    /// Allows or refuses the new token's `scope` and `targets` for
    /// `client_id`: a target its agent reaches by no entitlement is
    /// `invalid_target`, a scope marked [`ScopePolicy::Entitled`] that the
    /// agent does not hold for every target (or, without a target, for the
    /// default audience) is `invalid_scope`, and so is a scope marked
    /// [`ScopePolicy::Denied`] or [`ScopePolicy::NeedsApproval`] (nobody is
    /// asked in a plain exchange) (RFC 8693 section 2.2.2). Scopes not
    /// listed, and those marked [`ScopePolicy::Granted`], only narrow as
    /// before. The registry is read once, and only when something needs it.
    pub(super) fn check(
        &self,
        authority: &Authority,
        client_id: &str,
        scope: &[String],
        targets: &[String],
    ) -> Result<(), OAuthError> {
        let entitled: Vec<&String> = scope
            .iter()
            .filter(|s| self.policies.get(*s) == Some(&ScopePolicy::Entitled))
            .collect();
        if scope.iter().any(|s| {
            matches!(
                self.policies.get(s),
                Some(ScopePolicy::Denied | ScopePolicy::NeedsApproval)
            )
        }) {
            return Err(OAuthError::invalid_scope(
                "a requested scope is not granted by token exchange",
            ));
        }
        let targets_checked = self.targets && !targets.is_empty();
        if entitled.is_empty() && !targets_checked {
            return Ok(());
        }
        let held = Held::by(authority, client_id)?;
        if self.targets && !targets.iter().all(|t| held.reaches(t)) {
            return Err(OAuthError::invalid_target(
                "the agent is not entitled to reach this target",
            ));
        }
        let audiences: Vec<Option<&str>> = if targets.is_empty() {
            vec![None]
        } else {
            targets.iter().map(|t| Some(t.as_str())).collect()
        };
        let holds_all = entitled
            .iter()
            .all(|s| audiences.iter().all(|a| held.scope(s, *a)));
        if holds_all {
            Ok(())
        } else {
            Err(OAuthError::invalid_scope(
                "the agent is not entitled to a requested scope",
            ))
        }
    }
}
