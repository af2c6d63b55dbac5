//! What the authority tells subscribers: revocations, logouts, key rotations.
//! Capability crates react to these (universal logout, cache eviction).

/// An event of the authority. Identifiers only, never token values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorityEvent {
    /// An access token was revoked before its expiry.
    AccessTokenRevoked {
        /// The issuer.
        issuer: String,
        /// The token's `jti`.
        jti: String,
        /// The token's expiry.
        exp: i64,
    },
    /// A grant (a refresh token family and every token issued under it) was revoked.
    GrantRevoked {
        /// The issuer.
        issuer: String,
        /// The client.
        client_id: String,
        /// The user, if any.
        user_id: Option<String>,
        /// Why: `revocation`, `refresh_token_reuse`, `code_reuse`, `logout`.
        reason: &'static str,
        /// Ids of the access tokens that died with it.
        access_token_ids: Vec<String>,
    },
    /// An SSO session ended.
    SessionEnded {
        /// The issuer.
        issuer: String,
        /// The session id (`sid`).
        sid: String,
        /// The user.
        user_id: String,
    },
    /// Every session and grant of a user ended (universal logout).
    UserLoggedOut {
        /// The issuer.
        issuer: String,
        /// The user.
        user_id: String,
    },
    /// The signing key changed.
    KeysRotated {
        /// The issuer.
        issuer: String,
        /// The new active key id.
        kid: String,
    },
}
