//! Ending access everywhere: wiping a user's credentials (or an agent's own,
//! when it is deprovisioned) and asking each provider to revoke the refresh
//! and access tokens it had issued (RFC 7009), and each issuer the
//! just-in-time credentials it had minted, retried, recording where it
//! could not.

use super::Vault;
use super::leases::{HeldLease, LeaseRevocation};
use crate::credential::Credential;
use crate::envelope;
use crate::error::VaultError;
use crate::vault::RevokeError;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::SecretString;

/// Which token a revocation is about (RFC 7009 section 2.1 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedToken {
    /// A refresh token.
    RefreshToken,
    /// An access token.
    AccessToken,
}

impl RevokedToken {
    /// The `token_type_hint` value.
    pub fn hint(self) -> &'static str {
        match self {
            Self::RefreshToken => "refresh_token",
            Self::AccessToken => "access_token",
        }
    }
}

/// What happened to one token at its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRevocation {
    /// The connection.
    pub connection: String,
    /// Which token.
    pub token: RevokedToken,
    /// The provider's last answer.
    pub outcome: Result<(), RevokeError>,
    /// Tries made.
    pub attempts: u32,
}

/// What [`Vault::wipe_user`] did. `revoked`, `unsupported` and `failed` name
/// connections by the fate of their refresh token, or of their just-in-time
/// credential; `tokens` has every token, `leases` every just-in-time
/// credential.
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
    /// Every token the vault held, refresh and access, and its fate.
    pub tokens: Vec<TokenRevocation>,
    /// Every just-in-time credential the vault held, and its fate at its
    /// issuer.
    pub leases: Vec<LeaseRevocation>,
}

/// What a user's records hold that can be revoked, read before the wipe.
struct Held {
    /// (connection, which token, the token), refresh tokens first.
    tokens: Vec<(String, RevokedToken, SecretString)>,
    leases: Vec<HeldLease>,
}

impl RevocationReport {
    /// Files `connection` by `outcome`.
    fn file(&mut self, connection: &str, outcome: &Result<(), RevokeError>) {
        match outcome {
            Ok(()) => self.revoked.push(connection.to_owned()),
            Err(RevokeError::Unsupported) => self.unsupported.push(connection.to_owned()),
            Err(RevokeError::Failed(why)) => {
                self.failed.push((connection.to_owned(), why.clone()));
            }
        }
    }
}

impl Vault {
    /// Ends the third-party access of `user` in `tenant`, in this order:
    ///
    /// 1. waits for the mints in progress on the user's just-in-time
    ///    connections and holds new ones off;
    /// 2. reads the refresh and access tokens of the user's OAuth
    ///    credentials and the leases of their just-in-time credentials;
    /// 3. deletes every credential of the user at once
    ///    ([`wipe_local`](Self::wipe_local)), so nothing is handed out again,
    ///    and lets mints go on;
    /// 4. asks each connection's provider to revoke the tokens (RFC 7009
    ///    section 2.1, refresh token first) through the connection's
    ///    [`TokenRevoker`](super::TokenRevoker);
    /// 5. asks each just-in-time credential's issuer to revoke it
    ///    ([`JitIssuer::revoke`](crate::jit::JitIssuer::revoke)).
    ///
    /// Failures in 4 and 5 are retried per the vault's
    /// [`RevocationRetry`](super::RevocationRetry); each token's and each
    /// lease's fate is audited (`token_revoked`) and reported, a provider
    /// without revocation (or an issuer that cannot name the lease) as
    /// `not_revocable`. A store error in 2 or 3 is returned before anything
    /// is revoked.
    pub async fn wipe_user(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<RevocationReport, VaultError> {
        let (held, wiped) = {
            let _mints = self.hold_mints(tenant, user).await;
            let held = self.held(tenant, user)?;
            (held, self.wipe_local(tenant, user)?)
        };
        let mut report = RevocationReport {
            wiped,
            ..RevocationReport::default()
        };
        for (connection, kind, token) in held.tokens {
            let (outcome, attempts) = self.revoke_retried(&connection, kind, &token).await;
            self.audit_revocation(tenant, user, &connection, kind, &outcome, attempts);
            if kind == RevokedToken::RefreshToken {
                report.file(&connection, &outcome);
            }
            report.tokens.push(TokenRevocation {
                connection,
                token: kind,
                outcome,
                attempts,
            });
        }
        for lease in held.leases {
            let revocation = self.revoke_lease(tenant, user, lease).await;
            report.file(&revocation.connection, &revocation.outcome);
            report.leases.push(revocation);
        }
        Ok(report)
    }

    /// [`wipe_user`](Self::wipe_user), under the name the signal and logout
    /// paths use.
    pub async fn revoke_user(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<RevocationReport, VaultError> {
        self.wipe_user(tenant, user).await
    }

    /// Deprovisions `agent` of `tenant`: the credentials stored for the
    /// agent itself (user = the agent's id) are wiped and their tokens
    /// revoked at the providers, as [`wipe_user`](Self::wipe_user). The
    /// credentials of the users it acted for stay theirs.
    pub async fn deprovision_agent(
        &self,
        tenant: &str,
        agent: &str,
    ) -> Result<RevocationReport, VaultError> {
        self.audit_event(AuditAction::Logout, Outcome::Success, |e| {
            e.agent(agent)
                .issuer(tenant)
                .detail("op", "agent_deprovisioned")
        });
        self.wipe_user(tenant, agent).await
    }

    /// The refresh and access tokens of the user's OAuth credentials, by
    /// connection, refresh tokens first, and the leases of the user's
    /// just-in-time credentials (expired ones too: the issuer may not have
    /// swept them yet).
    fn held(&self, tenant: &str, user: &str) -> Result<Held, VaultError> {
        let mut refresh = Vec::new();
        let mut access = Vec::new();
        let mut leases = Vec::new();
        for record in self.inner.store.list()? {
            if record.key.tenant != tenant || record.key.user != user {
                continue;
            }
            // A record that no longer opens is wiped all the same.
            let Ok(credential) = envelope::open(&*self.inner.keys, &record) else {
                continue;
            };
            let connection = record.key.connection.clone();
            match credential {
                Credential::OAuth(set) => {
                    if let Some(rt) = set.refresh_token {
                        refresh.push((connection.clone(), RevokedToken::RefreshToken, rt));
                    }
                    access.push((connection, RevokedToken::AccessToken, set.access_token));
                }
                other => {
                    let held = self
                        .jit_source(&connection)
                        .and_then(|source| HeldLease::of(&record.key, source, other));
                    leases.extend(held);
                }
            }
        }
        refresh.append(&mut access);
        Ok(Held {
            tokens: refresh,
            leases,
        })
    }

    /// Revokes one token, retrying a failure (never a provider without
    /// revocation); the last answer and the number of tries.
    async fn revoke_retried(
        &self,
        connection: &str,
        kind: RevokedToken,
        token: &SecretString,
    ) -> (Result<(), RevokeError>, u32) {
        let Some(revoker) = self.connection(connection, |c| c.revoker.clone()).flatten() else {
            return (Err(RevokeError::Unsupported), 0);
        };
        let revoker = &revoker;
        self.retried(|| async move {
            match kind {
                RevokedToken::RefreshToken => revoker.revoke_refresh_token(token).await,
                RevokedToken::AccessToken => revoker.revoke_access_token(token).await,
            }
        })
        .await
    }

    /// Runs `attempt` until it succeeds, answers
    /// [`RevokeError::Unsupported`], or has failed as many times as the
    /// vault's [`RevocationRetry`](super::RevocationRetry) allows, waiting
    /// between tries; the last answer and the number of tries.
    pub(super) async fn retried<F, Fut>(&self, mut attempt: F) -> (Result<(), RevokeError>, u32)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), RevokeError>>,
    {
        let retry = &self.inner.retry;
        let mut wait = retry.backoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            match attempt().await {
                Err(RevokeError::Failed(_)) if attempts < retry.attempts => {
                    retry.sleeper.sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                other => return (other, attempts),
            }
        }
    }

    /// The `token_revoked` event of one token (never the token).
    fn audit_revocation(
        &self,
        tenant: &str,
        user: &str,
        connection: &str,
        kind: RevokedToken,
        outcome: &Result<(), RevokeError>,
        attempts: u32,
    ) {
        let (result, reason) = audited(outcome);
        self.audit_event(AuditAction::TokenRevoked, result, |e| {
            let e = e
                .user(user)
                .issuer(tenant)
                .detail("connection", connection)
                .detail("token", kind.hint())
                .detail("attempts", attempts);
            match reason {
                Some(r) => e.reason(r),
                None => e,
            }
        });
    }
}

/// The audit outcome of a revocation and its reason (`not_revocable` for a
/// provider or issuer that cannot revoke).
pub(super) fn audited(outcome: &Result<(), RevokeError>) -> (Outcome, Option<String>) {
    match outcome {
        Ok(()) => (Outcome::Success, None),
        Err(RevokeError::Unsupported) => (Outcome::Error, Some("not_revocable".to_owned())),
        Err(RevokeError::Failed(why)) => (Outcome::Error, Some(why.clone())),
    }
}
