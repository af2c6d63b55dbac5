//! Client authentication at a token, revocation or introspection endpoint:
//! one enum, applied to a form in one place.

use super::CLIENT_ASSERTION_JWT;
use super::form::Form;
use crate::jose::{SigningKey, base64url, sign_compact};
use crate::secret::SecretString;
use crate::validate::Claims;
use std::sync::Arc;

/// How the client authenticates (RFC 6749 section 2.3, OpenID Connect Core
/// section 9, RFC 8705 section 2).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client (`none`): only its id, in the form.
    Public {
        /// The client id.
        client_id: String,
    },
    /// `client_secret_basic` (RFC 6749 section 2.3.1): HTTP Basic.
    SecretBasic {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
    },
    /// `client_secret_post` (RFC 6749 section 2.3.1): id and secret in the form.
    SecretPost {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
    },
    /// `private_key_jwt` (RFC 7523 sections 2.2 and 3, OpenID Connect Core
    /// section 9): a signed assertion, new for every request.
    PrivateKeyJwt {
        /// The client id.
        client_id: String,
        /// The client's signing key.
        key: Arc<SigningKey>,
    },
    /// `tls_client_auth` (RFC 8705 section 2.1): the client certificate is
    /// presented by the transport (a `reqwest::Client` with an identity,
    /// given to [`HttpClient::with_reqwest`](super::HttpClient::with_reqwest));
    /// the form carries the client id.
    TlsClientAuth {
        /// The client id.
        client_id: String,
    },
}

/// Lifetime of a client assertion, in seconds.
const ASSERTION_LIFETIME: i64 = 60;

impl ClientAuth {
    /// `client_secret_basic`.
    pub fn basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::SecretBasic {
            client_id: client_id.into(),
            secret: SecretString::new(secret),
        }
    }

    /// `client_secret_post`.
    pub fn post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::SecretPost {
            client_id: client_id.into(),
            secret: SecretString::new(secret),
        }
    }

    /// A public client (`none`).
    pub fn public(client_id: impl Into<String>) -> Self {
        Self::Public {
            client_id: client_id.into(),
        }
    }

    /// `client_secret_basic` (the name `ciba-client` uses).
    pub fn secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::basic(client_id, secret)
    }

    /// `client_secret_post` (the name `ciba-client` uses).
    pub fn secret_post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::post(client_id, secret)
    }

    /// `private_key_jwt` with `key` (owned, boxed or shared).
    pub fn private_key_jwt(client_id: impl Into<String>, key: impl Into<Arc<SigningKey>>) -> Self {
        Self::PrivateKeyJwt {
            client_id: client_id.into(),
            key: key.into(),
        }
    }

    /// `tls_client_auth`.
    pub fn tls_client_auth(client_id: impl Into<String>) -> Self {
        Self::TlsClientAuth {
            client_id: client_id.into(),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        match self {
            Self::Public { client_id }
            | Self::SecretBasic { client_id, .. }
            | Self::SecretPost { client_id, .. }
            | Self::PrivateKeyJwt { client_id, .. }
            | Self::TlsClientAuth { client_id } => client_id,
        }
    }

    /// The `token_endpoint_auth_method` name (RFC 7591 section 2).
    pub fn method(&self) -> &'static str {
        match self {
            Self::Public { .. } => "none",
            Self::SecretBasic { .. } => "client_secret_basic",
            Self::SecretPost { .. } => "client_secret_post",
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
            Self::TlsClientAuth { .. } => "tls_client_auth",
        }
    }

    /// Adds the client's credentials to `form` and returns the
    /// `Authorization` header value, if the method uses one. `audience` is
    /// the `aud` of a client assertion (the issuer, or the token endpoint:
    /// OpenID Connect Core section 9) and `now` its `iat`.
    pub fn apply(
        &self,
        form: &mut Form,
        audience: &str,
        now: i64,
    ) -> Result<Option<SecretString>, ClientAuthError> {
        match self {
            Self::Public { client_id } | Self::TlsClientAuth { client_id } => {
                form.push("client_id", client_id.as_str());
                Ok(None)
            }
            // RFC 6749 section 2.3.1: a client MUST NOT use more than one
            // method, so the form carries no `client_id` here.
            Self::SecretBasic { client_id, secret } => Ok(Some(
                crate::basic_auth::client_secret_basic(client_id, secret.expose_secret()),
            )),
            Self::SecretPost { client_id, secret } => {
                form.push("client_id", client_id.as_str());
                form.push_secret("client_secret", secret.clone());
                Ok(None)
            }
            Self::PrivateKeyJwt { client_id, key } => {
                let assertion = client_assertion(key, client_id, audience, now)?;
                form.push("client_id", client_id.as_str());
                form.push("client_assertion_type", CLIENT_ASSERTION_JWT);
                form.push_secret("client_assertion", assertion);
                Ok(None)
            }
        }
    }
}

/// Client authentication could not be produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientAuthError {
    /// The system random source failed (no `jti`).
    #[error("client assertion: randomness unavailable")]
    Randomness,
    /// Signing the client assertion failed.
    #[error("client assertion: signing failed")]
    Signing,
}

/// RFC 7523 section 3: `iss` and `sub` are the client id, `aud` the
/// authorization server, `exp` near, a fresh `jti` against replay.
fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<SecretString, ClientAuthError> {
    let mut jti = [0u8; 32];
    aws_lc_rs::rand::fill(&mut jti).map_err(|_| ClientAuthError::Randomness)?;
    let mut claims = Claims::new();
    claims.iss = Some(client_id.to_owned());
    claims.sub = Some(client_id.to_owned());
    claims.aud = vec![audience.to_owned()];
    claims.iat = Some(now);
    claims.exp = Some(now.saturating_add(ASSERTION_LIFETIME));
    claims.jti = Some(base64url::encode(jti));
    let token = sign_compact(key, None, &claims).map_err(|_| ClientAuthError::Signing)?;
    Ok(SecretString::new(token.expose_secret()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::Algorithm;

    fn pairs(form: &Form) -> Vec<(String, String)> {
        form.pairs()
            .iter()
            .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
            .collect()
    }

    fn applied(auth: &ClientAuth) -> (Vec<(String, String)>, Option<String>) {
        let mut form = Form::new().with("grant_type", "client_credentials");
        let header = auth.apply(&mut form, "https://as.example", 1_000).unwrap();
        (pairs(&form), header.map(|h| h.expose_secret().to_owned()))
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn none_sends_only_the_client_id() {
        let (form, header) = applied(&ClientAuth::public("agent"));
        assert_eq!(
            form,
            owned(&[("grant_type", "client_credentials"), ("client_id", "agent")])
        );
        assert_eq!(header, None);
    }

    #[test]
    fn client_secret_basic_is_a_header_only_per_rfc6749_2_3_1() {
        let (form, header) = applied(&ClientAuth::basic("s6BhdRkqt3", "gX1fBat3bV"));
        assert_eq!(form, owned(&[("grant_type", "client_credentials")]));
        assert_eq!(
            header.as_deref(),
            Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
        );
    }

    #[test]
    fn client_secret_post_puts_id_and_secret_in_the_form() {
        let (form, header) = applied(&ClientAuth::post("agent", "s3cret"));
        assert_eq!(
            form,
            owned(&[
                ("grant_type", "client_credentials"),
                ("client_id", "agent"),
                ("client_secret", "s3cret"),
            ])
        );
        assert_eq!(header, None);
    }

    #[test]
    fn tls_client_auth_sends_the_client_id_for_the_certificate() {
        let auth = ClientAuth::tls_client_auth("agent");
        assert_eq!(auth.method(), "tls_client_auth");
        let (form, header) = applied(&auth);
        assert_eq!(
            form,
            owned(&[("grant_type", "client_credentials"), ("client_id", "agent")])
        );
        assert_eq!(header, None);
    }

    #[test]
    fn private_key_jwt_assertion_follows_rfc7523_section_3() {
        let key = Arc::new(SigningKey::generate(Algorithm::Es256).unwrap());
        let (form, header) = applied(&ClientAuth::private_key_jwt("agent", key.clone()));
        assert_eq!(header, None);
        let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "grant_type",
                "client_id",
                "client_assertion_type",
                "client_assertion"
            ]
        );
        assert_eq!(form[2].1, CLIENT_ASSERTION_JWT);
        let payload = form[3].1.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&base64url::decode(payload).unwrap()).unwrap();
        assert_eq!(claims["iss"], "agent");
        assert_eq!(claims["sub"], "agent");
        assert_eq!(claims["aud"], "https://as.example");
        assert_eq!(claims["iat"], 1_000);
        assert_eq!(claims["exp"], 1_060);
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 43));
        // A fresh jti every time: an assertion is never replayed.
        let (again, _) = applied(&ClientAuth::private_key_jwt("agent", key));
        assert_ne!(again[3].1, form[3].1);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let text = format!("{:?}", ClientAuth::basic("agent", "hunter2-secret"));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
