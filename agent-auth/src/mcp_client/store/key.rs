//! The 256-bit key a file token store is sealed with.

use super::TokenStoreError;
use crate::jose::base64url;
use zeroize::Zeroizing;

/// An AES-256-GCM key for a [`FileTokenStore`](super::FileTokenStore).
/// `Debug` never shows it.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey([redacted])")
    }
}

impl StoreKey {
    /// A new random key.
    pub fn generate() -> Result<Self, TokenStoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        aws_lc_rs::rand::fill(bytes.as_mut_slice())
            .map_err(|_| TokenStoreError::InvalidKey("no randomness"))?;
        Ok(Self(bytes))
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenStoreError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| TokenStoreError::InvalidKey("not 32 bytes"))?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// A key from base64url text (as kept in an environment variable).
    ///
    /// ```
    /// use agent_auth::mcp_client::StoreKey;
    /// let key = StoreKey::from_base64url("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
    /// assert!(StoreKey::from_base64url("short").is_err());
    /// ```
    pub fn from_base64url(text: &str) -> Result<Self, TokenStoreError> {
        let bytes = Zeroizing::new(
            base64url::decode(text.trim()).ok_or(TokenStoreError::InvalidKey("not base64url"))?,
        );
        Self::from_bytes(&bytes)
    }

    /// A key from a key file: 32 raw bytes, or their base64url text.
    pub fn from_file(path: &std::path::Path) -> Result<Self, TokenStoreError> {
        let bytes = Zeroizing::new(std::fs::read(path)?);
        if bytes.len() == 32 {
            return Self::from_bytes(&bytes);
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| TokenStoreError::InvalidKey("neither 32 bytes nor base64url text"))?;
        Self::from_base64url(text)
    }

    /// The key as base64url text, to write into a key file.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(base64url::encode(self.0.as_slice()))
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}
