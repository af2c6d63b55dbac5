//! Removing credentials: disconnecting one connection, and the local part of
//! universal logout (every credential of a user, with an epoch agent caches
//! compare).

use super::{Accessor, Vault};
use crate::error::VaultError;
use agent_auth::audit::{AuditAction, Outcome};
use std::sync::PoisonError;

impl Vault {
    /// Deletes the credential of `connection` for the user `accessor` acts for.
    pub fn disconnect(&self, accessor: &Accessor, connection: &str) -> Result<bool, VaultError> {
        let key = accessor.key(connection);
        self.audit_trusted(accessor, "delete", connection);
        let result = self.inner.store.delete(&key);
        self.cache_remove(&key);
        self.audit_access(
            "delete",
            &key,
            Some(accessor.agent()),
            result.as_ref().map(|_| ()),
        );
        result
    }

    /// The local part of universal logout: deletes every credential of
    /// `user` in `tenant`, from the store and the cache, and invalidates
    /// agent-side caches, without contacting any provider (see
    /// [`wipe_user`](Self::wipe_user), which also revokes).
    pub fn wipe_local(&self, tenant: &str, user: &str) -> Result<usize, VaultError> {
        let result = self.inner.store.delete_user(tenant, user);
        self.inner.cache.remove_user(tenant, user);
        self.due_remove_user(tenant, user);
        *self
            .inner
            .epochs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((tenant.to_owned(), user.to_owned()))
            .or_default() += 1;
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Error
        };
        self.audit_event(AuditAction::Logout, outcome, |e| {
            let e = e
                .user(user.to_owned())
                .issuer(tenant.to_owned())
                .detail("op", "vault_wipe");
            match &result {
                Ok(n) => e.detail("deleted", *n),
                Err(err) => e.reason(err.reason()),
            }
        });
        result
    }

    /// A counter that changes whenever the user's credentials are wiped (agent
    /// caches compare it).
    pub fn user_epoch(&self, tenant: &str, user: &str) -> u64 {
        self.inner
            .epochs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(tenant.to_owned(), user.to_owned()))
            .copied()
            .unwrap_or(0)
    }
}
