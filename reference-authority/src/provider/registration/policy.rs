//! Who may register clients at the registration endpoint and what a
//! registered client may do.

use crate::provider::clients::secret_digest;
use crate::provider::grant_types;
use crate::provider::model::ClientAuthMethod;

/// The settings of dynamic client registration (RFC 7591).
///
/// Registration is open, or needs an initial access token (RFC 7591 section 3).
/// A registered client may ask for the policy's scopes and resources; its
/// registered `scope` is the policy's whole scope set, so that a client which
/// registered with the scope of its first request can step up later (the MCP
/// client flow) without registering again.
#[derive(Clone)]
pub struct RegistrationPolicy {
    pub(super) initial_token_digest: Option<String>,
    pub(super) scopes: Vec<String>,
    pub(super) resources: Vec<String>,
    pub(super) grant_types: Vec<String>,
    pub(super) auth_methods: Vec<ClientAuthMethod>,
    pub(super) secret_ttl: Option<i64>,
}

impl std::fmt::Debug for RegistrationPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationPolicy")
            .field("open", &self.initial_token_digest.is_none())
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("grant_types", &self.grant_types)
            .field("auth_methods", &self.auth_methods)
            .field("secret_ttl", &self.secret_ttl)
            .finish()
    }
}

impl RegistrationPolicy {
    /// Anyone may register.
    pub fn open() -> Self {
        Self {
            initial_token_digest: None,
            scopes: ["openid", "profile", "email", "offline_access"]
                .map(String::from)
                .to_vec(),
            resources: Vec::new(),
            grant_types: vec![
                grant_types::AUTHORIZATION_CODE.into(),
                grant_types::REFRESH_TOKEN.into(),
            ],
            auth_methods: vec![
                ClientAuthMethod::None,
                ClientAuthMethod::ClientSecretBasic,
                ClientAuthMethod::ClientSecretPost,
                ClientAuthMethod::PrivateKeyJwt,
            ],
            secret_ttl: None,
        }
    }

    /// Only requests carrying this initial access token as a bearer token may
    /// register (RFC 7591 section 3). Only its SHA-256 digest is kept: use a
    /// high-entropy token.
    pub fn with_initial_access_token(token: &str) -> Self {
        Self {
            initial_token_digest: Some(secret_digest(token)),
            ..Self::open()
        }
    }

    /// The scopes registered clients may ask for (replaces the default
    /// `openid profile email offline_access`).
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The resource indicators (RFC 8707) registered clients may ask tokens for.
    #[must_use]
    pub fn resources(mut self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resources = resources.into_iter().map(Into::into).collect();
        self
    }

    /// The grant types a registration may name (default `authorization_code
    /// refresh_token`; `client_credentials` must be allowed here to be registered).
    #[must_use]
    pub fn grant_types(mut self, grants: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.grant_types = grants.into_iter().map(Into::into).collect();
        self
    }

    /// The token endpoint authentication methods a registration may name (default: all four).
    #[must_use]
    pub fn auth_methods(mut self, methods: impl IntoIterator<Item = ClientAuthMethod>) -> Self {
        self.auth_methods = methods.into_iter().collect();
        self
    }

    /// Issued client secrets expire after `seconds` (default: never).
    #[must_use]
    pub fn secret_ttl(mut self, seconds: i64) -> Self {
        self.secret_ttl = Some(seconds);
        self
    }
}
