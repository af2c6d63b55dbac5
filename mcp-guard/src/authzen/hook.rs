//! [`AuthzenHook`]: the PEP on `tools/call`.

use super::error::MappingError;
use super::identity::IdentityClaims;
use super::mapping::{Built, Mapping};
use crate::fga::{ToolCallHook, ToolDecision};
use crate::principal::Principal;
use agent_auth::authzen::{DecisionPoint, PdpError};
use agent_auth::validate::Claims;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// JSON-RPC code of a mapping error (COAZ-MCP "Mapping Errors": Invalid params).
const MAPPING_ERROR: i64 = -32602;
/// JSON-RPC code of a PDP failure (COAZ-MCP "PDP Communication Errors").
const PDP_ERROR: i64 = -32603;

/// Decides each `tools/call` with an AuthZEN PDP (COAZ-MCP "PEP Behavior"):
/// the tool's declared mapping or the default one, identity anchored to the
/// validated token, and fail closed: a mapping error answers -32602 and a PDP
/// failure -32603 without running the tool; a deny answers -32001.
/// Install it with [`GuardBuilder::tool_hook`](crate::GuardBuilder::tool_hook).
#[derive(Clone)]
pub struct AuthzenHook {
    pdp: Arc<dyn DecisionPoint>,
    identity: IdentityClaims,
    declared: HashMap<String, Mapping>,
    default: Mapping,
}

impl std::fmt::Debug for AuthzenHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthzenHook")
            .field("pdp", &self.pdp)
            .field("identity", &self.identity)
            .field("declared", &self.declared.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl AuthzenHook {
    /// Asks `pdp`, with the default claims (`sub`, `client_id`) and the
    /// default `tools/call` mapping for every tool.
    pub fn new(pdp: Arc<dyn DecisionPoint>) -> Self {
        Self {
            pdp,
            identity: IdentityClaims::default(),
            declared: HashMap::new(),
            default: Mapping::tools_call(),
        }
    }

    /// Sets the identity claims; set them before declaring mappings (which are
    /// checked against them). At call time the subject is verified against
    /// these claims whatever the mapping says.
    #[must_use]
    pub fn identity(mut self, identity: IdentityClaims) -> Self {
        self.identity = identity;
        self
    }

    /// Declares the mapping of `tool` (its `inputSchema`'s `x-authzen-mapping`,
    /// as listed by `tools/list`); it replaces the default for that tool only.
    pub fn declare(mut self, tool: &str, mapping: Value) -> Result<Self, MappingError> {
        let mapping = Mapping::declared(mapping, &self.identity)?;
        self.declared.insert(tool.to_owned(), mapping);
        Ok(self)
    }

    async fn decide(&self, principal: &Principal, tool: &str, arguments: &Value) -> ToolDecision {
        let mapping = self.declared.get(tool).unwrap_or(&self.default);
        let params = json!({"name": tool, "arguments": arguments});
        let built = match mapping.build(&token_claims(&principal.claims), &params, &self.identity) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(tool, error = %e, "AuthZEN mapping failed; refusing the call");
                return ToolDecision::Error {
                    code: MAPPING_ERROR,
                    reason: e.to_string(),
                };
            }
        };
        let permitted = match built {
            Built::One(request) => self.pdp.evaluate(&request).await.map(|d| d.decision),
            Built::Many(request) => {
                let expected = request.evaluations.len();
                self.pdp.evaluations(&request).await.and_then(|r| {
                    let all = r.evaluations.iter().all(|d| d.decision);
                    if all && r.evaluations.len() != expected {
                        return Err(PdpError::InvalidResponse(
                            "fewer decisions than evaluations".into(),
                        ));
                    }
                    Ok(all && !r.evaluations.is_empty())
                })
            }
        };
        match permitted {
            Ok(true) => ToolDecision::Allow,
            Ok(false) => ToolDecision::Deny {
                reason: "Access denied by policy".into(),
            },
            Err(e) => {
                tracing::warn!(tool, error = %e, "AuthZEN PDP failed; refusing the call");
                ToolDecision::Error {
                    code: PDP_ERROR,
                    reason: "Authorization service unavailable".into(),
                }
            }
        }
    }
}

/// Every claim of the validated token, as the `token` input variable.
fn token_claims(claims: &Claims) -> Map<String, Value> {
    let mut map = claims.extra.clone();
    for name in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
        if let Some(v) = claims.get(name) {
            map.insert(name.into(), v);
        }
    }
    map
}

#[async_trait::async_trait]
impl ToolCallHook for AuthzenHook {
    async fn authorize(
        &self,
        principal: &Principal,
        tool: &str,
        arguments: &Value,
    ) -> ToolDecision {
        self.decide(principal, tool, arguments).await
    }
}
