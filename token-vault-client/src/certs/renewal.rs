//! Renewal by the vault's rotation pass: the CA's connection gets a rotation
//! schedule whose period is the time from issue to the renewal window, so an
//! agent's stored certificate is due (by its seal time, in the due-time
//! index) exactly when it enters the window, and the pass replaces it under
//! the credential's lock, once.

use super::{AgentCa, AgentCertificate, stored};
use crate::ConnectionConfig;
use crate::credential::{Credential, CredentialKey};
use crate::rotation::{RotationError, RotationPolicy, Rotator};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// The rotator of a CA's connection. It holds the CA weakly: the vault holds
/// the rotator, and the CA holds the vault.
struct Renewal {
    ca: Weak<AgentCa>,
    trust_domain: String,
    /// Replacements issued and not yet stored, by the serial they replace.
    pending: Mutex<HashMap<String, AgentCertificate>>,
}

impl std::fmt::Debug for Renewal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renewal")
            .field("trust_domain", &self.trust_domain)
            .finish_non_exhaustive()
    }
}

fn failed(e: impl std::fmt::Display) -> RotationError {
    RotationError::new(e.to_string())
}

impl Renewal {
    fn ca(&self) -> Result<Arc<AgentCa>, RotationError> {
        self.ca
            .upgrade()
            .ok_or_else(|| RotationError::new("the agent CA is closed"))
    }

    fn held(
        &self,
        key: &CredentialKey,
        credential: &Credential,
    ) -> Result<AgentCertificate, RotationError> {
        stored::decode(&self.trust_domain, &key.user, credential).map_err(failed)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, AgentCertificate>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Rotator for Renewal {
    /// A replacement of the held certificate; a revoked or expired one is
    /// refused (the agent enrolls again).
    async fn issue(
        &self,
        key: &CredentialKey,
        current: &Credential,
    ) -> Result<Credential, RotationError> {
        let held = self.held(key, current)?;
        let next = self.ca()?.replacement(&held).map_err(failed)?;
        let sealed = stored::encode(&next);
        self.pending().insert(held.serial, next);
        Ok(sealed)
    }

    /// The replacement is stored: the renewal is audited. The old certificate
    /// is superseded, not revoked: it stays valid until its own expiry, so an
    /// agent's open sessions end on their own (SPIFFE X.509-SVID rotation).
    async fn retire(&self, key: &CredentialKey, old: &Credential) -> Result<(), RotationError> {
        let old = self.held(key, old)?;
        let next = self.pending().remove(&old.serial);
        if let Some(next) = next {
            self.ca()?.audit("renew", &next, Some(&old.serial));
        }
        Ok(())
    }

    /// The replacement could not be stored: forget it (never handed out).
    async fn discard(&self, key: &CredentialKey, new: &Credential) -> Result<(), RotationError> {
        let new = self.held(key, new)?;
        self.pending().retain(|_, next| next.serial != new.serial);
        Ok(())
    }
}

impl AgentCa {
    /// Lets the vault's rotation pass ([`Vault::rotate_due`](crate::Vault::rotate_due),
    /// [`Vault::spawn_rotation`](crate::Vault::spawn_rotation)) renew the
    /// agents' current certificates as they enter the renewal window, each
    /// renewal a `credential-change` event (`op=renew`, the new serial and
    /// `previous_serial`). The pass finds them in its due-time index, by seal
    /// time, without listing the store. A revoked certificate is not renewed
    /// (the pass reports the refusal); expired ones are removed.
    ///
    /// The vault keeps a weak reference: renewals stop when the last `Arc` of
    /// this CA is dropped, and the CA opened last for a trust domain renews.
    pub fn schedule_renewal(self: &Arc<Self>) {
        let renewal = Renewal {
            ca: Arc::downgrade(self),
            trust_domain: self.trust_domain.clone(),
            pending: Mutex::new(HashMap::new()),
        };
        let every = self.policy.renew_after();
        self.vault.add_connection(
            ConnectionConfig::new(stored::connection(&self.trust_domain))
                .rotation(Arc::new(renewal), RotationPolicy { every }),
        );
    }
}
