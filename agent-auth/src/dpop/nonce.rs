//! Server-provided DPoP nonces (RFC 9449 sections 8 and 9), stateless: a
//! nonce is a time window and a MAC over it, so any instance holding the key
//! can check it and nothing is stored per client.

use crate::jose::base64url;
use aws_lc_rs::hmac;

/// Issues and checks nonces. A nonce is accepted during the window it was
/// issued in and the next one, so it lives between one and two `lifetime`s.
/// `Debug` never shows the key.
///
/// ```
/// use agent_auth::dpop::NonceSource;
/// let nonces = NonceSource::new(300)?;
/// let nonce = nonces.current(1_700_000_000);
/// assert!(nonces.accepts(&nonce, 1_700_000_100));
/// assert!(!nonces.accepts(&nonce, 1_700_001_000));
/// assert!(!nonces.accepts("forged", 1_700_000_000));
/// # Ok::<(), agent_auth::dpop::DpopError>(())
/// ```
pub struct NonceSource {
    key: hmac::Key,
    lifetime: i64,
}

impl std::fmt::Debug for NonceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceSource")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Bytes of the MAC kept in a nonce.
const MAC_BYTES: usize = 16;

impl NonceSource {
    /// A source with a fresh random key; nonces change every `lifetime`
    /// seconds (at least one).
    pub fn new(lifetime: i64) -> Result<Self, super::DpopError> {
        let mut secret = zeroize::Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(&mut *secret).map_err(|_| super::DpopError::Signing)?;
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &*secret),
            lifetime: lifetime.max(1),
        })
    }

    fn window(&self, now: i64) -> i64 {
        now.div_euclid(self.lifetime)
    }

    fn nonce_for(&self, window: i64) -> String {
        let bytes = window.to_be_bytes();
        let tag = hmac::sign(&self.key, &bytes);
        let mut out = bytes.to_vec();
        out.extend_from_slice(tag.as_ref().get(..MAC_BYTES).unwrap_or_default());
        base64url::encode(out)
    }

    /// The nonce to hand out at `now` (the `DPoP-Nonce` header value).
    pub fn current(&self, now: i64) -> String {
        self.nonce_for(self.window(now))
    }

    /// Whether `nonce` was issued by this source in the current or the
    /// previous window.
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let current = self.window(now);
        [current, current.saturating_sub(1)].into_iter().any(|w| {
            crate::secret::constant_time_eq(self.nonce_for(w).as_bytes(), nonce.as_bytes())
        })
    }
}
