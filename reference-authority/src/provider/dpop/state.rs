//! The authority's DPoP proof verifier: one replay cache for the token
//! endpoint, and an optional nonce requirement.

use crate::provider::Authority;
use agent_auth::clock::SharedClock;
use agent_auth::dpop::{NonceSource, ProofVerifier};
use std::sync::{Arc, PoisonError, RwLock};

/// The proof verifier of the token endpoint.
#[derive(Debug)]
pub(crate) struct DpopState {
    verifier: RwLock<ProofVerifier>,
}

impl DpopState {
    /// A verifier on the authority's clock, without nonces.
    pub(crate) fn new(clock: SharedClock) -> Self {
        Self {
            verifier: RwLock::new(ProofVerifier::new().clock(clock)),
        }
    }

    /// The current verifier (cheap to clone: shared cache and nonces).
    pub(crate) fn verifier(&self) -> ProofVerifier {
        self.verifier
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Authority {
    /// Requires every DPoP proof at the token endpoint to carry a nonce of
    /// this authority (RFC 9449 section 8); nonces change every `lifetime`
    /// seconds and stay good for one more period.
    pub fn require_dpop_nonce(&self, lifetime: i64) -> Result<(), agent_auth::dpop::DpopError> {
        let nonces = Arc::new(NonceSource::new(lifetime)?);
        let mut verifier = self
            .inner
            .dpop
            .verifier
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *verifier = verifier.clone().require_nonce(nonces);
        Ok(())
    }

    /// The nonce to send in `DPoP-Nonce`, when nonces are required.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.inner.dpop.verifier().current_nonce()
    }

    /// Adds `dpop_signing_alg_values_supported` (RFC 9449 section 5.1) to the
    /// metadata.
    pub(crate) fn install_dpop_metadata(&self) {
        let algs: Vec<serde_json::Value> = self
            .inner
            .dpop
            .verifier()
            .allowed_algorithms()
            .iter()
            .map(|a| a.name().into())
            .collect();
        let mut members = serde_json::Map::new();
        members.insert("dpop_signing_alg_values_supported".into(), algs.into());
        self.extend_metadata(members);
    }
}
