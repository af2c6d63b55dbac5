//! Credential kinds, their identity (tenant, user, connection), and what a
//! caller receives. The binary form that is encrypted is in `payload`.

use agent_auth::secret::{SecretString, Token};
use std::sync::Arc;

/// Whose credential for which connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialKey {
    /// The tenant (trust domain, usually the authority's issuer).
    pub tenant: String,
    /// The user the credential belongs to.
    pub user: String,
    /// The connection (`google`, `slack`, `crm-db`, ...).
    pub connection: String,
}

impl CredentialKey {
    /// A key.
    pub fn new(
        tenant: impl Into<String>,
        user: impl Into<String>,
        connection: impl Into<String>,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            user: user.into(),
            connection: connection.into(),
        }
    }
}

/// The kind of a stored credential (stored in clear, bound by the AEAD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// An OAuth 2.0 token set.
    OAuth,
    /// A static API key.
    ApiKey,
    /// A personal access token.
    PersonalAccessToken,
    /// Database credentials.
    Database,
}

impl CredentialKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OAuth => "oauth",
            Self::ApiKey => "api_key",
            Self::PersonalAccessToken => "pat",
            Self::Database => "database",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "oauth" => Self::OAuth,
            "api_key" => Self::ApiKey,
            "pat" => Self::PersonalAccessToken,
            "database" => Self::Database,
            _ => return None,
        })
    }
}

/// An OAuth 2.0 token set as the provider issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token (never handed out).
    pub refresh_token: Option<SecretString>,
    /// Expiry of the access token, seconds since the epoch.
    pub expires_at: Option<i64>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// `Bearer` usually.
    pub token_type: String,
}

/// A credential as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// OAuth token set.
    OAuth(TokenSet),
    /// A static API key, with the scopes it is good for (empty: any).
    ApiKey {
        /// The key.
        key: SecretString,
        /// What it may be used for.
        scopes: Vec<String>,
    },
    /// A personal access token.
    PersonalAccessToken {
        /// The token.
        token: SecretString,
        /// The scopes it carries.
        scopes: Vec<String>,
        /// When it expires, if it does.
        expires_at: Option<i64>,
    },
    /// Database credentials.
    Database {
        /// The user name.
        username: String,
        /// The password.
        password: SecretString,
        /// Host (and port), if stored.
        host: Option<String>,
        /// Database name, if stored.
        database: Option<String>,
        /// When they expire (just-in-time credentials), if they do.
        expires_at: Option<i64>,
    },
}

impl Credential {
    /// The kind.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::OAuth(_) => CredentialKind::OAuth,
            Self::ApiKey { .. } => CredentialKind::ApiKey,
            Self::PersonalAccessToken { .. } => CredentialKind::PersonalAccessToken,
            Self::Database { .. } => CredentialKind::Database,
        }
    }

    /// The scopes the credential covers (empty: not scoped).
    pub fn scopes(&self) -> &[String] {
        match self {
            Self::OAuth(t) => &t.scopes,
            Self::ApiKey { scopes, .. } | Self::PersonalAccessToken { scopes, .. } => scopes,
            Self::Database { .. } => &[],
        }
    }

    /// Expiry, if any.
    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Self::OAuth(t) => t.expires_at,
            Self::ApiKey { .. } => None,
            Self::PersonalAccessToken { expires_at, .. } | Self::Database { expires_at, .. } => {
                *expires_at
            }
        }
    }

    /// Every secret value in the credential (for the output filter).
    pub fn secret_values(&self) -> Vec<&str> {
        match self {
            Self::OAuth(t) => {
                let mut v = vec![t.access_token.expose_secret()];
                if let Some(r) = &t.refresh_token {
                    v.push(r.expose_secret());
                }
                v
            }
            Self::ApiKey { key, .. } => vec![key.expose_secret()],
            Self::PersonalAccessToken { token, .. } => vec![token.expose_secret()],
            Self::Database { password, .. } => vec![password.expose_secret()],
        }
    }

    /// What a caller receives: everything but the refresh token.
    pub fn issue(&self) -> IssuedCredential {
        match self {
            Self::OAuth(t) => IssuedCredential::AccessToken {
                token: Token::new(t.access_token.expose_secret()),
                token_type: t.token_type.clone(),
                expires_at: t.expires_at,
                scopes: t.scopes.as_slice().into(),
            },
            Self::ApiKey { key, .. } => IssuedCredential::ApiKey(key.clone()),
            Self::PersonalAccessToken {
                token, expires_at, ..
            } => IssuedCredential::PersonalAccessToken {
                token: Token::new(token.expose_secret()),
                expires_at: *expires_at,
            },
            Self::Database {
                username,
                password,
                host,
                database,
                expires_at,
            } => IssuedCredential::Database {
                username: username.clone(),
                password: password.clone(),
                host: host.clone(),
                database: database.clone(),
                expires_at: *expires_at,
            },
        }
    }
}

impl IssuedCredential {
    /// The kind it came from.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::AccessToken { .. } => CredentialKind::OAuth,
            Self::ApiKey(_) => CredentialKind::ApiKey,
            Self::PersonalAccessToken { .. } => CredentialKind::PersonalAccessToken,
            Self::Database { .. } => CredentialKind::Database,
        }
    }
}

/// What a caller of the vault receives. Never a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssuedCredential {
    /// An OAuth access token.
    AccessToken {
        /// The token.
        token: Token,
        /// `Bearer` usually.
        token_type: String,
        /// Expiry.
        expires_at: Option<i64>,
        /// The scopes of the grant (shared: a hot read does not copy them).
        scopes: Arc<[String]>,
    },
    /// An API key.
    ApiKey(SecretString),
    /// A personal access token.
    PersonalAccessToken {
        /// The token.
        token: Token,
        /// Expiry.
        expires_at: Option<i64>,
    },
    /// Database credentials.
    Database {
        /// User name.
        username: String,
        /// Password.
        password: SecretString,
        /// Host.
        host: Option<String>,
        /// Database.
        database: Option<String>,
        /// Expiry.
        expires_at: Option<i64>,
    },
}

impl IssuedCredential {
    /// The bearer secret (access token, key, PAT or password).
    pub fn secret(&self) -> &str {
        match self {
            Self::AccessToken { token, .. } | Self::PersonalAccessToken { token, .. } => {
                token.expose_secret()
            }
            Self::ApiKey(k) => k.expose_secret(),
            Self::Database { password, .. } => password.expose_secret(),
        }
    }

    /// Expiry, if any.
    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Self::AccessToken { expires_at, .. }
            | Self::PersonalAccessToken { expires_at, .. }
            | Self::Database { expires_at, .. } => *expires_at,
            Self::ApiKey(_) => None,
        }
    }
}
