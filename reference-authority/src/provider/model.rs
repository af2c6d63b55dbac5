//! What the authority stores: users, clients, SSO sessions, codes, grants.
//!
//! Records hold digests of handles and hashes of passwords and secrets, never
//! the values a client or a browser holds.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Authentication Context Class Reference of a password login.
pub const ACR_PASSWORD: &str = "urn:agent-auth:acr:pwd";
/// Authentication Context Class Reference of a login with a second factor; asking
/// for it in `acr_values` steps the user up to MFA.
pub const ACR_MFA: &str = "urn:agent-auth:acr:mfa";

/// How a client authenticates at the token, revocation and introspection endpoints
/// (OpenID Connect Core section 9, RFC 7591 section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic with the client id and secret (RFC 6749 section 2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 section 2.3.1).
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523 section 2.2).
    PrivateKeyJwt,
    /// A public client: no authentication, PKCE required.
    None,
}

impl ClientAuthMethod {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
            ClientAuthMethod::None => "none",
        }
    }
}

/// A registered user.
#[derive(Clone, Serialize, Deserialize)]
pub struct UserRecord {
    /// Stable subject identifier (`sub`).
    pub id: String,
    /// Login name, unique.
    pub username: String,
    /// Argon2id hash; `None` for users that only log in through a connection.
    pub password_hash: Option<String>,
    /// TOTP secret (base64url), when the user enrolled a second factor.
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted, so that no code is accepted twice.
    pub totp_last_step: Option<i64>,
    /// Profile claims released by userinfo and ID tokens (`email`, `name`, ...).
    pub claims: Map<String, Value>,
    /// A disabled user cannot log in.
    pub disabled: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("mfa", &self.totp_secret.is_some())
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A registered client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The client identifier.
    pub client_id: String,
    /// Display name.
    pub name: Option<String>,
    /// How it authenticates.
    pub auth_method: ClientAuthMethod,
    /// SHA-256 digest of the client secret (base64url), for secret methods.
    pub secret_digest: Option<String>,
    /// The client's public JWK Set (JSON), for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Redirect URIs, compared exactly (RFC 9700 section 2.1).
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser back.
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types the client may use.
    pub grant_types: Vec<String>,
    /// Scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Resource indicators (RFC 8707) the client may ask tokens for.
    pub resources: Vec<String>,
    /// When the client was registered through the registration endpoint
    /// (`client_id_issued_at`, RFC 7591 section 3.2.1).
    #[serde(default)]
    pub issued_at: Option<i64>,
    /// When the client secret stops working; `None` means never
    /// (`client_secret_expires_at` 0, RFC 7591 section 3.2.1).
    #[serde(default)]
    pub secret_expires_at: Option<i64>,
    /// SHA-256 digest of the registration access token (RFC 7592 section 3), base64url.
    #[serde(default)]
    pub registration_token_digest: Option<String>,
    /// Other registered metadata, returned as registered (`software_id`,
    /// `client_uri`, `contacts`, ...).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// A trusted first-party client: users are not asked to consent to it
    /// (default `false`; never set by dynamic registration).
    #[serde(default)]
    pub skip_consent: bool,
}

impl ClientRecord {
    /// Whether the client is public (no credentials).
    pub fn is_public(&self) -> bool {
        self.auth_method == ClientAuthMethod::None
    }

    /// Whether the client may use `grant_type`.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    /// Whether the client secret expired at `now` (RFC 7591 section 3.2.1).
    pub fn secret_expired(&self, now: i64) -> bool {
        self.secret_expires_at.is_some_and(|t| t <= now)
    }
}

/// An SSO session at the authority (the browser holds the handle in a cookie).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Public session id (`sid` in ID tokens, OpenID Connect Front/Back-Channel Logout).
    pub sid: String,
    /// The user.
    pub user_id: String,
    /// When the user last authenticated (`auth_time`).
    pub auth_time: i64,
    /// When the session started.
    pub created: i64,
    /// Last activity, for the idle timeout.
    pub last_seen: i64,
    /// Achieved authentication class.
    pub acr: String,
    /// Methods used (`pwd`, `otp`, `fed`).
    pub amr: Vec<String>,
}

/// What an authorization grants: the facts every token of a grant carries.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct GrantFacts {
    /// The client the grant is for.
    pub client_id: String,
    /// The user, or `None` when the client acts as itself.
    pub user_id: Option<String>,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// Granted resources (RFC 8707); empty means the default audience.
    pub resource: Vec<String>,
    /// When the user authenticated.
    pub auth_time: Option<i64>,
    /// Achieved authentication class.
    pub acr: Option<String>,
    /// Authentication methods.
    pub amr: Vec<String>,
    /// SSO session id.
    pub sid: Option<String>,
}

/// An authorization code (stored under the digest of the code).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    /// What the code grants.
    pub facts: GrantFacts,
    /// The redirect URI the code was sent to.
    pub redirect_uri: String,
    /// Whether `redirect_uri` was in the authorization request (then it is
    /// required at the token endpoint, RFC 6749 section 4.1.3).
    pub redirect_uri_sent: bool,
    /// PKCE challenge (S256).
    pub code_challenge: Option<String>,
    /// OpenID Connect nonce.
    pub nonce: Option<String>,
    /// Expiry.
    pub expires: i64,
    /// Whether it was redeemed.
    pub used: bool,
    /// The grant family the code's tokens belong to.
    pub family: String,
    /// The DPoP key thumbprint the code is bound to (RFC 9449 section 10:
    /// the `dpop_jkt` authorization request parameter).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// A refresh token (stored under its digest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// The grant family (all rotations of one grant).
    pub family: String,
    /// Expiry.
    pub expires: i64,
    /// Whether it was exchanged already (rotation): presenting it again is reuse.
    pub rotated: bool,
}

/// A grant family: what was granted, the tokens issued under it, whether it is revoked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FamilyRecord {
    /// The grant.
    pub facts: GrantFacts,
    /// Whether the family is revoked (every token of it is dead).
    pub revoked: bool,
    /// Access tokens issued under the family: `jti` and expiry.
    pub access_tokens: Vec<(String, i64)>,
    /// Digest of the current refresh token.
    pub current_refresh: Option<String>,
    /// Expiry of the family's last refresh token.
    pub expires: i64,
    /// The RFC 7638 thumbprint of the DPoP key the grant was obtained with
    /// (RFC 9449 section 5): a public client refreshes with proofs of it.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// An authorization request waiting for the user to log in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InteractionRecord {
    /// The authorization request parameters (form-encoded).
    pub request: String,
    /// Whether a second factor is needed.
    pub needs_mfa: bool,
    /// Expiry.
    pub expires: i64,
    /// SHA-256 (base64url) of the binding of the browser that started it;
    /// `None` for interactions started in process.
    #[serde(default)]
    pub browser: Option<String>,
    /// Set when the user is logged in and only consent is asked: the user.
    #[serde(default)]
    pub consent_for: Option<String>,
}

/// What a user consented to for one client (stored per user and client).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Scopes consented to.
    pub scope: Vec<String>,
    /// Resources (RFC 8707) consented to.
    pub resource: Vec<String>,
    /// When consent was last given.
    pub granted_at: i64,
}

impl ConsentRecord {
    /// Whether every scope and resource asked for is covered.
    pub fn covers(&self, scope: &[String], resource: &[String]) -> bool {
        scope.iter().all(|s| self.scope.contains(s))
            && resource.iter().all(|r| self.resource.contains(r))
    }
}

/// A link from an upstream identity (connection and upstream `sub`) to a local user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkRecord {
    /// The local user.
    pub user_id: String,
}
