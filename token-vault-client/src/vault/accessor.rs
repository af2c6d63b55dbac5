//! Who asks: an agent acting for a user in a tenant.

use crate::credential::CredentialKey;

/// Who asks: an agent acting for a user in a tenant. Build it from a validated
/// token (its `sub` and `client_id`), never from model output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accessor {
    /// The tenant.
    pub tenant: String,
    /// The user the agent acts for.
    pub user: String,
    /// The agent (client id).
    pub agent: String,
}

impl Accessor {
    /// An accessor.
    pub fn new(
        tenant: impl Into<String>,
        user: impl Into<String>,
        agent: impl Into<String>,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            user: user.into(),
            agent: agent.into(),
        }
    }

    /// The key of this accessor's user's credential for `connection`.
    pub(super) fn key(&self, connection: &str) -> CredentialKey {
        CredentialKey::new(&self.tenant, &self.user, connection)
    }
}
