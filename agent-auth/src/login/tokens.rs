//! Token endpoint calls of the relying party: client authentication, token
//! responses, client_credentials, revocation and introspection. Client
//! authentication, the token response and the RFC 6749 section 5.2 error are
//! the OAuth core's ([`crate::oauth`]); the requests go through the
//! [`LoginBackend`](super::LoginBackend), which may be in memory.

use super::{ClientError, LoginClient};
use crate::jose::{SigningKey, base64url};
use crate::oauth::{self, Form, TokenError, TokenResponse};
use crate::secret::{SecretString, Token};
use std::sync::Arc;

/// The client's credential at the provider; with
/// [`LoginConfig::client_id`](super::LoginConfig) it makes the core's
/// [`oauth::ClientAuth`], which authenticates every request.
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
    /// `tls_client_auth` (RFC 8705 section 2.1): the certificate is the
    /// transport's (see [`HttpBackend::with_http`](super::HttpBackend::with_http)).
    TlsClientAuth,
}

impl ClientAuth {
    /// The core client authentication of `client_id` with this credential.
    pub fn for_client(&self, client_id: &str) -> oauth::ClientAuth {
        let id = client_id.to_owned();
        match self {
            Self::None => oauth::ClientAuth::Public { client_id: id },
            Self::SecretBasic(secret) => oauth::ClientAuth::SecretBasic {
                client_id: id,
                secret: secret.clone(),
            },
            Self::SecretPost(secret) => oauth::ClientAuth::SecretPost {
                client_id: id,
                secret: secret.clone(),
            },
            Self::PrivateKeyJwt(key) => oauth::ClientAuth::private_key_jwt(id, Arc::clone(key)),
            Self::TlsClientAuth => oauth::ClientAuth::tls_client_auth(id),
        }
    }
}

/// Tokens from a token response (RFC 6749 section 5.1), in secret types.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: Token,
    /// `Bearer`, or `DPoP` for an access token bound to the client's DPoP
    /// key (sent with the `DPoP` scheme and a proof, RFC 9449 section 7.1).
    pub token_type: String,
    /// The refresh token, if any.
    pub refresh_token: Option<Token>,
    /// The ID token, if any.
    pub id_token: Option<Token>,
    /// When the access token expires (from `expires_in`), seconds since the epoch.
    pub expires_at: Option<i64>,
    /// The granted scope, if the provider said.
    pub scope: Option<String>,
}

/// The provider's refusal: its RFC 6749 section 5.2 error, else the status.
pub(super) fn provider_error(status: u16, body: &serde_json::Value) -> ClientError {
    match TokenError::from_error_body(status, body) {
        Some(TokenError::Refused {
            error, description, ..
        }) => ClientError::Provider {
            code: error,
            description: description.unwrap_or_default(),
        },
        _ => ClientError::Provider {
            code: format!("http_{status}"),
            description: String::new(),
        },
    }
}

impl LoginClient {
    /// One token request with a fresh proof; keeps the answer's nonce and
    /// says whether it is a new one.
    async fn dpop_request(
        &self,
        signer: &crate::oauth::DpopSigner,
        params: Form,
    ) -> Result<(super::BackendResponse, bool), ClientError> {
        let (form, header) = self.client_auth(params)?;
        let proof = signer
            .proof("POST", &self.token_endpoint, None, self.clock.now())
            .map_err(|_| ClientError::Config("DPoP proof signing failed"))?;
        let (response, nonce) = self
            .backend
            .post_form_dpop(
                &self.token_endpoint,
                form.pairs(),
                header.as_ref(),
                &SecretString::new(proof.expose_secret()),
            )
            .await?;
        let new_nonce = signer.learn_nonce(nonce.as_deref());
        Ok((response, new_nonce))
    }

    /// `form` with the client's authentication, and the `Authorization`
    /// header value if the method uses one; client assertions name the issuer.
    pub(super) fn client_auth(
        &self,
        mut form: Form,
    ) -> Result<(Form, Option<SecretString>), ClientError> {
        let header = self
            .config
            .auth
            .for_client(&self.config.client_id)
            .apply(&mut form, &self.metadata.issuer, self.clock.now())
            .map_err(|_| ClientError::Config("client assertion signing failed"))?;
        Ok((form, header))
    }

    /// Posts `params` to the token endpoint with client authentication, and a
    /// DPoP proof when the client has a signer (one retry with the provider's
    /// nonce on `use_dpop_nonce`).
    pub(super) async fn token_request(&self, params: Form) -> Result<TokenSet, ClientError> {
        let result = self.send_token_request(params.clone()).await;
        self.record_token_request(&params, &result);
        result
    }

    async fn send_token_request(&self, params: Form) -> Result<TokenSet, ClientError> {
        let response = match &self.dpop {
            None => {
                let (form, header) = self.client_auth(params)?;
                self.backend
                    .post_form(&self.token_endpoint, form.pairs(), header.as_ref())
                    .await?
            }
            Some(signer) => {
                let (response, new_nonce) = self.dpop_request(signer, params.clone()).await?;
                let code = response
                    .body
                    .get("error")
                    .and_then(serde_json::Value::as_str);
                if new_nonce && code == Some(crate::dpop::USE_DPOP_NONCE) {
                    self.dpop_request(signer, params).await?.0
                } else {
                    response
                }
            }
        };
        if response.status != 200 {
            return Err(provider_error(response.status, &response.body));
        }
        let tokens = TokenResponse::from_json(&response.body).map_err(|e| match e {
            TokenError::InvalidResponse(why) => ClientError::Response(why),
            _ => ClientError::Response("not a token response"),
        })?;
        // RFC 6749 section 7.1: only types the client understands (`DPoP`,
        // RFC 9449 section 5, when it proves a key).
        let dpop = self.dpop.is_some() && tokens.token_type.eq_ignore_ascii_case("dpop");
        if !tokens.token_type.eq_ignore_ascii_case("bearer") && !dpop {
            return Err(ClientError::Response("token_type is not Bearer"));
        }
        Ok(TokenSet {
            token_type: if dpop { "DPoP" } else { "Bearer" }.to_owned(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            id_token: tokens.id_token,
            expires_at: tokens
                .expires_in
                .map(|s| self.clock.now().saturating_add(s)),
            scope: tokens.scope.map(|s| s.join(" ")),
        })
    }

    /// `client_credentials` (RFC 6749 section 4.4): a token for the client itself.
    pub async fn client_credentials(
        &self,
        scope: &[&str],
        resource: Option<&str>,
    ) -> Result<TokenSet, ClientError> {
        let mut params = Form::new().with("grant_type", "client_credentials");
        if !scope.is_empty() {
            params.push("scope", scope.join(" "));
        }
        if let Some(r) = resource {
            params.push("resource", r);
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
        let mut params = Form::new().with("token", token.expose_secret());
        if let Some(h) = hint {
            params.push("token_type_hint", h);
        }
        let (form, header) = self.client_auth(params)?;
        let response = self
            .backend
            .post_form(endpoint, form.pairs(), header.as_ref())
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
        let (form, header) = self.client_auth(Form::new().with("token", token.expose_secret()))?;
        let response = self
            .backend
            .post_form(endpoint, form.pairs(), header.as_ref())
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
