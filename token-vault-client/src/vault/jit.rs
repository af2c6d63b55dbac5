//! Just-in-time credentials minted at request time: a read of a connection
//! with a [`JitSource`] mints through its issuer when nothing fresh is
//! stored, seals the credential with its expiry, and hands it out until
//! shortly before that expiry. One mint per credential however many readers
//! wait (the refresh lock); a credential that cannot be stored is revoked at
//! its issuer before the error returns.

use super::Vault;
use crate::credential::{CredentialKey, IssuedCredential};
use crate::envelope;
use crate::error::VaultError;
use crate::jit::{JitSource, Lease};
use crate::store::{SealedRecord, Status};
use agent_auth::audit::{AuditAction, Outcome};

impl Vault {
    /// The just-in-time source of `connection`, if it has one.
    pub(super) fn jit_source(&self, connection: &str) -> Option<JitSource> {
        self.connection(connection, |c| c.jit.clone()).flatten()
    }

    /// Every connection with a just-in-time source.
    pub(crate) fn jit_sources(&self) -> Vec<(String, JitSource)> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .filter_map(|c| Some((c.name.clone(), c.jit.clone()?)))
            .collect()
    }

    /// Under the credential's lock: the stored credential of `key` if it is
    /// still fresh (another reader minted it meanwhile), otherwise a new one
    /// minted for `agent`, stored, then returned.
    pub(super) async fn mint_locked(
        &self,
        key: &CredentialKey,
        jit: &JitSource,
        scopes: &[&str],
        agent: &str,
    ) -> Result<IssuedCredential, VaultError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        // Instances sharing a store (PostgreSQL) mint one at a time too.
        let _lease = self.inner.store.refresh_lease(key).await?;
        let current = self.load_fresh(key)?;
        let now = self.now();
        if let Some(record) = &current {
            let fresh = record.status == Status::Active
                && record
                    .expires_at
                    .is_some_and(|e| now < e.saturating_sub(jit.margin()));
            if fresh {
                let credential = envelope::open(&*self.inner.keys, &record.record)?;
                self.check(&record.record, scopes)?;
                return Ok(credential.issue());
            }
        }
        let lease = match jit.issue(agent).await {
            Ok(lease) => lease,
            Err(e) => {
                self.audit_event(AuditAction::VaultAccess, Outcome::Error, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .agent(agent.to_owned())
                        .reason(e.reason())
                        .detail("op", "jit_issue")
                        .detail("connection", key.connection.clone())
                });
                return Err(e);
            }
        };
        let version = current.map_or(0, |r| r.record.version);
        match self.store_minted(key, &lease, version, scopes, now) {
            Ok(sealed) => {
                self.cache_sealed(sealed);
                self.audit_event(
                    AuditAction::Other("credential-change".into()),
                    Outcome::Success,
                    |ev| {
                        ev.user(key.user.clone())
                            .issuer(key.tenant.clone())
                            .agent(agent.to_owned())
                            .detail("op", "jit_issue")
                            .detail("kind", lease.credential().kind().as_str())
                            .detail("connection", key.connection.clone())
                            .detail("lease", lease.id().to_owned())
                            .detail("expires_at", lease.expires_at())
                    },
                );
                Ok(lease.into_credential().issue())
            }
            Err(e) => {
                self.undo_mint(key, jit, &lease, &e).await;
                Err(e)
            }
        }
    }

    /// Seals the lease's credential as the version after `version` and stores
    /// it with a compare-and-swap, after checking that it carries the lease's
    /// expiry (a just-in-time credential must end on its own) and covers
    /// `scopes`. Nothing is stored if a check fails.
    fn store_minted(
        &self,
        key: &CredentialKey,
        lease: &Lease,
        version: u64,
        scopes: &[&str],
        now: i64,
    ) -> Result<SealedRecord, VaultError> {
        let credential = lease.credential();
        if credential.expires_at() != Some(lease.expires_at()) || lease.expires_at() <= now {
            return Err(VaultError::Invalid(
                "a just-in-time credential carries its lease's expiry, in the future".into(),
            ));
        }
        super::validate_scopes(credential)?;
        let sealed = envelope::seal(
            &*self.inner.keys.active()?,
            key,
            version + 1,
            now,
            credential,
        )?;
        self.check(&sealed, scopes)?;
        self.inner.store.put(&sealed, version)?;
        Ok(sealed)
    }

    /// The minted credential was not stored: revoke it at its issuer, so
    /// that nothing is left half-created, and audit the failure.
    async fn undo_mint(&self, key: &CredentialKey, jit: &JitSource, lease: &Lease, e: &VaultError) {
        let revoked = jit.revoke(lease).await;
        self.audit_event(AuditAction::VaultAccess, Outcome::Error, |ev| {
            let ev = ev
                .user(key.user.clone())
                .issuer(key.tenant.clone())
                .agent(lease.agent().to_owned())
                .reason(e.reason())
                .detail("op", "jit_issue")
                .detail("connection", key.connection.clone())
                .detail("lease", lease.id().to_owned());
            match &revoked {
                Ok(_) => ev.detail("lease_revoked", true),
                Err(r) => ev
                    .detail("lease_revoked", false)
                    .detail("revoke_error", r.reason()),
            }
        });
    }
}
