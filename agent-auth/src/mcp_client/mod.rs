//! The first steps of an agent calling a protected MCP server (feature `http`):
//! reading the `WWW-Authenticate` challenge of a 401 or 403, and discovering the
//! server's protected resource metadata (RFC 9728) and its authorization
//! server's metadata (RFC 8414 / OpenID Connect Discovery) in the order the MCP
//! authorization specification gives.

mod authorize;
mod challenge;
mod discovery;

pub use authorize::{McpAuthError, McpAuthorizer, McpGrant, McpToken, Registration};

pub use challenge::{BearerChallenge, Challenge, ChallengeError, parse_www_authenticate};
pub use discovery::{
    AuthorizationServerMetadata, DiscoveryError, McpDiscovery, ProtectedResourceMetadata,
};
