//! Ending a user's access everywhere: the vault wipes the user's credentials
//! and asks each provider to revoke the refresh tokens it had issued (RFC
//! 7009), recording where it could not.

use super::Vault;
use crate::credential::Credential;
use crate::envelope;
use crate::error::VaultError;
use crate::vault::RevokeError;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::SecretString;

/// What [`Vault::revoke_user`] did, by connection name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevocationReport {
    /// Credentials deleted from the vault.
    pub wiped: usize,
    /// Connections whose provider revoked the refresh token.
    pub revoked: Vec<String>,
    /// Connections whose provider offers no revocation (no revoker, or no
    /// revocation endpoint): the token lives on at the provider until it
    /// expires, though the vault no longer holds it.
    pub unsupported: Vec<String>,
    /// Connections whose provider failed to revoke, with the reason.
    pub failed: Vec<(String, String)>,
}

impl Vault {
    /// Ends the third-party access of `user` in `tenant`: reads the refresh
    /// tokens of the user's OAuth credentials, wipes every credential of the
    /// user (as [`wipe_user`](Self::wipe_user), at once), then asks each
    /// connection's provider to revoke its refresh token (RFC 7009 section
    /// 2.1) through the connection's [`TokenRevoker`](super::TokenRevoker).
    /// Each provider's answer is audited (`token_revoked`), failures and
    /// providers without revocation included.
    pub async fn revoke_user(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<RevocationReport, VaultError> {
        let mut refresh_tokens: Vec<(String, SecretString)> = Vec::new();
        for record in self.inner.store.list()? {
            if record.key.tenant != tenant || record.key.user != user {
                continue;
            }
            // A record that no longer opens is wiped all the same.
            if let Ok(Credential::OAuth(set)) = envelope::open(&*self.inner.keys, &record)
                && let Some(rt) = set.refresh_token
            {
                refresh_tokens.push((record.key.connection.clone(), rt));
            }
        }
        let mut report = RevocationReport {
            wiped: self.wipe_user(tenant, user)?,
            ..RevocationReport::default()
        };
        for (connection, token) in refresh_tokens {
            let revoker = self
                .connection(&connection, |c| c.revoker.clone())
                .flatten();
            let outcome = match revoker {
                Some(r) => r.revoke_refresh_token(&token).await,
                None => Err(RevokeError::Unsupported),
            };
            let (result, reason) = match &outcome {
                Ok(()) => (Outcome::Success, None),
                Err(RevokeError::Unsupported) => {
                    (Outcome::Error, Some("revocation_unsupported".to_owned()))
                }
                Err(RevokeError::Failed(why)) => (Outcome::Error, Some(why.clone())),
            };
            self.audit_event(AuditAction::TokenRevoked, result, |e| {
                let e = e
                    .user(user.to_owned())
                    .issuer(tenant.to_owned())
                    .detail("connection", connection.clone())
                    .detail("token", "refresh_token");
                match &reason {
                    Some(r) => e.reason(r.clone()),
                    None => e,
                }
            });
            match outcome {
                Ok(()) => report.revoked.push(connection),
                Err(RevokeError::Unsupported) => report.unsupported.push(connection),
                Err(RevokeError::Failed(why)) => report.failed.push((connection, why)),
            }
        }
        Ok(report)
    }
}
