//! Reading credentials: the synchronous hot path over the cache, and the
//! async read that refreshes a due access token first.

use super::records::Names;
use super::{Accessor, Lookup, Vault};
use crate::cache::Cached;
use crate::credential::{CredentialKey, CredentialKind, IssuedCredential};
use crate::envelope;
use crate::error::VaultError;
use crate::store::{SealedRecord, Status};

impl Vault {
    /// The synchronous hot path: cached ciphertext, the cached data key (whose
    /// unwrap authenticated the record's clear metadata), status and scope
    /// check, decrypt (the AEAD checks the associated data again on every
    /// read), audit. Says [`Lookup::Stale`] when the access token is due
    /// for refresh.
    pub fn get_cached(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<Lookup, VaultError> {
        let names = Names {
            tenant: accessor.tenant(),
            user: accessor.user(),
            connection,
        };
        let now = self.now();
        let rule = self.agent_rule(accessor, connection, scopes);
        // Only an allowed request loads the record.
        let entry = match &rule {
            Ok(_) => self.load(names),
            Err(_) => Ok(None),
        };
        let cached = entry.as_ref().ok().and_then(Option::as_deref);
        self.audit_trusted_read(now, accessor, connection, cached);
        let rule = rule?;
        let result = match entry {
            // Nothing minted yet: `get` mints.
            Ok(None) if self.jit_source(connection).is_some() => Ok(Lookup::Stale),
            entry => entry
                .and_then(|e| e.ok_or_else(|| VaultError::NotFound(connection.to_owned())))
                .and_then(|e| self.read_entry(&e, scopes, now, accessor.agent())),
        };
        if let Err(e) = &result {
            self.audit_access_at(now, "read", names, Some(accessor.agent()), Err(e));
        }
        match (result?, rule) {
            (Lookup::Ready(c), Some(rule)) if Self::broader(&c, &rule) => Ok(Lookup::Stale),
            (lookup, _) => Ok(lookup),
        }
    }

    /// The hot read of a loaded `record`.
    fn read_entry(
        &self,
        record: &Cached,
        scopes: &[&str],
        now: i64,
        agent: &str,
    ) -> Result<Lookup, VaultError> {
        // The data key unwraps only under the record's exact associated data
        // (the wrap authenticates it), so status, scopes and expiry are
        // authentic before they are trusted; the unwrapped key is cached.
        let data_key = record.data_key.get_or_init(|| {
            let master = self.inner.keys.get(&record.master_key_id).ok()?;
            envelope::unwrap_dek(&master, &record.wrapped_key, &record.aad).ok()
        });
        let data_key = data_key.as_ref().ok_or(VaultError::Integrity)?;
        self.check(record, scopes)?;
        if self.due_with(record, record.jitter, now) {
            return Ok(Lookup::Stale);
        }
        if record.kind != CredentialKind::OAuth
            && let Some(expires_at) = record.expires_at
        {
            // A minted credential is replaced shortly before its expiry.
            if let Some(jit) = self.jit_source(&record.key.connection)
                && now >= expires_at.saturating_sub(jit.margin())
            {
                return Ok(Lookup::Stale);
            }
            if now >= expires_at {
                return Err(VaultError::Expired(record.key.connection.clone()));
            }
        }
        let credential =
            envelope::open_payload(data_key, &record.record, &record.aad, &record.scopes)?;
        self.audit_read(now, record, agent);
        Ok(Lookup::Ready(credential))
    }

    /// The credential of `connection` for the user `accessor` acts for, with
    /// at least `scopes`; refreshed first when due. Never a refresh token.
    #[tracing::instrument(name = "vault.get", skip_all, fields(connection = connection, agent = %accessor.agent()))]
    pub async fn get(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        let credential = self.get_unscoped(accessor, connection, scopes).await?;
        match self.agent_rule(accessor, connection, scopes)? {
            Some(rule) if Self::broader(&credential, &rule) => {
                self.narrow(accessor, connection, scopes, &rule, credential)
                    .await
            }
            _ => Ok(credential),
        }
    }

    /// [`get`](Self::get) before the per-agent narrowing.
    async fn get_unscoped(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        match self.get_cached(accessor, connection, scopes)? {
            Lookup::Ready(c) => Ok(c),
            Lookup::Stale => {
                let key = accessor.key(connection);
                let result = match self.jit_source(connection) {
                    Some(jit) => self.mint_locked(&key, &jit, scopes, accessor.agent()).await,
                    None => {
                        self.refresh_locked(&key, scopes, None, accessor.agent())
                            .await
                    }
                };
                self.audit_access(
                    "read",
                    &key,
                    Some(accessor.agent()),
                    result.as_ref().map(|_| ()),
                );
                result
            }
        }
    }

    /// [`get`](Self::get) for `user`, refused unless `accessor` acts for that user.
    pub async fn get_for_user(
        &self,
        accessor: &Accessor,
        user: &str,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        if accessor.user() != user {
            let e = VaultError::NotActingForUser;
            let key = CredentialKey::new(accessor.tenant(), user, connection);
            self.audit_access("read", &key, Some(accessor.agent()), Err(&e));
            return Err(e);
        }
        self.get(accessor, connection, scopes).await
    }

    /// Refuses a record whose connection needs a reconnect, or whose scopes
    /// do not cover `scopes`. Callers authenticate the record first (its
    /// status and scopes are bound by the associated data) (RFC 6749 section 3.3: the granted scope bounds
    /// what may be used).
    pub(super) fn check(&self, record: &SealedRecord, scopes: &[&str]) -> Result<(), VaultError> {
        if record.status == Status::ConsentRequired {
            let missing = if scopes.is_empty() {
                record.scopes.clone()
            } else {
                scopes.iter().map(|s| (*s).to_owned()).collect()
            };
            return Err(self.consent(&record.key.connection, missing));
        }
        let scoped = match record.kind {
            CredentialKind::Database => false,
            CredentialKind::ApiKey => !record.scopes.is_empty(),
            _ => true,
        };
        if scoped {
            let missing: Vec<String> = scopes
                .iter()
                .filter(|s| !record.scopes.iter().any(|have| have == *s))
                .map(|s| (*s).to_owned())
                .collect();
            if !missing.is_empty() {
                return Err(self.consent(&record.key.connection, missing));
            }
        }
        Ok(())
    }
}
