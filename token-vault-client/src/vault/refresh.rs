//! Single-flight refresh of OAuth access tokens: one refresh per credential
//! however many callers wait, the rotated refresh token written with the new
//! access token before either is seen.

use super::{Accessor, RefreshError, TokenRefresher, Vault};
use crate::credential::{Credential, CredentialKey, IssuedCredential, TokenSet};
use crate::envelope;
use crate::error::VaultError;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::constant_time_eq;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

impl Vault {
    /// After a provider refused `rejected` (HTTP 401): refreshes unless another
    /// caller already replaced that token, and returns the current token.
    pub async fn refresh_rejected(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
        rejected: &str,
    ) -> Result<IssuedCredential, VaultError> {
        let key = accessor.key(connection);
        let result = self
            .refresh_locked(&key, scopes, Some(rejected), accessor.agent())
            .await;
        self.audit_access(
            "read",
            &key,
            Some(accessor.agent()),
            result.as_ref().map(|_| ()),
        );
        result
    }

    /// The per-credential lock of refreshes and rotations (single flight).
    pub(crate) fn flight(&self, key: &CredentialKey) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(
            self.inner
                .flights
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_default(),
        )
    }

    fn refresher(&self, connection: &str) -> Option<Arc<dyn TokenRefresher>> {
        self.connection(connection, |c| c.refresher.clone())
            .flatten()
    }

    /// Refreshes the access token of `key` under its lock when it is due (or
    /// is the `rejected` one), and returns the current credential.
    pub(super) async fn refresh_locked(
        &self,
        key: &CredentialKey,
        scopes: &[&str],
        rejected: Option<&str>,
        agent: &str,
    ) -> Result<IssuedCredential, VaultError> {
        let flight = self.flight(key);
        let _guard = flight.lock().await;
        // Instances sharing a store (PostgreSQL) refresh one at a time too.
        let _lease = self.inner.store.refresh_lease(key).await?;
        // Under the lock, the store is the truth: a refresh that finished while
        // this caller waited is visible here.
        let record = self
            .load_fresh(key)?
            .ok_or_else(|| VaultError::NotFound(key.connection.clone()))?;
        // Open first: it authenticates the status and scopes `check` reads.
        let credential = envelope::open(&*self.inner.keys, &record)?;
        self.check(&record, scopes)?;
        let now = self.now();
        let Credential::OAuth(set) = credential else {
            if rejected.is_some() {
                return Err(self.consent(
                    &key.connection,
                    scopes.iter().map(|s| (*s).to_owned()).collect(),
                ));
            }
            return Ok(credential.issue());
        };
        let needed = match rejected {
            Some(token) => constant_time_eq(
                token.as_bytes(),
                set.access_token.expose_secret().as_bytes(),
            ),
            None => self.due(&record, now),
        };
        if !needed {
            return Ok(Credential::OAuth(set).issue());
        }
        let Some(refresh_token) = set.refresh_token.clone() else {
            if rejected.is_none() && set.expires_at.is_some_and(|e| now < e) {
                return Ok(Credential::OAuth(set).issue());
            }
            return Err(self.mark_consent(&record.record, scopes, "no_refresh_token", agent));
        };
        let Some(refresher) = self.refresher(&key.connection) else {
            if rejected.is_none() && set.expires_at.is_some_and(|e| now < e) {
                return Ok(Credential::OAuth(set).issue());
            }
            return Err(VaultError::RefreshFailed(
                "no refresher for the connection".into(),
            ));
        };
        self.inner.refreshes.fetch_add(1, Ordering::SeqCst);
        match refresher.refresh(&refresh_token, &set.scopes).await {
            Ok(fresh) => {
                let now = self.now();
                let next = TokenSet {
                    access_token: fresh.access_token,
                    // Rotation: the new refresh token replaces the old one in the
                    // same write as the access token, before anyone sees either.
                    refresh_token: fresh.refresh_token.or(Some(refresh_token)),
                    expires_at: fresh.expires_in.map(|s| now + s),
                    scopes: fresh.scopes.unwrap_or_else(|| set.scopes.clone()),
                    token_type: fresh.token_type.unwrap_or_else(|| set.token_type.clone()),
                };
                let next = Credential::OAuth(next);
                let sealed = envelope::seal(
                    &*self.inner.keys.active()?,
                    key,
                    record.version + 1,
                    self.now(),
                    &next,
                )?;
                if let Err(e) = self.inner.store.put(&sealed, record.version) {
                    self.audit_event(AuditAction::TokenRefreshed, Outcome::Error, |ev| {
                        ev.user(key.user.clone())
                            .agent(agent.to_owned())
                            .reason(e.reason())
                            .detail("connection", key.connection.clone())
                    });
                    return Err(e);
                }
                self.cache_sealed(sealed);
                self.audit_event(AuditAction::TokenRefreshed, Outcome::Success, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .agent(agent.to_owned())
                        .detail("connection", key.connection.clone())
                        .detail("version", record.version + 1)
                });
                self.check_scopes_after_refresh(&next, scopes, &key.connection)?;
                Ok(next.issue())
            }
            Err(RefreshError::ConsentGone(_)) => {
                Err(self.mark_consent(&record.record, scopes, "invalid_grant", agent))
            }
            Err(failure) => {
                self.audit_event(AuditAction::TokenRefreshed, Outcome::Error, |ev| {
                    ev.user(key.user.clone())
                        .issuer(key.tenant.clone())
                        .agent(agent.to_owned())
                        .reason("transient")
                        .detail("connection", key.connection.clone())
                });
                // The current token is still good for a while: use it.
                if rejected.is_none() && set.expires_at.is_some_and(|e| self.now() < e) {
                    return Ok(Credential::OAuth(set).issue());
                }
                Err(match failure {
                    RefreshError::Transient(why) => VaultError::RefreshFailed(why),
                    #[cfg(feature = "http")]
                    RefreshError::Endpoint(cause) => VaultError::TokenEndpoint(cause),
                    other => VaultError::RefreshFailed(other.to_string()),
                })
            }
        }
    }

    /// A refresh may narrow the grant: the scopes asked for must still be in it.
    fn check_scopes_after_refresh(
        &self,
        c: &Credential,
        scopes: &[&str],
        connection: &str,
    ) -> Result<(), VaultError> {
        let missing: Vec<String> = scopes
            .iter()
            .filter(|s| !c.scopes().iter().any(|h| h == *s))
            .map(|s| (*s).to_owned())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(self.consent(connection, missing))
        }
    }
}
