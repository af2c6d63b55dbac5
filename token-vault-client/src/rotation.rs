//! Scheduled rotation of privileged credentials (database passwords, API keys)
//! and removal of expired just-in-time credentials, found through a due-time
//! index instead of a scan of the store.
//!
//! A connection with a [`Rotator`] and a [`RotationPolicy`] has every stored
//! credential replaced once it is older than the policy's period. Rotation is
//! two-phase so that a failure never leaves a credential that works nowhere:
//!
//! 1. [`Rotator::issue`] creates the new credential while the current one
//!    still works (a second key, a new password accepted alongside the old);
//! 2. the vault seals and stores it with a compare-and-swap on the version
//!    (durable when it returns); if that fails, [`Rotator::discard`] undoes
//!    step 1 and the current credential stays, untouched;
//! 3. only then [`Rotator::retire`] revokes the old credential.
//!
//! Rotations of one credential run under the same per-credential lock as
//! refreshes (single flight) and, on a store several instances share, under
//! the same lease (a database lock): each due credential is rotated once
//! whichever instances run the job. Every success and failure is audited
//! with the connection, the version and a reason, never a value.

use crate::credential::{Credential, CredentialKey, CredentialKind};
use crate::envelope;
use crate::error::VaultError;
use crate::store::SealedRecord;
use crate::vault::Vault;
use agent_auth::audit::{AuditAction, Outcome};
use std::sync::Arc;

/// How often a connection's credentials are replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// Maximum age of a credential, in seconds.
    pub every: i64,
}

impl RotationPolicy {
    /// Rotation every `days` days (30 and 90 are common).
    pub fn every_days(days: i64) -> Self {
        Self {
            every: days.saturating_mul(86_400),
        }
    }

    /// Whether a credential sealed at `sealed_at` is due at `now`. A record
    /// without a seal time (written before times were kept) is due.
    pub fn is_due(&self, sealed_at: Option<i64>, now: i64) -> bool {
        sealed_at.is_none_or(|t| now >= t.saturating_add(self.every))
    }
}

/// Why a [`Rotator`] failed. The message is audited-safe text: never a
/// credential value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RotationError(String);

impl RotationError {
    /// An error with a description that holds no secret.
    pub fn new(description: impl Into<String>) -> Self {
        Self(description.into())
    }
}

/// Produces new credentials for a connection at the provider (a database, an
/// API's key management).
#[async_trait::async_trait]
pub trait Rotator: Send + Sync + std::fmt::Debug {
    /// Creates a credential to replace `current`, of the same kind. `current`
    /// must keep working until [`retire`](Self::retire) is called.
    async fn issue(
        &self,
        key: &CredentialKey,
        current: &Credential,
    ) -> Result<Credential, RotationError>;

    /// The new credential is stored: revoke `old` at the provider.
    async fn retire(&self, _key: &CredentialKey, _old: &Credential) -> Result<(), RotationError> {
        Ok(())
    }

    /// The new credential could not be stored: revoke `new` at the provider.
    async fn discard(&self, _key: &CredentialKey, _new: &Credential) -> Result<(), RotationError> {
        Ok(())
    }
}

/// A connection's rotation: who rotates and how often.
#[derive(Debug, Clone)]
pub struct RotationSchedule {
    /// Creates the new credentials.
    pub rotator: Arc<dyn Rotator>,
    /// How often.
    pub policy: RotationPolicy,
}

/// What one rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotated {
    /// A new version was stored.
    Stored {
        /// Its version.
        version: u64,
        /// Whether the old credential was retired at the provider (false: the
        /// retire step failed and was audited; the old one may still work).
        retired: bool,
    },
    /// Nothing to do: not due, or another writer replaced it meanwhile.
    Skipped,
}

/// What a [`Vault::rotate_due`] pass did.
#[derive(Debug, Default)]
pub struct RotationReport {
    /// Credentials rotated, with their new version.
    pub rotated: Vec<(CredentialKey, u64)>,
    /// Credentials whose rotation failed; each still holds its old credential.
    pub failed: Vec<(CredentialKey, VaultError)>,
    /// Expired just-in-time credentials removed.
    pub expired_removed: usize,
    /// Expired just-in-time credentials ended at their issuers, by the
    /// issuers' sweeps (connections with a [`JitSource`](crate::jit::JitSource)).
    pub jit_swept: usize,
    /// Connections whose issuer's sweep failed (audited; tried again next pass).
    pub sweep_failed: Vec<(String, VaultError)>,
}

impl Vault {
    /// Rotates every credential whose connection has a rotation schedule and
    /// whose age at `now` reaches the policy's period, and removes expired
    /// just-in-time credentials (API keys, tokens and database users with an
    /// expiry; OAuth token sets are refreshed instead), and runs the sweep of
    /// every just-in-time issuer set on a connection. Failures are collected,
    /// audited, and leave the old credential in place.
    ///
    /// Due credentials come from the due-time index (by seal time per
    /// connection, by expiry), not from a listing of the store: the store is
    /// listed once, at the first pass (see [`Vault::reload_due_index`]).
    pub async fn rotate_due(&self, now: i64) -> Result<RotationReport, VaultError> {
        let mut report = RotationReport::default();
        self.load_due_index()?;
        for key in self.due_expired(now) {
            // The store is the truth: the credential may have been rewritten.
            match self.store().get(&key)? {
                Some(record)
                    if record.kind != CredentialKind::OAuth
                        && record.expires_at.is_some_and(|e| now >= e) =>
                {
                    if self.remove_expired(&record)? {
                        report.expired_removed += 1;
                    }
                }
                Some(record) => self.due_upsert(&record),
                None => self.due_remove(&key),
            }
        }
        self.sweep_issuers(&mut report).await;
        let mut schedules = self.rotation_schedules();
        schedules.sort_by(|a, b| a.0.cmp(&b.0));
        for (connection, schedule) in schedules {
            let sealed_by = now.saturating_sub(schedule.policy.every);
            for key in self.due_sealed(&connection, sealed_by) {
                match self.rotate_locked(&key, &schedule, Some(now)).await {
                    Ok(Rotated::Stored { version, .. }) => report.rotated.push((key, version)),
                    Ok(Rotated::Skipped) => {}
                    // Deleted by another writer since it was indexed.
                    Err(VaultError::NotFound(_)) => self.due_remove(&key),
                    Err(e) => report.failed.push((key, e)),
                }
            }
        }
        Ok(report)
    }

    /// Runs the sweep of every just-in-time issuer: what expired at the
    /// provider is ended there (the vault's copies are removed above).
    async fn sweep_issuers(&self, report: &mut RotationReport) {
        let mut sources = self.jit_sources();
        sources.sort_by(|a, b| a.0.cmp(&b.0));
        for (connection, source) in sources {
            match source.sweep().await {
                Ok(swept) => report.jit_swept += swept,
                Err(e) => {
                    self.audit_event(AuditAction::VaultAccess, Outcome::Error, |ev| {
                        ev.reason(e.reason())
                            .detail("op", "jit_sweep")
                            .detail("connection", connection.clone())
                    });
                    report.sweep_failed.push((connection, e));
                }
            }
        }
    }

    /// Rotates the credential of `key` now, whatever its age. Callers that
    /// race each other cause one rotation: a caller that finds the version
    /// changed while it waited for the lock gets [`Rotated::Skipped`].
    pub async fn rotate(&self, key: &CredentialKey) -> Result<Rotated, VaultError> {
        let schedule = self
            .rotation_schedule(&key.connection)
            .ok_or(VaultError::Unsupported(
                "the connection has no rotation schedule",
            ))?;
        self.rotate_locked_seen(key, &schedule, None, self.current_version(key)?)
            .await
    }

    /// Runs [`rotate_due`](Self::rotate_due) with the vault's clock every
    /// `interval` until the returned task is aborted.
    pub fn spawn_rotation(&self, interval: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let vault = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                // Failures are audited per credential; a listing failure is
                // audited here and retried on the next tick.
                if let Err(e) = vault.rotate_due(vault.now()).await {
                    vault.audit_event(AuditAction::VaultAccess, Outcome::Error, |ev| {
                        ev.reason(e.reason()).detail("op", "rotate_due")
                    });
                }
            }
        })
    }

    fn current_version(&self, key: &CredentialKey) -> Result<u64, VaultError> {
        Ok(self.store().get(key)?.map_or(0, |r| r.version))
    }

    async fn rotate_locked(
        &self,
        key: &CredentialKey,
        schedule: &RotationSchedule,
        due_at: Option<i64>,
    ) -> Result<Rotated, VaultError> {
        let seen = self.current_version(key)?;
        self.rotate_locked_seen(key, schedule, due_at, seen).await
    }

    /// Rotation under the credential's lock. `due_at`: rotate only if still due
    /// at that time; `seen`: the version the caller saw before waiting.
    async fn rotate_locked_seen(
        &self,
        key: &CredentialKey,
        schedule: &RotationSchedule,
        due_at: Option<i64>,
        seen: u64,
    ) -> Result<Rotated, VaultError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        // Instances sharing a store (PostgreSQL) rotate one at a time too: the
        // credential's lease (a database lock), so a due entry is rotated once.
        let _lease = self.store().refresh_lease(key).await?;
        let Some(record) = self.store().get(key)? else {
            return Err(VaultError::NotFound(key.connection.clone()));
        };
        self.due_upsert(&record);
        if record.version != seen
            || due_at.is_some_and(|now| !schedule.policy.is_due(record.sealed_at, now))
        {
            return Ok(Rotated::Skipped);
        }
        let result = self.rotate_record(key, schedule, &record).await;
        let (outcome, reason) = match &result {
            Ok(_) => (Outcome::Success, None),
            Err(e) => (Outcome::Error, Some(e.reason())),
        };
        self.audit_event(AuditAction::VaultAccess, outcome, |ev| {
            let ev = ev
                .user(key.user.clone())
                .issuer(key.tenant.clone())
                .detail("op", "rotate")
                .detail("connection", key.connection.clone())
                .detail("from_version", record.version);
            match (&result, reason) {
                (Ok(Rotated::Stored { version, retired }), _) => ev
                    .detail("version", *version)
                    .detail("retired", *retired)
                    .detail("rotated_at", self.now()),
                (_, Some(reason)) => ev.reason(reason),
                _ => ev,
            }
        });
        result
    }

    async fn rotate_record(
        &self,
        key: &CredentialKey,
        schedule: &RotationSchedule,
        record: &SealedRecord,
    ) -> Result<Rotated, VaultError> {
        let current = envelope::open(&**self.keys(), record)?;
        let next = schedule
            .rotator
            .issue(key, &current)
            .await
            .map_err(|e| VaultError::RotationFailed(e.to_string()))?;
        let stored = self.store_rotated(key, record, &current, &next);
        if let Err(e) = stored {
            // The new credential never became visible: undo it at the provider.
            if let Err(d) = schedule.rotator.discard(key, &next).await {
                self.audit_event(AuditAction::VaultAccess, Outcome::Error, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .detail("op", "rotate_discard")
                        .detail("connection", key.connection.clone())
                        .reason("discard_failed")
                        .detail("error", d.to_string())
                });
            }
            return Err(e);
        }
        let version = record.version + 1;
        let retired = match schedule.rotator.retire(key, &current).await {
            Ok(()) => true,
            Err(e) => {
                self.audit_event(AuditAction::VaultAccess, Outcome::Error, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .detail("op", "rotate_retire")
                        .detail("connection", key.connection.clone())
                        .detail("version", version)
                        .reason("retire_failed")
                        .detail("error", e.to_string())
                });
                false
            }
        };
        Ok(Rotated::Stored { version, retired })
    }

    /// Seals `next` as the version after `record` and stores it with a
    /// compare-and-swap; nothing changes if any step fails.
    fn store_rotated(
        &self,
        key: &CredentialKey,
        record: &SealedRecord,
        current: &Credential,
        next: &Credential,
    ) -> Result<(), VaultError> {
        if next.kind() != current.kind() {
            return Err(VaultError::RotationFailed(
                "the rotator returned another kind of credential".into(),
            ));
        }
        crate::vault::validate_scopes(next)?;
        let sealed = envelope::seal(
            &*self.keys().active()?,
            key,
            record.version + 1,
            self.now(),
            next,
        )?;
        self.store().put(&sealed, record.version)?;
        self.cache_sealed(sealed);
        Ok(())
    }

    /// Deletes an expired just-in-time credential (compare on the version, so
    /// a credential rewritten meanwhile stays).
    fn remove_expired(&self, record: &SealedRecord) -> Result<bool, VaultError> {
        let removed = self.store().delete_version(&record.key, record.version)?;
        if removed {
            self.cache_remove(&record.key);
            self.audit_event(AuditAction::VaultAccess, Outcome::Success, |ev| {
                ev.user(record.key.user.clone())
                    .issuer(record.key.tenant.clone())
                    .detail("op", "expire")
                    .detail("connection", record.key.connection.clone())
                    .detail("version", record.version)
            });
        }
        Ok(removed)
    }
}
