//! Why a DPoP proof was refused. Messages name the failed check of RFC 9449
//! section 4.3, never proof or token bytes.

/// A refused DPoP proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The request carries more than one `DPoP` header (check 1).
    #[error("more than one DPoP header")]
    Repeated,
    /// The proof exceeds the size limit, checked before any parsing.
    #[error("DPoP proof too large")]
    TooLarge,
    /// Not a single well-formed JWS compact JWT (check 2).
    #[error("malformed DPoP proof: {0}")]
    Malformed(&'static str),
    /// A claim of RFC 9449 section 4.2 is missing or of the wrong type (check 3).
    #[error("DPoP proof claim `{0}` is missing or malformed")]
    Claim(&'static str),
    /// `typ` is not `dpop+jwt` (check 4).
    #[error("DPoP proof `typ` is not dpop+jwt")]
    WrongType,
    /// `alg` is not an allowed asymmetric algorithm (check 5).
    #[error("DPoP proof algorithm not allowed")]
    Algorithm,
    /// The header `jwk` is missing, not a usable public key, or holds a private
    /// key (check 7).
    #[error("DPoP proof key unusable: {0}")]
    Key(&'static str),
    /// The signature does not verify with the header key (check 6).
    #[error("DPoP proof signature invalid")]
    InvalidSignature,
    /// `htm` is not the request method (check 8).
    #[error("DPoP proof `htm` does not match the request method")]
    WrongMethod,
    /// `htu` is not the request URI (check 9).
    #[error("DPoP proof `htu` does not match the request URI")]
    WrongUri,
    /// The server requires a nonce and the proof carries none, or a stale or
    /// unknown one (check 10, section 8 and 9): answered with `use_dpop_nonce`.
    #[error("DPoP proof lacks a current server nonce")]
    UseNonce,
    /// `iat` is outside the acceptable window (check 11).
    #[error("DPoP proof `iat` outside the acceptable window")]
    Stale,
    /// The `jti` was seen before within the window (section 11.1).
    #[error("DPoP proof replayed")]
    Replayed,
    /// `ath` is missing or is not the hash of the presented access token
    /// (check 12).
    #[error("DPoP proof `ath` does not match the access token")]
    WrongAccessTokenHash,
    /// The proof key is not the key the token is bound to (check 12).
    #[error("DPoP proof key does not match the token's binding")]
    KeyMismatch,
    /// A proof could not be signed (randomness or key failure).
    #[error("could not sign a DPoP proof")]
    Signing,
}

impl DpopError {
    /// Whether the client should retry with the nonce the server sends (RFC
    /// 9449 sections 8 and 9: `use_dpop_nonce`).
    pub fn is_use_nonce(&self) -> bool {
        matches!(self, Self::UseNonce)
    }
}
