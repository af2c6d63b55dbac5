//! What an authority tells subscribers in process: revocations, logouts, key
//! rotations. Capability crates react to these (universal logout, cache
//! eviction) through [`EventSource`], which the reference authority implements,
//! so that no capability crate depends on the authority.

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
    /// A provisioning change (a SCIM event, RFC 9967): identifiers and
    /// attribute names only, never values.
    Provisioned {
        /// The issuer.
        issuer: String,
        /// The event type URI, such as `urn:ietf:params:scim:event:prov:create:notice`.
        event: &'static str,
        /// The resource type (`User`, `Group`, `Agent`).
        resource_type: &'static str,
        /// The resource's path relative to the SCIM base (the SET subject's
        /// `uri`), such as `/Users/42`.
        path: String,
        /// The resource id.
        id: String,
        /// The provisioning client's `externalId`, if any.
        external_id: Option<String>,
        /// The attributes that changed (create, put, patch).
        attributes: Vec<String>,
        /// Groups the events of one request.
        txn: String,
        /// When, seconds since the epoch.
        time: i64,
    },
    /// The signing key changed.
    KeysRotated {
        /// The issuer.
        issuer: String,
        /// The new active key id.
        kid: String,
    },
}

/// A source of [`AuthorityEvent`]s that subscribers follow in process (the
/// reference authority implements it). Each subscription gets every event
/// sent after it was made; a subscriber that falls too far behind is told how
/// many it missed.
pub trait EventSource: Send + Sync {
    /// A new subscription.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<AuthorityEvent>;
}
