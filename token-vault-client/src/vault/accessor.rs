//! Who asks: an agent acting for a user in a tenant.

use crate::credential::CredentialKey;
use crate::error::VaultError;
use agent_auth::tool::ToolContext;
use agent_auth::validate::{TokenKind, Validated};

/// How an [`Accessor`] was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessorOrigin {
    /// From a validated token (or the verified context of a tool call).
    ValidatedToken,
    /// By a trusted system component (the authority's own services, a
    /// migration): every vault operation it makes is audited as such.
    TrustedSystem,
}

/// Who asks: an agent acting for a user in a tenant. The fields are private:
/// an accessor comes from a validated token ([`Accessor::from_token`], its
/// `sub` and `client_id`), from a tool call's verified context
/// ([`Accessor::from_context`]), or from the explicit trusted-system path
/// ([`Accessor::trusted_system`], audited on every use); never from model
/// output.
///
/// ```
/// use token_vault_client::Accessor;
/// let a = Accessor::trusted_system("acme", "alice", "billing-migration");
/// assert_eq!(a.user(), "alice");
/// assert!(a.is_trusted_system());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accessor {
    tenant: String,
    user: String,
    agent: String,
    origin: AccessorOrigin,
}

impl Accessor {
    /// The accessor of a validated token: the user is `sub`, the agent
    /// `client_id` (else `azp`). Refused when the token names no user or no
    /// client.
    pub fn from_token<K: TokenKind>(
        tenant: impl Into<String>,
        token: &Validated<K>,
    ) -> Result<Self, VaultError> {
        let context = ToolContext::from_token(token)
            .map_err(|_| VaultError::Invalid("the token names no client".into()))?;
        Self::from_context(tenant, &context)
    }

    /// The accessor of a tool call's verified context (which is itself built
    /// only from verified claims). Refused when the context names no user.
    pub fn from_context(
        tenant: impl Into<String>,
        context: &ToolContext,
    ) -> Result<Self, VaultError> {
        let user = context
            .user()
            .ok_or_else(|| VaultError::Invalid("the token names no user".into()))?;
        Ok(Self {
            tenant: tenant.into(),
            user: user.to_owned(),
            agent: context.agent().to_owned(),
            origin: AccessorOrigin::ValidatedToken,
        })
    }

    /// An accessor named by a trusted system component, without a token.
    /// Every vault operation it makes is recorded in the audit trail with
    /// `accessor = trusted_system`.
    pub fn trusted_system(
        tenant: impl Into<String>,
        user: impl Into<String>,
        agent: impl Into<String>,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            user: user.into(),
            agent: agent.into(),
            origin: AccessorOrigin::TrustedSystem,
        }
    }

    /// The tenant.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The user the agent acts for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The agent (client id).
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// How this accessor was built.
    pub fn origin(&self) -> AccessorOrigin {
        self.origin
    }

    /// Whether it came through the trusted-system path.
    pub fn is_trusted_system(&self) -> bool {
        self.origin == AccessorOrigin::TrustedSystem
    }

    /// The key of this accessor's user's credential for `connection`.
    pub(super) fn key(&self, connection: &str) -> CredentialKey {
        CredentialKey::new(&self.tenant, &self.user, connection)
    }
}
