//! What a token store keeps for one MCP server: the tokens, and what a
//! refresh needs (the token endpoint and the client).

use crate::secret::{SecretString, Token};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Tokens kept for one MCP server. `Debug` never shows a token or secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredToken {
    /// The access token.
    pub access_token: Token,
    /// `Bearer` or `DPoP`.
    pub token_type: String,
    /// The scope asked for.
    pub scope: Vec<String>,
    /// When the access token expires (seconds since the epoch), if known.
    pub expires_at: Option<i64>,
    /// The refresh token, if any.
    pub refresh_token: Option<Token>,
    /// The authorization server's issuer.
    pub issuer: String,
    /// Its token endpoint.
    pub token_endpoint: String,
    /// The client id the tokens were issued to.
    pub client_id: String,
    /// The client secret of a confidential client.
    pub client_secret: Option<SecretString>,
    /// The client's `token_endpoint_auth_method`.
    pub auth_method: String,
}

impl StoredToken {
    /// Tokens issued to `client_id` by `issuer`'s `token_endpoint`.
    pub fn new(
        access_token: Token,
        issuer: impl Into<String>,
        token_endpoint: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            access_token,
            token_type: "Bearer".into(),
            scope: Vec::new(),
            expires_at: None,
            refresh_token: None,
            issuer: issuer.into(),
            token_endpoint: token_endpoint.into(),
            client_id: client_id.into(),
            client_secret: None,
            auth_method: "none".into(),
        }
    }
}

/// The serialized form, wiped when dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub(super) struct Record {
    access_token: String,
    token_type: String,
    scope: Vec<String>,
    expires_at: Option<i64>,
    refresh_token: Option<String>,
    issuer: String,
    token_endpoint: String,
    client_id: String,
    client_secret: Option<String>,
    auth_method: String,
}

impl From<&StoredToken> for Record {
    fn from(t: &StoredToken) -> Self {
        Self {
            access_token: t.access_token.expose_secret().to_owned(),
            token_type: t.token_type.clone(),
            scope: t.scope.clone(),
            expires_at: t.expires_at,
            refresh_token: t
                .refresh_token
                .as_ref()
                .map(|r| r.expose_secret().to_owned()),
            issuer: t.issuer.clone(),
            token_endpoint: t.token_endpoint.clone(),
            client_id: t.client_id.clone(),
            client_secret: t
                .client_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned()),
            auth_method: t.auth_method.clone(),
        }
    }
}

impl From<&Record> for StoredToken {
    fn from(r: &Record) -> Self {
        Self {
            access_token: Token::new(r.access_token.clone()),
            token_type: r.token_type.clone(),
            scope: r.scope.clone(),
            expires_at: r.expires_at,
            refresh_token: r.refresh_token.clone().map(Token::new),
            issuer: r.issuer.clone(),
            token_endpoint: r.token_endpoint.clone(),
            client_id: r.client_id.clone(),
            client_secret: r.client_secret.clone().map(SecretString::new),
            auth_method: r.auth_method.clone(),
        }
    }
}
