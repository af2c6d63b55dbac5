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

    /// The agent it was issued to. A lease the vault rebuilds from a stored
    /// credential to revoke it at logout names the user (or agent) the
    /// credential is stored for: the vault keeps no record of which agent's
    /// read minted it.
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

    /// The id at this issuer of `credential`, one it issued (the vault
    /// stores the credential, not its lease), so that logout can revoke it;
    /// `None` when the credential does not name it or is not this issuer's
    /// (logout then records it as not revocable: it ends at its expiry).
    fn lease_id(&self, credential: &Credential) -> Option<String>;

    /// Removes every credential of this issuer whose lifetime has passed;
    /// returns how many.
    async fn sweep_expired(&self) -> Result<usize, VaultError>;
}

/// A connection's just-in-time credentials: an issuer, the template it
/// mints from, the lifetime of each credential, and how long before its
/// expiry a minted credential stops being handed out and is replaced.
///
/// Set on a connection with [`ConnectionConfig::jit`](crate::ConnectionConfig::jit):
/// a read of the connection ([`Vault::get`](crate::Vault::get)) mints a
/// credential at request time, seals it in the vault with its expiry and
/// hands it out until `renew_before` seconds before that expiry; the rotation
/// pass ([`Vault::rotate_due`](crate::Vault::rotate_due)) removes expired ones
/// from the vault and runs the issuer's [`sweep_expired`](JitIssuer::sweep_expired);
/// logout ([`Vault::wipe_user`](crate::Vault::wipe_user)) revokes the ones
/// the vault holds for the user.
#[derive(Debug, Clone)]
pub struct JitSource {
    minter: std::sync::Arc<dyn Mint>,
    renew_before: i64,
}

impl JitSource {
    /// Credentials of `issuer` from `template`, each valid `ttl` seconds
    /// (positive), replaced one minute before expiry (or at half their
    /// lifetime when that is shorter).
    pub fn new<I>(
        issuer: std::sync::Arc<I>,
        template: I::Template,
        ttl: i64,
    ) -> Result<Self, VaultError>
    where
        I: JitIssuer + 'static,
        I::Template: 'static,
    {
        if ttl <= 0 {
            return Err(VaultError::Invalid(
                "a just-in-time lifetime is positive".into(),
            ));
        }
        Ok(Self {
            minter: std::sync::Arc::new(Bound {
                issuer,
                template,
                ttl,
            }),
            renew_before: 60.min(ttl / 2),
        })
    }

    /// Stops handing out a minted credential `seconds` before its expiry
    /// (at least 0, less than the lifetime), so that a caller never gets one
    /// that dies in its hands.
    pub fn renew_before(mut self, seconds: i64) -> Result<Self, VaultError> {
        if seconds < 0 || seconds >= self.minter.ttl() {
            return Err(VaultError::Invalid(
                "renewal starts before expiry and after issue".into(),
            ));
        }
        self.renew_before = seconds;
        Ok(self)
    }

    /// Seconds before expiry from which a minted credential is replaced.
    pub(crate) fn margin(&self) -> i64 {
        self.renew_before
    }

    pub(crate) async fn issue(&self, agent: &str) -> Result<Lease, VaultError> {
        self.minter.issue(agent).await
    }

    pub(crate) async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError> {
        self.minter.revoke(lease).await
    }

    pub(crate) async fn sweep(&self) -> Result<usize, VaultError> {
        self.minter.sweep().await
    }

    /// The lease of a just-in-time `credential` stored for `holder`, rebuilt
    /// to revoke it; `None` when the issuer cannot name it or the credential
    /// has no expiry (then it was not minted).
    pub(crate) fn stored_lease(&self, holder: &str, credential: Credential) -> Option<Lease> {
        let expires_at = credential.expires_at()?;
        let id = self.minter.lease_id(&credential)?;
        Some(Lease::new(id, holder, credential, expires_at))
    }
}

/// A [`JitIssuer`] bound to its template and lifetime: object safe, so a
/// connection can hold any issuer.
#[async_trait::async_trait]
trait Mint: Send + Sync + std::fmt::Debug {
    fn ttl(&self) -> i64;
    async fn issue(&self, agent: &str) -> Result<Lease, VaultError>;
    async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError>;
    async fn sweep(&self) -> Result<usize, VaultError>;
    fn lease_id(&self, credential: &Credential) -> Option<String>;
}

struct Bound<I: JitIssuer> {
    issuer: std::sync::Arc<I>,
    template: I::Template,
    ttl: i64,
}

impl<I: JitIssuer> std::fmt::Debug for Bound<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitSource")
            .field("issuer", &self.issuer)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl<I: JitIssuer> Mint for Bound<I> {
    fn ttl(&self) -> i64 {
        self.ttl
    }

    async fn issue(&self, agent: &str) -> Result<Lease, VaultError> {
        self.issuer.issue(agent, &self.template, self.ttl).await
    }

    async fn revoke(&self, lease: &Lease) -> Result<bool, VaultError> {
        self.issuer.revoke(lease).await
    }

    async fn sweep(&self) -> Result<usize, VaultError> {
        self.issuer.sweep_expired().await
    }

    fn lease_id(&self, credential: &Credential) -> Option<String> {
        self.issuer.lease_id(credential)
    }
}
