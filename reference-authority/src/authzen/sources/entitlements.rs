//! [`EntitlementSource`]: the registry's entitlements of the calling agent,
//! just-in-time grants included (in force until they expire).

use crate::Authority;
use crate::authzen::source::{DecisionSource, SourceError, Verdict};
use crate::registry::{AgentStatus, Entitlement, GrantOrigin};
use agent_auth::authzen::EvaluationRequest;

/// Permits when the agent named by the request context's `agent` (its OAuth
/// `client_id`, as the COAZ-MCP binding places it) holds, at the PDP's time,
/// the entitlement the question reduces to:
///
/// | resource `type` | entitlement |
/// |---|---|
/// | `managed_connection` | [`Entitlement::ManagedConnection`] to the audience `id` |
/// | `vault_connection` | [`Entitlement::VaultConnection`] named `id` |
/// | `api` | [`Entitlement::Scope`] `action.name` for the resource `id` |
/// | any other | [`Entitlement::FgaRelation`] `action.name` on `type:id` |
///
/// A grant counts while it is in force, so a just-in-time elevation (which
/// governance records in the registry with origin `JustInTime` and its end as
/// expiry) permits until its expiry and no longer. An agent that is not `ACTIVE` is denied;
/// a request without an agent, or of an unregistered client, gets no verdict.
///
/// ```
/// use reference_authority::authzen::sources::EntitlementSource;
/// use reference_authority::{Authority, AuthorityConfig};
/// let authority = Authority::builder("https://idp.example").config(AuthorityConfig::for_tests()).build()?;
/// let source = EntitlementSource::new(authority);
/// # let _ = source;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct EntitlementSource {
    authority: Authority,
}

impl EntitlementSource {
    /// Reads the registry of `authority`.
    pub fn new(authority: Authority) -> Self {
        Self { authority }
    }

    /// The entitlement a question reduces to.
    pub fn entitlement_of(request: &EvaluationRequest) -> Entitlement {
        let id = request.resource.id.clone();
        match request.resource.kind.as_str() {
            "managed_connection" => Entitlement::ManagedConnection { audience: id },
            "vault_connection" => Entitlement::VaultConnection { connection: id },
            "api" => Entitlement::scope(request.action.name.clone(), id),
            kind => Entitlement::FgaRelation {
                object: format!("{kind}:{id}"),
                relation: request.action.name.clone(),
            },
        }
    }
}

fn origin(origin: &GrantOrigin) -> String {
    match origin {
        GrantOrigin::Direct => "direct".into(),
        GrantOrigin::Template(t) => format!("template {t}"),
        GrantOrigin::JustInTime(r) => format!("just-in-time {r}"),
    }
}

#[async_trait::async_trait]
impl DecisionSource for EntitlementSource {
    fn name(&self) -> &str {
        "entitlements"
    }

    async fn decide(&self, request: &EvaluationRequest, now: i64) -> Result<Verdict, SourceError> {
        let Some(client) = request.context.get("agent").and_then(|a| a.as_str()) else {
            return Ok(Verdict::Abstain);
        };
        let agent = self
            .authority
            .registry()
            .agent_of_client(client)
            .map_err(|e| SourceError(format!("registry unavailable: {e}")))?;
        let Some(agent) = agent else {
            return Ok(Verdict::Abstain);
        };
        if agent.status != AgentStatus::Active {
            return Ok(Verdict::Deny(format!(
                "agent {} is {}",
                agent.id,
                agent.status.as_str()
            )));
        }
        let wanted = Self::entitlement_of(request);
        let grant = agent
            .entitlements
            .iter()
            .find(|g| g.entitlement == wanted && g.in_force(now));
        Ok(match grant {
            Some(g) => Verdict::Permit(match g.expires {
                Some(until) => format!(
                    "agent {} holds it ({}, until {until})",
                    agent.id,
                    origin(&g.origin)
                ),
                None => format!("agent {} holds it ({})", agent.id, origin(&g.origin)),
            }),
            None => Verdict::Abstain,
        })
    }
}
