//! The just-in-time part of logout: the minted credentials the vault holds
//! for a user are revoked at their issuers after the wipe, retried as
//! provider revocations are, and each one's fate is audited and reported.

use super::revoke::audited;
use super::{RevokeError, Vault};
use crate::credential::{Credential, CredentialKey};
use crate::jit::{JitSource, Lease};
use agent_auth::audit::AuditAction;

/// What happened to one just-in-time credential at its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseRevocation {
    /// The connection.
    pub connection: String,
    /// Its id at the issuer; `None` when the issuer cannot name it from the
    /// stored credential (then `outcome` is [`RevokeError::Unsupported`]).
    pub lease: Option<String>,
    /// The issuer's last answer.
    pub outcome: Result<(), RevokeError>,
    /// Tries made.
    pub attempts: u32,
}

/// A just-in-time credential read before the wipe, to revoke after it.
#[derive(Debug)]
pub(super) struct HeldLease {
    connection: String,
    source: JitSource,
    /// `None`: the issuer does not name the credential's lease.
    lease: Option<Lease>,
}

impl HeldLease {
    /// The lease of `credential`, stored under `key` in a connection with
    /// `source`; `None` for a credential without expiry (not minted).
    pub(super) fn of(
        key: &CredentialKey,
        source: JitSource,
        credential: Credential,
    ) -> Option<Self> {
        credential.expires_at()?;
        let lease = source.stored_lease(&key.user, credential);
        Some(Self {
            connection: key.connection.clone(),
            source,
            lease,
        })
    }
}

impl Vault {
    /// Waits for the mints in progress on the user's just-in-time
    /// connections and holds new ones off until the guards drop, so that a
    /// credential minted during a logout is either in the listing the wipe
    /// revokes from or minted after the wipe (by a later read).
    pub(super) async fn hold_mints(
        &self,
        tenant: &str,
        user: &str,
    ) -> Vec<tokio::sync::OwnedMutexGuard<()>> {
        let mut connections: Vec<String> = self
            .jit_sources()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        // One order for every caller, so two logouts never wait on each other.
        connections.sort();
        let mut guards = Vec::with_capacity(connections.len());
        for connection in connections {
            let key = CredentialKey::new(tenant, user, connection);
            guards.push(self.flight(&key).lock_owned().await);
        }
        guards
    }

    /// Revokes `held` at its issuer, retried per the vault's
    /// [`RevocationRetry`](super::RevocationRetry), and audits its fate
    /// (`token_revoked` with the lease id and kind, `not_revocable` when
    /// the issuer cannot name it; never the credential).
    pub(super) async fn revoke_lease(
        &self,
        tenant: &str,
        user: &str,
        held: HeldLease,
    ) -> LeaseRevocation {
        let (outcome, attempts) = match &held.lease {
            None => (Err(RevokeError::Unsupported), 0),
            Some(lease) => {
                let source = &held.source;
                self.retried(|| async move {
                    source
                        .revoke(lease)
                        .await
                        .map(drop)
                        .map_err(|e| RevokeError::Failed(e.reason().to_owned()))
                })
                .await
            }
        };
        let id = held.lease.as_ref().map(|l| l.id().to_owned());
        let (result, reason) = audited(&outcome);
        self.audit_event(AuditAction::TokenRevoked, result, |e| {
            let e = e
                .user(user)
                .issuer(tenant)
                .detail("connection", held.connection.clone())
                .detail("token", "jit_lease")
                .detail("attempts", attempts);
            let e = match (&id, &held.lease) {
                (Some(id), Some(lease)) => e
                    .detail("lease", id.clone())
                    .detail("kind", lease.credential().kind().as_str()),
                _ => e,
            };
            match reason {
                Some(r) => e.reason(r),
                None => e,
            }
        });
        LeaseRevocation {
            connection: held.connection,
            lease: id,
            outcome,
            attempts,
        }
    }
}
