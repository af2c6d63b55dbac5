//! The vault as a subscriber of the shared signal receiver
//! (`agent_auth::signals`): a signal that ends a user's access wipes the
//! user's credentials and revokes them at the providers.

use super::Vault;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::signals::{Signal, SignalSubscriber};

/// Reacts to signals about users of one token issuer, whose credentials the
/// vault keeps under one tenant.
///
/// ```
/// # fn demo(vault: token_vault_client::Vault, receiver: agent_auth::signals::SetReceiver) {
/// use std::sync::Arc;
/// use token_vault_client::VaultSignals;
/// receiver.subscribe(Arc::new(VaultSignals::new(vault, "acme", "https://idp.example")));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct VaultSignals {
    vault: Vault,
    tenant: String,
    issuer: String,
}

impl VaultSignals {
    /// Signals about users of `issuer` act on their credentials in `tenant`.
    pub fn new(vault: Vault, tenant: impl Into<String>, issuer: impl Into<String>) -> Self {
        Self {
            vault,
            tenant: tenant.into(),
            issuer: issuer.into(),
        }
    }
}

#[async_trait::async_trait]
impl SignalSubscriber for VaultSignals {
    /// A signal that ends access ([`Signal::ends_access`]) runs
    /// [`Vault::revoke_user`] for the user it names at the issuer.
    async fn on_signal(&self, signal: &Signal) {
        if !signal.ends_access() {
            return;
        }
        let Some(user) = signal.user_at(&self.issuer) else {
            return;
        };
        if let Err(e) = self.vault.revoke_user(&self.tenant, user).await {
            self.vault
                .audit_event(AuditAction::Logout, Outcome::Error, |ev| {
                    ev.user(user.to_owned())
                        .issuer(self.tenant.clone())
                        .reason(e.reason())
                        .detail("signal", signal.kind().name())
                });
        }
    }
}
