//! Per-agent connections: which connections each agent may use, and with
//! which scopes at most. A plain configuration ([`StaticAgentConnections`])
//! or any source that implements [`AgentConnections`] (a registry's agent
//! templates).

use std::collections::HashMap;
use std::sync::Arc;

/// One connection an agent may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedConnection {
    /// The most the agent may ask for; a token handed to it carries no more.
    pub scopes: Vec<String>,
    /// When the stored grant is broader than `scopes` and the provider cannot
    /// down-scope: `true` refuses ([`VaultError::BroaderThanAllowed`]),
    /// `false` hands out the stored token (audited as broader).
    ///
    /// [`VaultError::BroaderThanAllowed`]: crate::VaultError::BroaderThanAllowed
    pub strict: bool,
}

/// Where the vault learns which connections an agent may use.
pub trait AgentConnections: Send + Sync + std::fmt::Debug {
    /// What `agent` of `tenant` may do with `connection`; `None` refuses.
    /// Called on every read: shared, so that answering copies nothing.
    fn allowed(
        &self,
        tenant: &str,
        agent: &str,
        connection: &str,
    ) -> Option<Arc<AllowedConnection>>;
}

/// A fixed list of (agent, connection, scopes), the same in every tenant.
///
/// ```
/// use token_vault_client::vault::{AgentConnections, StaticAgentConnections};
/// let rules = StaticAgentConnections::new()
///     .allow("calendar-agent", "google", &["calendar.readonly"], true);
/// assert!(rules.allowed("acme", "calendar-agent", "google").is_some());
/// assert!(rules.allowed("acme", "calendar-agent", "slack").is_none());
/// assert!(rules.allowed("acme", "other-agent", "google").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticAgentConnections {
    /// Agent, then connection: looked up by borrowed names.
    entries: HashMap<String, HashMap<String, Arc<AllowedConnection>>>,
}

impl StaticAgentConnections {
    /// No agent may use any connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `agent` use `connection` with at most `scopes`.
    #[must_use]
    pub fn allow(mut self, agent: &str, connection: &str, scopes: &[&str], strict: bool) -> Self {
        self.entries.entry(agent.to_owned()).or_default().insert(
            connection.to_owned(),
            Arc::new(AllowedConnection {
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                strict,
            }),
        );
        self
    }
}

impl AgentConnections for StaticAgentConnections {
    fn allowed(
        &self,
        _tenant: &str,
        agent: &str,
        connection: &str,
    ) -> Option<Arc<AllowedConnection>> {
        self.entries.get(agent)?.get(connection).cloned()
    }
}
