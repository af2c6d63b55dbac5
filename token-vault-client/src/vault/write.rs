//! Storing credentials: a new sealed version, written with a compare-and-swap.

use super::{Accessor, Vault};
use crate::credential::{Credential, CredentialKey};
use crate::envelope;
use crate::error::VaultError;

/// Scopes are space-free, non-empty tokens (RFC 6749 section 3.3).
pub(crate) fn validate_scopes(credential: &Credential) -> Result<(), VaultError> {
    if credential
        .scopes()
        .iter()
        .any(|s| s.is_empty() || s.contains(' '))
    {
        return Err(VaultError::Invalid(
            "scopes are non-empty tokens without spaces".into(),
        ));
    }
    Ok(())
}

impl Vault {
    /// Stores `credential` for `key` (a new version). Durable when it returns.
    pub fn put(&self, key: &CredentialKey, credential: &Credential) -> Result<u64, VaultError> {
        let result = self.put_inner(key, credential);
        self.audit_access("write", key, None, result.as_ref().map(|_| ()));
        result
    }

    /// Stores a credential for the user `accessor` acts for.
    pub fn store_for(
        &self,
        accessor: &Accessor,
        connection: &str,
        credential: &Credential,
    ) -> Result<u64, VaultError> {
        let key = accessor.key(connection);
        self.audit_trusted(accessor, "write", connection);
        let result = self.put_inner(&key, credential);
        self.audit_access(
            "write",
            &key,
            Some(accessor.agent()),
            result.as_ref().map(|_| ()),
        );
        result
    }

    fn put_inner(&self, key: &CredentialKey, credential: &Credential) -> Result<u64, VaultError> {
        validate_scopes(credential)?;
        for _ in 0..8 {
            let current = self.inner.store.get(key)?.map_or(0, |r| r.version);
            let record = envelope::seal(
                &*self.inner.keys.active()?,
                key,
                current + 1,
                self.now(),
                credential,
            )?;
            match self.inner.store.put(&record, current) {
                Ok(()) => {
                    self.cache_sealed(record);
                    return Ok(current + 1);
                }
                Err(VaultError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(VaultError::Conflict)
    }
}
