//! Token endpoint calls of the relying party: client authentication, token
//! responses, client_credentials, revocation and introspection.

use super::{ClientError, LoginClient};
use crate::jose::{SigningKey, base64url, sign_compact};
use crate::secret::{SecretString, Token};
use crate::validate::Claims;
use std::sync::Arc;

/// Form parameters with secret values.
pub(super) type Form = Vec<(String, SecretString)>;

/// How the client authenticates to the provider.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client.
    None,
    /// `client_secret_basic`.
    SecretBasic(SecretString),
    /// `client_secret_post`.
    SecretPost(SecretString),
    /// `private_key_jwt` (RFC 7523 section 2.2) with this key.
    PrivateKeyJwt(Arc<SigningKey>),
}

/// Tokens from a token response (RFC 6749 section 5.1), in secret types.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: Token,
    /// The refresh token, if any.
    pub refresh_token: Option<Token>,
    /// The ID token, if any.
    pub id_token: Option<Token>,
    /// When the access token expires (from `expires_in`), seconds since the epoch.
    pub expires_at: Option<i64>,
    /// The granted scope, if the provider said.
    pub scope: Option<String>,
}

pub(super) fn provider_error(status: u16, body: &serde_json::Value) -> ClientError {
    let text = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let code = text("error");
    ClientError::Provider {
        code: if code.is_empty() {
            format!("http_{status}")
        } else {
            code
        },
        description: text("error_description"),
    }
}

impl LoginClient {
    /// The form parameters and `Authorization` header that authenticate the client.
    pub(super) fn client_auth(&self) -> Result<(Form, Option<SecretString>), ClientError> {
        let id = &self.config.client_id;
        let mut form = vec![("client_id".to_owned(), SecretString::new(id.clone()))];
        let header = match &self.config.auth {
            ClientAuth::None => None,
            ClientAuth::SecretBasic(secret) => {
                form.clear();
                Some(crate::basic_auth::client_secret_basic(
                    id,
                    secret.expose_secret(),
                ))
            }
            ClientAuth::SecretPost(secret) => {
                form.push(("client_secret".into(), secret.clone()));
                None
            }
            ClientAuth::PrivateKeyJwt(key) => {
                let now = self.clock.now();
                let jti = random().ok_or(ClientError::Config("randomness unavailable"))?;
                let mut c = Claims::new();
                c.iss = Some(id.clone());
                c.sub = Some(id.clone());
                c.aud = vec![self.metadata.issuer.clone()];
                c.iat = Some(now);
                c.exp = Some(now + 60);
                c.jti = Some(jti);
                let assertion = sign_compact(key, None, &c)
                    .map_err(|_| ClientError::Config("client assertion signing failed"))?;
                form.push((
                    "client_assertion_type".into(),
                    SecretString::new("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ));
                form.push((
                    "client_assertion".into(),
                    SecretString::new(assertion.expose_secret()),
                ));
                None
            }
        };
        Ok((form, header))
    }

    /// Posts to the token endpoint with client authentication.
    pub(super) async fn token_request(
        &self,
        params: Vec<(&str, SecretString)>,
    ) -> Result<TokenSet, ClientError> {
        let (mut form, header) = self.client_auth()?;
        form.extend(params.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let response = self
            .backend
            .post_form(&self.metadata.token_endpoint, &form, header.as_ref())
            .await?;
        if response.status != 200 {
            return Err(provider_error(response.status, &response.body));
        }
        self.parse_tokens(&response.body)
    }

    fn parse_tokens(&self, body: &serde_json::Value) -> Result<TokenSet, ClientError> {
        let text = |k: &str| body.get(k).and_then(|v| v.as_str());
        let access_token = text("access_token")
            .ok_or(ClientError::Response("token response without access_token"))?;
        // RFC 6749 section 7.1: only types the client understands.
        if !text("token_type").is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
            return Err(ClientError::Response("token_type is not Bearer"));
        }
        Ok(TokenSet {
            access_token: Token::new(access_token),
            refresh_token: text("refresh_token").map(Token::new),
            id_token: text("id_token").map(Token::new),
            expires_at: body
                .get("expires_in")
                .and_then(serde_json::Value::as_i64)
                .map(|s| self.clock.now() + s),
            scope: text("scope").map(str::to_owned),
        })
    }

    /// `client_credentials` (RFC 6749 section 4.4): a token for the client itself.
    pub async fn client_credentials(
        &self,
        scope: &[&str],
        resource: Option<&str>,
    ) -> Result<TokenSet, ClientError> {
        let mut params = vec![("grant_type", SecretString::new("client_credentials"))];
        if !scope.is_empty() {
            params.push(("scope", SecretString::new(scope.join(" "))));
        }
        if let Some(r) = resource {
            params.push(("resource", SecretString::new(r)));
        }
        self.token_request(params).await
    }

    /// Revokes a token (RFC 7009).
    pub async fn revoke(&self, token: &Token, hint: Option<&str>) -> Result<(), ClientError> {
        let endpoint = self
            .metadata
            .revocation_endpoint
            .as_deref()
            .ok_or(ClientError::Config(
                "the provider has no revocation endpoint",
            ))?;
        let (mut form, header) = self.client_auth()?;
        form.push(("token".into(), SecretString::new(token.expose_secret())));
        if let Some(h) = hint {
            form.push(("token_type_hint".into(), SecretString::new(h)));
        }
        let response = self
            .backend
            .post_form(endpoint, &form, header.as_ref())
            .await?;
        if response.status == 200 {
            Ok(())
        } else {
            Err(provider_error(response.status, &response.body))
        }
    }

    /// Introspects a token (RFC 7662); returns the provider's JSON answer.
    pub async fn introspect(&self, token: &Token) -> Result<serde_json::Value, ClientError> {
        let endpoint =
            self.metadata
                .introspection_endpoint
                .as_deref()
                .ok_or(ClientError::Config(
                    "the provider has no introspection endpoint",
                ))?;
        let (mut form, header) = self.client_auth()?;
        form.push(("token".into(), SecretString::new(token.expose_secret())));
        let response = self
            .backend
            .post_form(endpoint, &form, header.as_ref())
            .await?;
        if response.status != 200 {
            return Err(provider_error(response.status, &response.body));
        }
        if !response
            .body
            .get("active")
            .is_some_and(serde_json::Value::is_boolean)
        {
            return Err(ClientError::Response(
                "introspection answer without boolean `active`",
            ));
        }
        Ok(response.body)
    }
}

/// A random base64url value of 32 bytes.
pub(super) fn random() -> Option<String> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(base64url::encode(bytes))
}
