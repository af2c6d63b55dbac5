//! The first steps of an agent calling a protected MCP server: reading the
//! `WWW-Authenticate` challenge of a 401 or 403, discovering the server's
//! protected resource metadata (RFC 9728) and its authorization server's
//! metadata (RFC 8414 / OpenID Connect Discovery) in the order the MCP
//! authorization specification gives, obtaining a token
//! ([`McpAuthorizer`]), and keeping it for one server connection: refreshed
//! when it expires or after a 401, obtained again when the refresh is refused,
//! stepped up after a 403 `insufficient_scope` ([`McpAuthSession`]); an
//! interactive login in the user's browser ([`InteractiveLogin`], RFC 8252)
//! and a [`TokenStore`] so that a restarted agent reuses its tokens.
//!
//! The challenge parser needs no feature; discovery and the authorizer need
//! the `http` feature.

#[cfg(feature = "http")]
mod authorize;
#[cfg(feature = "http")]
mod discovery;
#[cfg(feature = "http")]
mod interactive;
#[cfg(feature = "http")]
mod session;
#[cfg(feature = "http")]
mod store;

#[cfg(feature = "http")]
pub use crate::oauth::{AuthorizationServerMetadata, DiscoveryError};
pub use crate::oauth::{BearerChallenge, Challenge, ChallengeError, parse_www_authenticate};
#[cfg(feature = "http")]
pub use authorize::{McpAuthError, McpAuthorizer, McpGrant, McpToken, Registration};
#[cfg(feature = "http")]
pub use discovery::{McpDiscovery, ProtectedResourceMetadata};
#[cfg(feature = "http")]
pub use interactive::InteractiveLogin;
#[cfg(feature = "http")]
pub use session::{McpAuthSession, RequestAttempt, Retry};
#[cfg(feature = "http")]
pub use store::{
    FileTokenStore, MemoryTokenStore, StoreKey, StoredToken, TokenStore, TokenStoreError,
    open_sealed, seal,
};
