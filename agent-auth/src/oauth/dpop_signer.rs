//! DPoP for every client of the OAuth core (RFC 9449): a proof on each
//! request with the agent's key, the last server nonce remembered, one retry
//! when the server asks for a nonce (sections 8 and 9).

use crate::dpop::{DPOP_NONCE_HEADER, DpopKey, USE_DPOP_NONCE};
use crate::secret::Token;
use std::sync::{Arc, Mutex, PoisonError};

/// An agent's DPoP key with the nonce its servers last handed out. Clones
/// share both; `Debug` shows the key's thumbprint only.
///
/// ```
/// use agent_auth::dpop::DpopKey;
/// use agent_auth::oauth::{ClientAuth, DpopSigner, TokenEndpoint};
///
/// let signer = DpopSigner::new(DpopKey::generate()?);
/// let endpoint = TokenEndpoint::new("https://as.example/token", ClientAuth::public("agent"))?
///     .dpop(signer.clone());
/// assert_eq!(endpoint.dpop_signer().map(|s| s.key().thumbprint()), Some(signer.key().thumbprint()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DpopSigner {
    key: Arc<DpopKey>,
    nonce: Arc<Mutex<Option<String>>>,
}

impl DpopSigner {
    /// A signer with `key` and no nonce yet.
    pub fn new(key: DpopKey) -> Self {
        Self::shared(Arc::new(key))
    }

    /// A signer with a key shared with other signers (one per server, one
    /// key per agent).
    pub fn shared(key: Arc<DpopKey>) -> Self {
        Self {
            key,
            nonce: Arc::new(Mutex::new(None)),
        }
    }

    /// The key.
    pub fn key(&self) -> &DpopKey {
        &self.key
    }

    /// A proof for `method` `url`, with `ath` when `access_token` goes along,
    /// carrying the last nonce the server sent.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        now: i64,
    ) -> Result<Token, crate::dpop::DpopError> {
        let nonce = self
            .nonce
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        self.key
            .proof(method, url, access_token, nonce.as_deref(), now)
    }

    /// Remembers the `DPoP-Nonce` of a response, if it has one. Returns
    /// whether the nonce changed.
    pub fn learn_nonce(&self, header: Option<&str>) -> bool {
        let Some(nonce) = header.filter(|n| !n.is_empty()) else {
            return false;
        };
        let mut slot = self.nonce.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_deref() == Some(nonce) {
            return false;
        }
        *slot = Some(nonce.to_owned());
        true
    }

    /// Whether an answer asks for a retry with a (new) nonce: `use_dpop_nonce`
    /// with a `DPoP-Nonce` header the signer now holds.
    pub fn wants_retry(&self, error_code: Option<&str>, nonce_header: Option<&str>) -> bool {
        let changed = self.learn_nonce(nonce_header);
        error_code == Some(USE_DPOP_NONCE) && changed
    }

    /// The name of the nonce header.
    pub fn nonce_header() -> &'static str {
        DPOP_NONCE_HEADER
    }
}
