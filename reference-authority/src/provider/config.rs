//! Settings of one authority (one issuer).

use super::password::PasswordParams;
use super::throttle::LoginThrottle;

/// Lifetimes, timeouts and costs of one authority. All durations in seconds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthorityConfig {
    /// Access token lifetime.
    pub access_token_ttl: i64,
    /// ID token lifetime.
    pub id_token_ttl: i64,
    /// Refresh token lifetime (each rotation starts a new one).
    pub refresh_token_ttl: i64,
    /// Authorization code lifetime (RFC 6749 section 4.1.2 recommends at most 10 minutes).
    pub code_ttl: i64,
    /// SSO session idle timeout.
    pub session_idle_ttl: i64,
    /// SSO session absolute timeout.
    pub session_absolute_ttl: i64,
    /// How long a login page stays valid.
    pub interaction_ttl: i64,
    /// How long a replaced signing key keeps verifying (and stays in the JWKS).
    pub key_overlap: i64,
    /// Argon2id costs for new password hashes.
    pub password_params: PasswordParams,
    /// Largest `exp - iat` accepted in a client assertion (RFC 7523 section 3, item 4).
    pub max_assertion_lifetime: i64,
    /// Limits on failed password and one-time-code attempts.
    pub login_throttle: LoginThrottle,
    /// Proxies whose `X-Forwarded-For` names the client address the login
    /// form's attempts are counted under (none by default: the connection's
    /// peer address counts).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for AuthorityConfig {
    fn default() -> Self {
        Self {
            access_token_ttl: 600,
            id_token_ttl: 600,
            refresh_token_ttl: 14 * 24 * 3600,
            code_ttl: 60,
            session_idle_ttl: 30 * 60,
            session_absolute_ttl: 12 * 3600,
            interaction_ttl: 600,
            key_overlap: 24 * 3600,
            password_params: PasswordParams::default(),
            max_assertion_lifetime: 600,
            login_throttle: LoginThrottle::default(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl AuthorityConfig {
    /// Defaults with cheap password hashing, for tests.
    pub fn for_tests() -> Self {
        Self {
            password_params: PasswordParams::fast_for_tests(),
            ..Self::default()
        }
    }
}

/// The endpoint paths, relative to the issuer URL.
pub mod paths {
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/authorize";
    /// Login form target.
    pub const LOGIN: &str = "/login";
    /// Dynamic client registration endpoint (RFC 7591); a registered client's
    /// configuration is at `/register/{client_id}` (RFC 7592).
    pub const REGISTER: &str = "/register";
    /// Pushed authorization request endpoint (RFC 9126).
    pub const PAR: &str = "/par";
    /// Device authorization endpoint (RFC 8628 section 3.1).
    pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
    /// The device flow's verification page (RFC 8628 section 3.3).
    pub const DEVICE: &str = "/device";
    /// Token endpoint.
    pub const TOKEN: &str = "/token";
    /// UserInfo endpoint.
    pub const USERINFO: &str = "/userinfo";
    /// Revocation endpoint (RFC 7009).
    pub const REVOKE: &str = "/revoke";
    /// Introspection endpoint (RFC 7662).
    pub const INTROSPECT: &str = "/introspect";
    /// JWK Set.
    pub const JWKS: &str = "/jwks";
    /// The consent page of a pending authorization request.
    pub const CONSENT: &str = "/consent";
    /// RP-initiated logout.
    pub const LOGOUT: &str = "/logout";
    /// Federated login callback (the authority as a relying party).
    pub const FEDERATION_CALLBACK: &str = "/federation/callback";
    /// OpenID Connect Discovery.
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    /// RFC 8414 metadata.
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
}
