//! Per-user authorization of MCP resources through an [`FgaBackend`]: the guard
//! checks `resources/read` before the server sees it, and servers filter
//! `resources/list` with [`ResourceAccess::filter`]. Tool calls pass through a
//! [`ToolCallHook`] (the place for human approval, e.g. CIBA).

mod ids;

pub use ids::{UriMapper, UriMapping, UserMapper, UserMappingError};

use crate::principal::Principal;
use fga_core::{BatchCheckItem, CheckRequest, FgaBackend};
use ids::UserRule;
use std::sync::Arc;

/// Resource authorization through FGA.
#[derive(Clone)]
pub struct ResourceAccess {
    backend: Arc<dyn FgaBackend>,
    relation: String,
    uri: UriMapper,
    user: UserRule,
}

impl std::fmt::Debug for ResourceAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceAccess")
            .field("relation", &self.relation)
            .finish_non_exhaustive()
    }
}

impl ResourceAccess {
    /// Checks `relation` (e.g. `reader`) on the object `uri` maps to, for the user
    /// `user:<sub>`. That default names users by `sub` alone, so it is right for
    /// one trusted issuer only: a guard trusting several refuses it
    /// ([`ConfigError::AmbiguousFgaUsers`](crate::ConfigError::AmbiguousFgaUsers));
    /// give each issuer an alias with [`ResourceAccess::issuer_aliases`].
    pub fn new(backend: Arc<dyn FgaBackend>, relation: &str, uri: UriMapper) -> Self {
        Self {
            backend,
            relation: relation.to_owned(),
            uri,
            user: UserRule::Subject,
        }
    }

    /// Names FGA users `user:<alias>|<sub>`, the alias standing for the token's
    /// issuer (`[("https://okta.example", "okta"), ("https://google.example",
    /// "google")]` -> `user:okta|sarah`, `user:google|sarah`): a `sub` is unique
    /// only at its issuer (OpenID Connect Core section 2, RFC 9068 section 2.2), so
    /// the same `sub` from two issuers is two users. Aliases are 1 to 64 of
    /// `A-Z a-z 0-9 - . _`, one per issuer and distinct; a guard refuses to
    /// build when one of its trusted issuers has none
    /// ([`ConfigError::NoFgaAlias`](crate::ConfigError::NoFgaAlias)), and a token
    /// of an issuer without an alias maps to no user (denied).
    pub fn issuer_aliases(mut self, aliases: &[(&str, &str)]) -> Result<Self, UserMappingError> {
        self.user = UserRule::aliased(aliases)?;
        Ok(self)
    }

    /// Replaces the principal -> FGA user rule. The rule must name two
    /// principals of different issuers, or of different subjects, differently.
    #[must_use]
    pub fn user_mapping(mut self, user: UserMapper) -> Self {
        self.user = UserRule::Custom(user);
        self
    }

    /// Refuses a user rule that cannot tell the users of `issuers` apart.
    pub(crate) fn check_issuers(&self, issuers: &[String]) -> Result<(), crate::ConfigError> {
        self.user.check_issuers(issuers)
    }

    /// Whether the principal may read `uri`. Unmapped URIs, unmapped users and
    /// backend failures all answer `false`.
    pub async fn can_read(&self, principal: &Principal, uri: &str) -> bool {
        let (Some(user), Some(object)) = (self.user.user(principal), (self.uri)(uri)) else {
            return false;
        };
        match self
            .backend
            .check(CheckRequest::new(object, self.relation.clone(), user))
            .await
        {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::warn!(error = %e, "FGA check failed; denying");
                false
            }
        }
    }

    /// Keeps the items whose URI the principal may read, in one batch check.
    pub async fn filter<T>(
        &self,
        principal: &Principal,
        items: Vec<T>,
        uri_of: impl Fn(&T) -> &str,
    ) -> Vec<T> {
        let Some(user) = self.user.user(principal) else {
            return Vec::new();
        };
        let mut checks = Vec::new();
        let mut slots = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match (self.uri)(uri_of(item)) {
                Some(object) => {
                    slots.push(Some(checks.len()));
                    checks.push(BatchCheckItem {
                        correlation_id: i.to_string(),
                        request: CheckRequest::new(object, self.relation.clone(), user.clone()),
                    });
                }
                None => slots.push(None),
            }
        }
        let results = match self.backend.batch_check(checks).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "FGA batch check failed; showing nothing");
                return Vec::new();
            }
        };
        let allowed: std::collections::HashSet<String> = results
            .into_iter()
            .filter(|r| r.result == Ok(true))
            .map(|r| r.correlation_id)
            .collect();
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| {
                slots.get(*i).copied().flatten().is_some() && allowed.contains(&i.to_string())
            })
            .map(|(_, item)| item)
            .collect()
    }
}

/// What a [`ToolCallHook`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolDecision {
    /// The call goes ahead.
    Allow,
    /// The call is refused; the reason goes back to the client.
    Deny {
        /// Why, for the client (no secrets).
        reason: String,
    },
    /// The call is refused because no decision could be made; answered with
    /// this JSON-RPC error code (e.g. -32602 for a mapping error, -32603 when
    /// the decision point is unreachable).
    Error {
        /// The JSON-RPC error code.
        code: i64,
        /// Why, for the client (no secrets).
        reason: String,
    },
}

/// Decides on each `tools/call` after scopes have been checked, before the
/// server runs the tool. Later: human approval (CIBA) for risky calls.
#[async_trait::async_trait]
pub trait ToolCallHook: Send + Sync + std::fmt::Debug {
    /// Decides on `tool` called with `arguments` by `principal`.
    async fn authorize(
        &self,
        principal: &Principal,
        tool: &str,
        arguments: &serde_json::Value,
    ) -> ToolDecision;
}
