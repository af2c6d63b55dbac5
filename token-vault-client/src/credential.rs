//! Credential kinds, their identity (tenant, user, connection) and the compact
//! binary form that is encrypted.

use crate::error::VaultError;
use agent_auth::secret::{SecretString, Token};
use std::sync::Arc;
use zeroize::Zeroize;

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

    fn tag(self) -> u8 {
        match self {
            Self::OAuth => 1,
            Self::ApiKey => 2,
            Self::PersonalAccessToken => 3,
            Self::Database => 4,
        }
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

    /// The binary plaintext that is encrypted (callers zeroize it).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.push(self.kind().tag());
        match self {
            Self::OAuth(t) => {
                put_str(&mut out, t.access_token.expose_secret());
                put_opt(
                    &mut out,
                    t.refresh_token.as_ref().map(|s| s.expose_secret()),
                );
                put_i64(&mut out, t.expires_at);
                put_list(&mut out, &t.scopes);
                put_str(&mut out, &t.token_type);
            }
            Self::ApiKey { key, scopes } => {
                put_str(&mut out, key.expose_secret());
                put_list(&mut out, scopes);
            }
            Self::PersonalAccessToken {
                token,
                scopes,
                expires_at,
            } => {
                put_str(&mut out, token.expose_secret());
                put_list(&mut out, scopes);
                put_i64(&mut out, *expires_at);
            }
            Self::Database {
                username,
                password,
                host,
                database,
                expires_at,
            } => {
                put_str(&mut out, username);
                put_str(&mut out, password.expose_secret());
                put_opt(&mut out, host.as_deref());
                put_opt(&mut out, database.as_deref());
                put_i64(&mut out, *expires_at);
            }
        }
        out
    }

    /// Parses the binary plaintext.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, VaultError> {
        let mut r = Reader(bytes);
        let tag = r.byte()?;
        let c = match tag {
            1 => Self::OAuth(TokenSet {
                access_token: SecretString::new(r.string()?),
                refresh_token: r.opt()?.map(SecretString::new),
                expires_at: r.i64()?,
                scopes: r.list()?,
                token_type: r.string()?,
            }),
            2 => Self::ApiKey {
                key: SecretString::new(r.string()?),
                scopes: r.list()?,
            },
            3 => Self::PersonalAccessToken {
                token: SecretString::new(r.string()?),
                scopes: r.list()?,
                expires_at: r.i64()?,
            },
            4 => Self::Database {
                username: r.string()?,
                password: SecretString::new(r.string()?),
                host: r.opt()?,
                database: r.opt()?,
                expires_at: r.i64()?,
            },
            _ => return Err(VaultError::Integrity),
        };
        if !r.0.is_empty() {
            return Err(VaultError::Integrity);
        }
        Ok(c)
    }
}

impl IssuedCredential {
    /// Parses the binary plaintext straight into what a caller receives, never
    /// materializing the refresh token (the hot path). `scopes` are the
    /// record's scopes (bound by the associated data); the payload's list must
    /// be the same, and is not copied again.
    pub(crate) fn decode(bytes: &[u8], scopes: &Arc<[String]>) -> Result<Self, VaultError> {
        let mut r = Reader(bytes);
        let c = match r.byte()? {
            1 => {
                let token = Token::new(r.str()?);
                r.skip_opt()?;
                let expires_at = r.i64()?;
                r.expect_list(scopes)?;
                Self::AccessToken {
                    token,
                    expires_at,
                    scopes: Arc::clone(scopes),
                    token_type: r.string()?,
                }
            }
            2 => {
                let key = SecretString::new(r.str()?);
                r.expect_list(scopes)?;
                Self::ApiKey(key)
            }
            3 => {
                let token = Token::new(r.str()?);
                r.expect_list(scopes)?;
                Self::PersonalAccessToken {
                    token,
                    expires_at: r.i64()?,
                }
            }
            4 => Self::Database {
                username: r.string()?,
                password: SecretString::new(r.str()?),
                host: r.opt()?,
                database: r.opt()?,
                expires_at: r.i64()?,
            },
            _ => return Err(VaultError::Integrity),
        };
        if !r.0.is_empty() {
            return Err(VaultError::Integrity);
        }
        Ok(c)
    }

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

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
        None => out.push(0),
    }
}

fn put_i64(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_be_bytes());
        }
        None => out.push(0),
    }
}

fn put_list(out: &mut Vec<u8>, items: &[String]) {
    put_len(out, items.len());
    for s in items {
        put_str(out, s);
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], VaultError> {
        if self.0.len() < n {
            return Err(VaultError::Integrity);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8, VaultError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }
    fn len(&mut self) -> Result<usize, VaultError> {
        let b: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| VaultError::Integrity)?;
        Ok(u32::from_be_bytes(b) as usize)
    }
    fn string(&mut self) -> Result<String, VaultError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| VaultError::Integrity)
    }
    fn str(&mut self) -> Result<&'a str, VaultError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        simdutf8::basic::from_utf8(bytes).map_err(|_| VaultError::Integrity)
    }
    fn skip_opt(&mut self) -> Result<(), VaultError> {
        match self.byte()? {
            0 => Ok(()),
            1 => {
                let n = self.len()?;
                self.take(n).map(|_| ())
            }
            _ => Err(VaultError::Integrity),
        }
    }
    fn opt(&mut self) -> Result<Option<String>, VaultError> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.string()?)),
            _ => Err(VaultError::Integrity),
        }
    }
    fn i64(&mut self) -> Result<Option<i64>, VaultError> {
        match self.byte()? {
            0 => Ok(None),
            1 => {
                let b: [u8; 8] = self
                    .take(8)?
                    .try_into()
                    .map_err(|_| VaultError::Integrity)?;
                Ok(Some(i64::from_be_bytes(b)))
            }
            _ => Err(VaultError::Integrity),
        }
    }
    /// Reads a list that must equal `expected`, without allocating.
    fn expect_list(&mut self, expected: &[String]) -> Result<(), VaultError> {
        if self.len()? != expected.len() {
            return Err(VaultError::Integrity);
        }
        for want in expected {
            let n = self.len()?;
            if self.take(n)? != want.as_bytes() {
                return Err(VaultError::Integrity);
            }
        }
        Ok(())
    }

    fn list(&mut self) -> Result<Vec<String>, VaultError> {
        let n = self.len()?;
        if n > self.0.len() {
            return Err(VaultError::Integrity);
        }
        (0..n).map(|_| self.string()).collect()
    }
}

/// Zeroizes a plaintext buffer, its spare capacity included, and frees it.
pub(crate) fn wipe(mut bytes: Vec<u8>) {
    wipe_in_place(&mut bytes);
}

/// Zeroizes a buffer (contents and spare capacity) and empties it, keeping
/// its allocation. Slice zeroization is a `memset` behind an optimization
/// barrier; `Vec::zeroize` would write the elements one volatile byte at a time.
pub(crate) fn wipe_in_place(bytes: &mut Vec<u8>) {
    bytes.as_mut_slice().zeroize();
    bytes.spare_capacity_mut().zeroize();
    bytes.clear();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_kind_round_trips_and_debug_hides_secrets() {
        let creds = [
            Credential::OAuth(TokenSet {
                access_token: SecretString::new("ya29.access-SECRET"),
                refresh_token: Some(SecretString::new("1//refresh-SECRET")),
                expires_at: Some(1_700_000_000),
                scopes: vec!["calendar.readonly".into()],
                token_type: "Bearer".into(),
            }),
            Credential::ApiKey {
                key: SecretString::new("sk_live_SECRET"),
                scopes: vec![],
            },
            Credential::PersonalAccessToken {
                token: SecretString::new("ghp_SECRET"),
                scopes: vec!["repo".into()],
                expires_at: None,
            },
            Credential::Database {
                username: "app".into(),
                password: SecretString::new("pw-SECRET"),
                host: Some("db:5432".into()),
                database: None,
                expires_at: Some(5),
            },
        ];
        for c in creds {
            let bytes = c.encode();
            assert_eq!(Credential::decode(&bytes).unwrap(), c);
            assert!(!format!("{c:?}").contains("SECRET"));
            assert!(!format!("{:?}", c.issue()).contains("SECRET"));
            assert!(Credential::decode(&bytes[..bytes.len() - 1]).is_err());
            let scopes: Arc<[String]> = c.scopes().into();
            assert_eq!(
                IssuedCredential::decode(&bytes, &scopes).unwrap(),
                c.issue()
            );
            // A payload whose scopes differ from the record's is refused.
            let other: Arc<[String]> = vec!["other".to_owned()].into();
            if c.kind() != CredentialKind::Database {
                assert!(IssuedCredential::decode(&bytes, &other).is_err());
            }
        }
    }
}
