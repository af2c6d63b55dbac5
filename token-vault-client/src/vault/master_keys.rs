//! Master-key glue: re-encryption after a master-key rotation, and the secret
//! values the output filter looks for.

use super::Vault;
use crate::envelope;
use crate::error::VaultError;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::SecretString;

impl Vault {
    /// Re-encryption job after a master-key rotation: re-wraps the data key of
    /// every record not under the active master key. Returns how many moved.
    pub fn reencrypt_all(&self) -> Result<usize, VaultError> {
        let active = self.inner.keys.active()?;
        let mut moved = 0;
        for record in self.inner.store.list()? {
            if record.master_key_id == active.id() {
                continue;
            }
            let result = self
                .inner
                .keys
                .get(&record.master_key_id)
                .and_then(|old| envelope::rewrap(&old, &active, &record))
                .and_then(|next| {
                    self.inner.store.put(&next, record.version)?;
                    Ok(next)
                });
            match result {
                Ok(next) => {
                    self.cache_sealed(next);
                    moved += 1;
                }
                // Rewritten meanwhile: the new write already uses the active key.
                Err(VaultError::Conflict) => {}
                Err(e) => {
                    self.audit_event(AuditAction::KeyRotated, Outcome::Error, |ev| {
                        ev.user(record.key.user.clone())
                            .reason(e.reason())
                            .detail("connection", record.key.connection.clone())
                    });
                    return Err(e);
                }
            }
        }
        self.audit_event(AuditAction::KeyRotated, Outcome::Success, |e| {
            e.detail("op", "vault_reencrypt")
                .detail("master_key_id", active.id().to_owned())
                .detail("records", moved)
        });
        Ok(moved)
    }

    /// Every secret value currently in the vault (for the output filter).
    ///
    /// # Security
    /// Plaintext: hand it to the filter only.
    pub fn secret_values(&self) -> Result<Vec<SecretString>, VaultError> {
        let mut out = Vec::new();
        for record in self.inner.store.list()? {
            let c = envelope::open(&*self.inner.keys, &record)?;
            out.extend(c.secret_values().into_iter().map(SecretString::new));
        }
        Ok(out)
    }
}
