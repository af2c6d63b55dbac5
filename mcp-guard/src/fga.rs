//! Per-user authorization of MCP resources through an [`FgaBackend`]: the guard
//! checks `resources/read` before the server sees it, and servers filter
//! `resources/list` with [`ResourceAccess::filter`]. Tool calls pass through a
//! [`ToolCallHook`] (the place for human approval, e.g. CIBA).

use crate::principal::Principal;
use fga_core::{BatchCheckItem, CheckRequest, FgaBackend};
use std::sync::Arc;

/// Maps a resource URI to an FGA object (`type:id`), or `None` when the URI is
/// not governed (and then refused: the guard fails closed).
pub type UriMapper = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Maps a principal to an FGA user (`user:sarah`).
pub type UserMapper = Arc<dyn Fn(&Principal) -> Option<String> + Send + Sync>;

/// Built-in URI -> object rules.
#[derive(Debug, Clone, Copy)]
pub struct UriMapping;

impl UriMapping {
    /// `scheme://a/b` -> `<object_type>:scheme-a-b` (the seed model's rule:
    /// `crm://contacts/acme-corp` -> `resource:crm-contacts-acme-corp`). Characters
    /// other than ASCII letters, digits, `-`, `_` and `.` become `-`.
    pub fn slug(object_type: &str) -> UriMapper {
        let prefix = format!("{object_type}:");
        Arc::new(move |uri: &str| {
            let mut id = String::with_capacity(uri.len());
            let mut last_dash = false;
            for c in uri.chars() {
                let keep = c.is_ascii_alphanumeric() || matches!(c, '_' | '.');
                if keep {
                    id.push(c);
                    last_dash = false;
                } else if !last_dash {
                    id.push('-');
                    last_dash = true;
                }
            }
            let id = id.trim_matches('-');
            (!id.is_empty()).then(|| format!("{prefix}{id}"))
        })
    }

    /// A fixed table of URI -> object pairs.
    pub fn table(pairs: &[(&str, &str)]) -> UriMapper {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(u, o)| ((*u).to_owned(), (*o).to_owned()))
            .collect();
        Arc::new(move |uri: &str| map.get(uri).cloned())
    }
}

/// Resource authorization through FGA.
#[derive(Clone)]
pub struct ResourceAccess {
    backend: Arc<dyn FgaBackend>,
    relation: String,
    uri: UriMapper,
    user: UserMapper,
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
    /// `user:<sub>`.
    pub fn new(backend: Arc<dyn FgaBackend>, relation: &str, uri: UriMapper) -> Self {
        Self {
            backend,
            relation: relation.to_owned(),
            uri,
            user: Arc::new(|p: &Principal| p.subject.as_ref().map(|s| format!("user:{s}"))),
        }
    }

    /// Replaces the principal -> FGA user rule.
    #[must_use]
    pub fn user_mapping(mut self, user: UserMapper) -> Self {
        self.user = user;
        self
    }

    /// Whether the principal may read `uri`. Unmapped URIs, unmapped users and
    /// backend failures all answer `false`.
    pub async fn can_read(&self, principal: &Principal, uri: &str) -> bool {
        let (Some(user), Some(object)) = ((self.user)(principal), (self.uri)(uri)) else {
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
        let Some(user) = (self.user)(principal) else {
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
