//! Consent: the error that sends a user to reconnect an account, and marking
//! a connection whose grant is gone.

use super::Vault;
use crate::credential::CredentialKey;
use crate::envelope;
use crate::error::{ConsentRequired, VaultError};
use crate::store::{SealedRecord, Status};
use agent_auth::audit::{AuditAction, Outcome};

impl Vault {
    /// A consent-required error for `connection` with its reconnect URL.
    pub fn consent_error(&self, connection: &str, missing: Vec<String>) -> VaultError {
        self.consent(connection, missing)
    }

    pub(super) fn consent(&self, connection: &str, missing: Vec<String>) -> VaultError {
        let base = self
            .connection(connection, |c| c.reconnect_url.clone())
            .flatten();
        let reconnect_url = base.map(|b| {
            let sep = if b.contains('?') { '&' } else { '?' };
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            format!(
                "{b}{sep}connection={}&scope={}",
                enc(connection),
                enc(&missing.join(" "))
            )
        });
        VaultError::ConsentRequired(ConsentRequired {
            connection: connection.to_owned(),
            missing_scopes: missing,
            reconnect_url,
        })
    }

    /// Marks a connection as needing a reconnect (e.g. the provider told us the
    /// grant was revoked).
    pub fn mark_consent_required(&self, key: &CredentialKey) -> Result<(), VaultError> {
        if let Some(record) = self.load_fresh(key)? {
            let _ = self.mark_consent(&record.record, &[], "marked", "vault");
        }
        Ok(())
    }

    /// Marks `record` consent-required in the store and the cache, audits
    /// it, and returns the error for the caller.
    pub(super) fn mark_consent(
        &self,
        record: &SealedRecord,
        scopes: &[&str],
        reason: &'static str,
        agent: &str,
    ) -> VaultError {
        let key = &record.key;
        // The status is bound by the associated data: marking seals the
        // credential again as the next version (compare-and-swap, so a record
        // replaced meanwhile is left alone).
        if record.status != Status::ConsentRequired {
            let marked = self.inner.keys.active().and_then(|active| {
                envelope::reseal(&*self.inner.keys, &active, record, Status::ConsentRequired)
            });
            if let Ok(next) = marked
                && self.inner.store.put(&next, record.version).is_ok()
            {
                self.cache_sealed(next);
            }
        }
        self.audit_event(AuditAction::TokenRefreshed, Outcome::Denied, |ev| {
            ev.user(key.user.clone())
                .issuer(key.tenant.clone())
                .agent(agent.to_owned())
                .reason(reason)
                .detail("connection", key.connection.clone())
                .detail("consent_required", true)
        });
        let missing = if scopes.is_empty() {
            record.scopes.clone()
        } else {
            scopes.iter().map(|s| (*s).to_owned()).collect()
        };
        self.consent(&key.connection, missing)
    }
}
