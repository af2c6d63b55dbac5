//! One interface over both vaults: the embedded [`Vault`] and a remote Token
//! Vault ([`RemoteSession`](crate::remote::RemoteSession), feature `http`).
//! Code that only reads credentials, lists connected accounts, builds
//! consent-required errors and logs a user out takes a
//! `&dyn CredentialBackend` and works with either.

use crate::credential::IssuedCredential;
use crate::error::VaultError;
use crate::store::Status;
use crate::vault::{Accessor, Vault};

/// What both vaults offer an agent.
///
/// ```
/// # use std::sync::Arc;
/// use token_vault_client::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), VaultError> {
/// # let keys = Arc::new(StaticKeyProvider::new(MasterKey::generate("m")?));
/// let vault = Vault::builder(Arc::new(MemoryVaultStore::new()), keys).build();
/// let backend: &dyn CredentialBackend = &vault;
/// let alice = Accessor::trusted_system("acme", "alice", "calendar-agent");
/// assert!(backend.connected_accounts(&alice).await?.is_empty());
/// assert!(matches!(
///     backend.get(&alice, "google", &["calendar"]).await,
///     Err(VaultError::NotFound(_))
/// ));
/// # Ok(()) }
/// ```
#[crate::async_trait]
pub trait CredentialBackend: Send + Sync + std::fmt::Debug {
    /// The credential of `connection` for the user `accessor` acts for, with
    /// at least `scopes` (never a refresh token).
    async fn get(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError>;

    /// The connections the user `accessor` acts for has connected and that
    /// are usable (not waiting for consent), sorted.
    async fn connected_accounts(&self, accessor: &Accessor) -> Result<Vec<String>, VaultError>;

    /// The consent-required error for `connection` (with its reconnect URL
    /// where the backend knows one).
    fn consent_required(&self, connection: &str, missing_scopes: Vec<String>) -> VaultError;

    /// Ends the access of the user `accessor` acts for to every connection;
    /// returns how many credentials were removed.
    async fn logout(&self, accessor: &Accessor) -> Result<usize, VaultError>;

    /// A fresh credential after the provider refused `rejected` (its 401).
    /// By default the backend is asked again.
    async fn refresh_rejected(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
        rejected: &str,
    ) -> Result<IssuedCredential, VaultError> {
        let _ = rejected;
        self.get(accessor, connection, scopes).await
    }

    /// The backend's current time (seconds since the epoch), against which
    /// callers caching a credential check its expiry. By default the system
    /// clock.
    fn now(&self) -> i64 {
        agent_auth::clock::system_clock().now()
    }

    /// A number that changes whenever the credentials of the user `accessor`
    /// acts for are wiped or revoked: a caller drops what it cached under
    /// another number. By default always 0 (the backend says nothing).
    fn user_epoch(&self, accessor: &Accessor) -> u64 {
        let _ = accessor;
        0
    }
}

#[crate::async_trait]
impl CredentialBackend for Vault {
    async fn get(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
    ) -> Result<IssuedCredential, VaultError> {
        Vault::get(self, accessor, connection, scopes).await
    }

    async fn connected_accounts(&self, accessor: &Accessor) -> Result<Vec<String>, VaultError> {
        let mut names: Vec<String> = self
            .store()
            .list()?
            .into_iter()
            .filter(|r| {
                r.key.tenant == accessor.tenant()
                    && r.key.user == accessor.user()
                    && r.status == Status::Active
            })
            .map(|r| r.key.connection)
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn consent_required(&self, connection: &str, missing_scopes: Vec<String>) -> VaultError {
        self.consent_error(connection, missing_scopes)
    }

    /// Wipes the user's credentials and revokes their tokens at the
    /// providers and their just-in-time credentials at the issuers
    /// ([`Vault::revoke_user`]).
    async fn logout(&self, accessor: &Accessor) -> Result<usize, VaultError> {
        self.revoke_user(accessor.tenant(), accessor.user())
            .await
            .map(|report| report.wiped)
    }

    async fn refresh_rejected(
        &self,
        accessor: &Accessor,
        connection: &str,
        scopes: &[&str],
        rejected: &str,
    ) -> Result<IssuedCredential, VaultError> {
        Vault::refresh_rejected(self, accessor, connection, scopes, rejected).await
    }

    fn now(&self) -> i64 {
        Vault::now(self)
    }

    fn user_epoch(&self, accessor: &Accessor) -> u64 {
        Vault::user_epoch(self, accessor.tenant(), accessor.user())
    }
}
