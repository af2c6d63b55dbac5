//! Registering clients.

use super::model::{ClientAuthMethod, ClientRecord};
use super::store::Table;
use super::{Authority, AuthorityError};
use agent_auth::jose::base64url;
use agent_auth::secret::SecretString;
use aws_lc_rs::digest;
use std::sync::PoisonError;

/// The grant type names of RFC 6749.
pub mod grant_types {
    /// RFC 6749 section 4.1.
    pub const AUTHORIZATION_CODE: &str = "authorization_code";
    /// RFC 6749 section 6.
    pub const REFRESH_TOKEN: &str = "refresh_token";
    /// RFC 6749 section 4.4.
    pub const CLIENT_CREDENTIALS: &str = "client_credentials";
}

/// A client to register.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    record: ClientRecord,
    secret: Option<SecretString>,
}

impl ClientSpec {
    fn base(client_id: String, method: ClientAuthMethod) -> Self {
        Self {
            record: ClientRecord {
                client_id,
                name: None,
                auth_method: method,
                secret_digest: None,
                jwks: None,
                redirect_uris: Vec::new(),
                post_logout_redirect_uris: Vec::new(),
                grant_types: vec![
                    grant_types::AUTHORIZATION_CODE.into(),
                    grant_types::REFRESH_TOKEN.into(),
                ],
                scopes: ["openid", "profile", "email", "offline_access"]
                    .map(String::from)
                    .to_vec(),
                resources: Vec::new(),
                issued_at: None,
                secret_expires_at: None,
                registration_token_digest: None,
                metadata: serde_json::Map::new(),
                skip_consent: false,
            },
            secret: None,
        }
    }

    /// Registers the client as always using DPoP (`dpop_bound_access_tokens`,
    /// RFC 9449 section 5.2): token requests without a proof are refused.
    #[must_use]
    pub fn dpop_bound_access_tokens(mut self) -> Self {
        self.record.metadata.insert(
            super::DPOP_BOUND_ACCESS_TOKENS.into(),
            serde_json::Value::Bool(true),
        );
        self
    }

    /// A confidential client authenticating with `client_secret_basic`.
    /// The secret is stored as a SHA-256 digest: use a high-entropy secret.
    pub fn confidential(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        let mut spec = Self::base(client_id.into(), ClientAuthMethod::ClientSecretBasic);
        spec.secret = Some(SecretString::new(secret.into()));
        spec
    }

    /// A public client (no credentials; PKCE is required).
    pub fn public(client_id: impl Into<String>) -> Self {
        Self::base(client_id.into(), ClientAuthMethod::None)
    }

    /// A client authenticating with `private_key_jwt`, with its public JWK Set (JSON).
    pub fn private_key_jwt(client_id: impl Into<String>, jwks: impl Into<String>) -> Self {
        let mut spec = Self::base(client_id.into(), ClientAuthMethod::PrivateKeyJwt);
        spec.record.jwks = Some(jwks.into());
        spec
    }

    /// The same `private_key_jwt` client with this public JWK Set (JSON).
    #[must_use]
    pub(crate) fn with_jwks(mut self, jwks: impl Into<String>) -> Self {
        self.record.jwks = Some(jwks.into());
        self
    }

    /// Switches a secret client between `client_secret_basic` and `client_secret_post`.
    #[must_use]
    pub fn auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.record.auth_method = method;
        self
    }

    /// A display name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.record.name = Some(name.into());
        self
    }

    /// Adds a redirect URI (compared exactly).
    #[must_use]
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.record.redirect_uris.push(uri.into());
        self
    }

    /// Adds a post-logout redirect URI.
    #[must_use]
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.record.post_logout_redirect_uris.push(uri.into());
        self
    }

    /// The grant types the client may use (replaces the default
    /// `authorization_code refresh_token`).
    #[must_use]
    pub fn grant_types(mut self, grants: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.record.grant_types = grants.into_iter().map(Into::into).collect();
        self
    }

    /// The scopes the client may ask for (replaces the default
    /// `openid profile email offline_access`).
    #[must_use]
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.record.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// A trusted first-party client: users are not asked to consent to what
    /// it asks for. By default every client needs the user's consent.
    #[must_use]
    pub fn trusted_first_party(mut self) -> Self {
        self.record.skip_consent = true;
        self
    }

    /// The resource indicators (RFC 8707) the client may ask tokens for.
    #[must_use]
    pub fn resources(mut self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.record.resources = resources.into_iter().map(Into::into).collect();
        self
    }
}

/// SHA-256 digest of a client secret, base64url.
pub(crate) fn secret_digest(secret: &str) -> String {
    base64url::encode(digest::digest(&digest::SHA256, secret.as_bytes()))
}

impl Authority {
    /// Registers (or replaces) a client.
    pub fn register_client(&self, spec: ClientSpec) -> Result<(), AuthorityError> {
        let mut record = spec.record;
        match record.auth_method {
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => {
                let secret = spec.secret.ok_or(AuthorityError::InvalidConfig(
                    "a secret client needs a secret".into(),
                ))?;
                if secret.expose_secret().len() < 16 {
                    return Err(AuthorityError::InvalidConfig(
                        "client secrets need at least 16 characters".into(),
                    ));
                }
                record.secret_digest = Some(secret_digest(secret.expose_secret()));
            }
            ClientAuthMethod::PrivateKeyJwt => {
                let jwks = record.jwks.as_deref().unwrap_or_default();
                agent_auth::validate::StaticKeys::from_jwks(jwks.as_bytes())?;
            }
            ClientAuthMethod::None => {}
        }
        for uri in &record.redirect_uris {
            absolute_without_fragment(uri)
                .map_err(|problem| AuthorityError::InvalidConfig(problem.into()))?;
        }
        self.forget_client_keys(&record.client_id);
        self.tables()
            .put(Table::Clients, &record.client_id.clone(), &record)?;
        self.inner
            .registry
            .client_registered(&record.client_id, &record.resources);
        Ok(())
    }

    /// Drops the cached public keys of a client whose registration changes.
    pub(crate) fn forget_client_keys(&self, client_id: &str) {
        self.inner
            .client_keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(client_id);
    }

    /// A client by id.
    pub fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, AuthorityError> {
        Ok(self.tables().get(Table::Clients, client_id)?)
    }
}

/// RFC 6749 section 3.1.2: an absolute URI without a fragment.
pub(crate) fn absolute_without_fragment(uri: &str) -> Result<url::Url, &'static str> {
    let parsed = url::Url::parse(uri).map_err(|_| "a redirect URI is not an absolute URI")?;
    if parsed.fragment().is_some() {
        return Err("a redirect URI has a fragment");
    }
    Ok(parsed)
}
