//! The binary form of a credential, the plaintext that is encrypted: written
//! by [`encode`], read by one parser, [`Payload::parse`], that borrows from
//! the decrypted buffer. Its two projections are the stored [`Credential`]
//! (slow path: refresh, rotation, filter) and the [`IssuedCredential`] a
//! caller receives (hot path: the refresh token is never materialized).

use crate::credential::{Credential, CredentialKind, IssuedCredential, TokenSet};
use crate::error::VaultError;
use agent_auth::secret::{SecretString, Token};
use std::sync::Arc;
use zeroize::Zeroize;

/// A parsed payload, borrowing from the plaintext.
pub(crate) enum Payload<'a> {
    OAuth {
        access_token: &'a str,
        /// Not checked as UTF-8 until the stored credential is built.
        refresh_token: Option<&'a [u8]>,
        expires_at: Option<i64>,
        scopes: Scopes<'a>,
        token_type: &'a str,
    },
    ApiKey {
        key: &'a str,
        scopes: Scopes<'a>,
    },
    PersonalAccessToken {
        token: &'a str,
        scopes: Scopes<'a>,
        expires_at: Option<i64>,
    },
    Database {
        username: &'a str,
        password: &'a str,
        host: Option<&'a str>,
        database: Option<&'a str>,
        expires_at: Option<i64>,
    },
}

/// A scope list as stored: its count and the bytes of its items, already
/// checked to hold exactly `count` length-prefixed items.
#[derive(Clone, Copy)]
pub(crate) struct Scopes<'a> {
    count: usize,
    items: &'a [u8],
}

impl<'a> Scopes<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, VaultError> {
        let count = r.len()?;
        let start = r.0;
        for _ in 0..count {
            let n = r.len()?;
            r.take(n)?;
        }
        let used = start.len() - r.0.len();
        let items = start.get(..used).ok_or(VaultError::Integrity)?;
        Ok(Self { count, items })
    }

    /// The items' bytes, in order.
    fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        let mut r = Reader(self.items);
        (0..self.count).map_while(move |_| {
            let n = r.len().ok()?;
            r.take(n).ok()
        })
    }

    /// Whether the list is `expected`, compared in place.
    fn equals(self, expected: &[String]) -> bool {
        self.count == expected.len() && self.iter().zip(expected).all(|(a, b)| a == b.as_bytes())
    }

    fn to_vec(self) -> Result<Vec<String>, VaultError> {
        self.iter().map(|s| utf8(s).map(str::to_owned)).collect()
    }
}

impl<'a> Payload<'a> {
    /// Parses the whole plaintext; trailing bytes are an integrity error.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, VaultError> {
        let mut r = Reader(bytes);
        let payload = match r.byte()? {
            1 => Self::OAuth {
                access_token: r.str()?,
                refresh_token: r.opt_bytes()?,
                expires_at: r.i64()?,
                scopes: Scopes::read(&mut r)?,
                token_type: r.str()?,
            },
            2 => Self::ApiKey {
                key: r.str()?,
                scopes: Scopes::read(&mut r)?,
            },
            3 => Self::PersonalAccessToken {
                token: r.str()?,
                scopes: Scopes::read(&mut r)?,
                expires_at: r.i64()?,
            },
            4 => Self::Database {
                username: r.str()?,
                password: r.str()?,
                host: r.opt_bytes()?.map(utf8).transpose()?,
                database: r.opt_bytes()?.map(utf8).transpose()?,
                expires_at: r.i64()?,
            },
            _ => return Err(VaultError::Integrity),
        };
        if !r.0.is_empty() {
            return Err(VaultError::Integrity);
        }
        Ok(payload)
    }

    /// The kind it holds.
    pub(crate) fn kind(&self) -> CredentialKind {
        match self {
            Self::OAuth { .. } => CredentialKind::OAuth,
            Self::ApiKey { .. } => CredentialKind::ApiKey,
            Self::PersonalAccessToken { .. } => CredentialKind::PersonalAccessToken,
            Self::Database { .. } => CredentialKind::Database,
        }
    }

    /// The stored credential, refresh token included.
    pub(crate) fn credential(self) -> Result<Credential, VaultError> {
        Ok(match self {
            Self::OAuth {
                access_token,
                refresh_token,
                expires_at,
                scopes,
                token_type,
            } => Credential::OAuth(TokenSet {
                access_token: SecretString::new(access_token),
                refresh_token: refresh_token.map(utf8).transpose()?.map(SecretString::new),
                expires_at,
                scopes: scopes.to_vec()?,
                token_type: token_type.to_owned(),
            }),
            Self::ApiKey { key, scopes } => Credential::ApiKey {
                key: SecretString::new(key),
                scopes: scopes.to_vec()?,
            },
            Self::PersonalAccessToken {
                token,
                scopes,
                expires_at,
            } => Credential::PersonalAccessToken {
                token: SecretString::new(token),
                scopes: scopes.to_vec()?,
                expires_at,
            },
            Self::Database {
                username,
                password,
                host,
                database,
                expires_at,
            } => Credential::Database {
                username: username.to_owned(),
                password: SecretString::new(password),
                host: host.map(str::to_owned),
                database: database.map(str::to_owned),
                expires_at,
            },
        })
    }

    /// What a caller receives, never the refresh token. `scopes` are the
    /// record's scopes (bound by the associated data); the payload's list
    /// must be the same, and is not copied again.
    pub(crate) fn issue(self, scopes: &Arc<[String]>) -> Result<IssuedCredential, VaultError> {
        let same = |list: Scopes<'_>| {
            if list.equals(scopes) {
                Ok(())
            } else {
                Err(VaultError::Integrity)
            }
        };
        Ok(match self {
            Self::OAuth {
                access_token,
                expires_at,
                scopes: list,
                token_type,
                ..
            } => {
                same(list)?;
                IssuedCredential::AccessToken {
                    token: Token::new(access_token),
                    token_type: token_type.to_owned(),
                    expires_at,
                    scopes: Arc::clone(scopes),
                }
            }
            Self::ApiKey { key, scopes: list } => {
                same(list)?;
                IssuedCredential::ApiKey(SecretString::new(key))
            }
            Self::PersonalAccessToken {
                token,
                scopes: list,
                expires_at,
            } => {
                same(list)?;
                IssuedCredential::PersonalAccessToken {
                    token: Token::new(token),
                    expires_at,
                }
            }
            db @ Self::Database { .. } => db.credential()?.issue(),
        })
    }
}

/// The binary plaintext of `credential` (callers zeroize it).
pub(crate) fn encode(credential: &Credential) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(match credential.kind() {
        CredentialKind::OAuth => 1,
        CredentialKind::ApiKey => 2,
        CredentialKind::PersonalAccessToken => 3,
        CredentialKind::Database => 4,
    });
    match credential {
        Credential::OAuth(t) => {
            put_str(&mut out, t.access_token.expose_secret());
            put_opt(
                &mut out,
                t.refresh_token.as_ref().map(|s| s.expose_secret()),
            );
            put_i64(&mut out, t.expires_at);
            put_list(&mut out, &t.scopes);
            put_str(&mut out, &t.token_type);
        }
        Credential::ApiKey { key, scopes } => {
            put_str(&mut out, key.expose_secret());
            put_list(&mut out, scopes);
        }
        Credential::PersonalAccessToken {
            token,
            scopes,
            expires_at,
        } => {
            put_str(&mut out, token.expose_secret());
            put_list(&mut out, scopes);
            put_i64(&mut out, *expires_at);
        }
        Credential::Database {
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

/// UTF-8 check with SIMD (the decrypted token on the hot read).
fn utf8(bytes: &[u8]) -> Result<&str, VaultError> {
    simdutf8::basic::from_utf8(bytes).map_err(|_| VaultError::Integrity)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], VaultError> {
        let (head, tail) = self.0.split_at_checked(n).ok_or(VaultError::Integrity)?;
        self.0 = tail;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8, VaultError> {
        self.take(1)?.first().copied().ok_or(VaultError::Integrity)
    }
    fn len(&mut self) -> Result<usize, VaultError> {
        let b: [u8; 4] = self
            .take(4)?
            .try_into()
            .map_err(|_| VaultError::Integrity)?;
        Ok(u32::from_be_bytes(b) as usize)
    }
    fn str(&mut self) -> Result<&'a str, VaultError> {
        let n = self.len()?;
        utf8(self.take(n)?)
    }
    fn opt_bytes(&mut self) -> Result<Option<&'a [u8]>, VaultError> {
        match self.byte()? {
            0 => Ok(None),
            1 => {
                let n = self.len()?;
                self.take(n).map(Some)
            }
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
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn decode(bytes: &[u8]) -> Result<Credential, VaultError> {
        Payload::parse(bytes)?.credential()
    }

    #[test]
    fn every_kind_round_trips_through_the_one_parser_and_debug_hides_secrets() {
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
                scopes: vec!["repo".into(), "read:org".into()],
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
            let bytes = encode(&c);
            assert_eq!(decode(&bytes).unwrap(), c);
            assert_eq!(Payload::parse(&bytes).unwrap().kind(), c.kind());
            assert!(!format!("{c:?}").contains("SECRET"));
            assert!(!format!("{:?}", c.issue()).contains("SECRET"));
            assert!(decode(&bytes[..bytes.len() - 1]).is_err());
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(matches!(decode(&longer), Err(VaultError::Integrity)));
            let scopes: Arc<[String]> = c.scopes().into();
            assert_eq!(
                Payload::parse(&bytes).unwrap().issue(&scopes).unwrap(),
                c.issue()
            );
            // A payload whose scopes differ from the record's is refused.
            let other: Arc<[String]> = vec!["other".to_owned()].into();
            if c.kind() != CredentialKind::Database {
                assert!(Payload::parse(&bytes).unwrap().issue(&other).is_err());
            }
        }
    }

    #[test]
    fn a_refresh_token_that_is_not_utf8_is_an_integrity_error_when_materialized() {
        let c = Credential::OAuth(TokenSet {
            access_token: SecretString::new("at"),
            refresh_token: Some(SecretString::new("rt")),
            expires_at: None,
            scopes: vec![],
            token_type: "Bearer".into(),
        });
        let mut bytes = encode(&c);
        // tag, len(4) "at", flag 1, len(4), "rt": the refresh token's first byte.
        let at = 1 + 4 + 2 + 1 + 4;
        bytes[at] = 0xff;
        assert!(matches!(decode(&bytes), Err(VaultError::Integrity)));
    }

    #[test]
    fn a_scope_count_larger_than_the_payload_is_refused_without_allocating() {
        let mut bytes = vec![2];
        put_str(&mut bytes, "key");
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(decode(&bytes), Err(VaultError::Integrity)));
    }
}
