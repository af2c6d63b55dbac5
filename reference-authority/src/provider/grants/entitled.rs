//! Scopes granted by the agent registry: a managed connection's scope marked
//! [`ScopePolicy::Entitled`](super::ScopePolicy::Entitled) is granted to a
//! client whose agent holds it, directly, from a template or by a
//! just-in-time elevation, at the time of the request.

use crate::provider::{Authority, OAuthError};
use crate::registry::{AgentStatus, Entitlement};

/// Whether the agent registered for `client_id` is ACTIVE and holds, at the
/// authority's time, the entitlement `Scope { scope, resource: audience }`.
/// A just-in-time grant is recorded with its end as expiry, so it counts up
/// to the second before that end and never after. A client no agent is
/// registered for holds nothing; a registry that cannot be read is a
/// `server_error`, so nothing is granted (fail closed).
pub(super) fn holds_scope(
    authority: &Authority,
    client_id: &str,
    scope: &str,
    audience: &str,
) -> Result<bool, OAuthError> {
    let agent = authority
        .registry()
        .agent_of_client(client_id)
        .map_err(|_| OAuthError::server_error("the agent registry is unavailable"))?;
    let Some(agent) = agent.filter(|a| a.status == AgentStatus::Active) else {
        return Ok(false);
    };
    let wanted = Entitlement::scope(scope, audience);
    let now = authority.now();
    Ok(agent
        .entitlements
        .iter()
        .any(|g| g.entitlement == wanted && g.in_force(now)))
}
