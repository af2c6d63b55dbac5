//! Just-in-time credentials: minted at request time from a template, with a
//! lifetime, revocable, and gone on their own once expired (an expiry sweep
//! removes what is left at the provider). The PostgreSQL roles of
//! [`db_roles`](crate::db_roles) are one issuer.

use crate::credential::Credential;
use crate::error::VaultError;

/// One issued just-in-time credential.
#[derive(Debug)]
pub struct Lease {
    id: String,
    agent: String,
    credential: Credential,
    expires_at: i64,
}

impl Lease {
    /// A lease of `credential`, named `id` at its issuer, for `agent`, until
    /// `expires_at` (seconds since the epoch).
    pub fn new(
        id: impl Into<String>,
        agent: impl Into<String>,
        credential: Credential,
        expires_at: i64,
    ) -> Self {
        Self {
            id: id.into(),
            agent: agent.into(),
            credential,
            expires_at,
        }
    }

    /// The name of the credential at its issuer (a role name, a key id).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The agent it was issued to.
    pub fn agent(&self) -> &str {
        &self.agent
    }

    /// The credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// When it stops working, seconds since the epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The credential, to store in the vault or hand out.
    pub fn into_credential(self) -> Credential {
        self.credential
    }
}

/// Mints just-in-time credentials at a provider (a database, a cloud's key
/// service).
#[async_trait::async_trait]
pub trait JitIssuer: Send + Sync + std::fmt::Debug {
    /// What one issuance grants (a role template, a key's permissions).
    type Template: Send + Sync;

    /// A credential for `agent` granting what `template` names, valid for
    /// `ttl` seconds (positive, at most what the template allows). All or
    /// nothing: a failure leaves nothing usable behind.
    async fn issue(
        &self,
        agent: &str,
        template: &Self::Template,
        ttl: i64,
    ) -> Result<Lease, VaultError>;

    /// Ends `lease` now (logout, revocation); returns whether it still existed.
    async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError>;

    /// Removes every credential of this issuer whose lifetime has passed;
    /// returns how many.
    async fn sweep_expired(&self) -> Result<usize, VaultError>;
}
