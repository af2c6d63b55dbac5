//! Client authentication at the backchannel and token endpoints:
//! `client_secret_basic`, `client_secret_post` (RFC 6749 section 2.3.1) and
//! `private_key_jwt` (RFC 7523 section 2.2, OpenID Connect Core section 9).

use super::CibaError;
use crate::wire::random_value;
use agent_auth::jose::{SigningKey, sign_compact};
use agent_auth::secret::SecretString;
use agent_auth::validate::Claims;

/// How the client proves who it is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic with the form-urlencoded id and secret.
    SecretBasic {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
    },
    /// `client_id` and `client_secret` in the form body.
    SecretPost {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
    },
    /// A JWT signed with the client's private key, audience the OP's issuer.
    PrivateKeyJwt {
        /// The client id.
        client_id: String,
        /// The signing key (its public half registered at the OP).
        key: std::sync::Arc<SigningKey>,
    },
}

impl ClientAuth {
    /// `client_secret_basic`.
    pub fn secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::SecretBasic {
            client_id: client_id.into(),
            secret: SecretString::new(secret.into()),
        }
    }

    /// `client_secret_post`.
    pub fn secret_post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::SecretPost {
            client_id: client_id.into(),
            secret: SecretString::new(secret.into()),
        }
    }

    /// `private_key_jwt`.
    pub fn private_key_jwt(client_id: impl Into<String>, key: SigningKey) -> Self {
        Self::PrivateKeyJwt {
            client_id: client_id.into(),
            key: std::sync::Arc::new(key),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        match self {
            Self::SecretBasic { client_id, .. }
            | Self::SecretPost { client_id, .. }
            | Self::PrivateKeyJwt { client_id, .. } => client_id,
        }
    }

    /// Adds the credentials to a form request.
    pub(crate) fn apply(
        &self,
        form: &mut Vec<(String, String)>,
        issuer: &str,
        now: i64,
    ) -> Result<Option<SecretString>, CibaError> {
        match self {
            Self::SecretBasic { client_id, secret } => Ok(Some(
                agent_auth::basic_auth::client_secret_basic(client_id, secret.expose_secret()),
            )),
            Self::SecretPost { client_id, secret } => {
                form.push(("client_id".into(), client_id.clone()));
                form.push(("client_secret".into(), secret.expose_secret().to_owned()));
                Ok(None)
            }
            Self::PrivateKeyJwt { client_id, key } => {
                let mut c = Claims::new();
                c.iss = Some(client_id.clone());
                c.sub = Some(client_id.clone());
                // CIBA Core 1.0 section 7.1: the OP's issuer is a valid audience.
                c.aud = vec![issuer.to_owned()];
                c.iat = Some(now);
                c.exp = Some(now + 60);
                c.jti = Some(random_value().ok_or(CibaError::Config("randomness unavailable"))?);
                let jwt = sign_compact(key, Some("JWT"), &c)
                    .map_err(|_| CibaError::Config("signing the client assertion failed"))?;
                form.push(("client_id".into(), client_id.clone()));
                form.push((
                    "client_assertion_type".into(),
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push(("client_assertion".into(), jwt.expose_secret().to_owned()));
                Ok(None)
            }
        }
    }
}
