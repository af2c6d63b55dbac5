//! The client of RFC 8693 token exchange and of the RFC 7523 `jwt-bearer`
//! grant: typed requests, typed responses with the tokens in secret types.

use super::{GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE};
use crate::secret::{SecretString, Token};
use serde::Deserialize;

/// How the client authenticates at a token endpoint (RFC 6749 section 2.3.1).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic with the client id and secret (`client_secret_basic`).
    SecretBasic {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
    },
    /// Client id and secret in the form body (`client_secret_post`).
    SecretPost {
        /// The client id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
    },
    /// A public client: only its id.
    Public {
        /// The client id.
        client_id: String,
    },
}

impl ClientAuth {
    /// `client_secret_basic`.
    pub fn basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::SecretBasic {
            client_id: client_id.into(),
            secret: SecretString::new(secret.into()),
        }
    }

    /// `client_secret_post`.
    pub fn post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::SecretPost {
            client_id: client_id.into(),
            secret: SecretString::new(secret.into()),
        }
    }

    /// A public client.
    pub fn public(client_id: impl Into<String>) -> Self {
        Self::Public {
            client_id: client_id.into(),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        match self {
            Self::SecretBasic { client_id, .. }
            | Self::SecretPost { client_id, .. }
            | Self::Public { client_id } => client_id,
        }
    }
}

/// An RFC 8693 section 2.1 token exchange request.
#[derive(Debug, Clone)]
pub struct TokenExchangeRequest {
    subject_token: Token,
    subject_token_type: String,
    actor: Option<(Token, String)>,
    requested_token_type: Option<String>,
    audience: Vec<String>,
    resource: Vec<String>,
    scope: Vec<String>,
    authorization_details: Option<serde_json::Value>,
}

impl TokenExchangeRequest {
    /// Exchanges `subject_token`, of type `subject_token_type` (see
    /// [`token_types`](super::token_types)).
    pub fn new(subject_token: Token, subject_token_type: impl Into<String>) -> Self {
        Self {
            subject_token,
            subject_token_type: subject_token_type.into(),
            actor: None,
            requested_token_type: None,
            audience: Vec::new(),
            resource: Vec::new(),
            scope: Vec::new(),
            authorization_details: None,
        }
    }

    /// The party acting for the subject (RFC 8693 section 1.1, delegation).
    #[must_use]
    pub fn actor_token(mut self, token: Token, token_type: impl Into<String>) -> Self {
        self.actor = Some((token, token_type.into()));
        self
    }

    /// The type of token wanted.
    #[must_use]
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// Adds a logical audience of the new token.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// Adds a resource (RFC 8707) of the new token.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource.push(resource.into());
        self
    }

    /// The scope asked for.
    #[must_use]
    pub fn scope(mut self, scope: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scope = scope.into_iter().map(Into::into).collect();
        self
    }

    /// RFC 9396 `authorization_details` (a JSON array of objects).
    #[must_use]
    pub fn authorization_details(mut self, details: serde_json::Value) -> Self {
        self.authorization_details = Some(details);
        self
    }

    /// A digest of the whole request, subject and actor tokens included:
    /// a cache key that never holds a token.
    pub(super) fn digest(&self) -> String {
        let mut text = String::new();
        for (k, v) in self.form() {
            text.push_str(&k);
            text.push('\u{1f}');
            text.push_str(&v);
            text.push('\u{1e}');
        }
        crate::jose::base64url::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            text.as_bytes(),
        ))
    }

    fn form(&self) -> Vec<(String, String)> {
        let mut form = vec![
            ("grant_type".into(), GRANT_TOKEN_EXCHANGE.into()),
            (
                "subject_token".into(),
                self.subject_token.expose_secret().to_owned(),
            ),
            ("subject_token_type".into(), self.subject_token_type.clone()),
        ];
        if let Some((token, ty)) = &self.actor {
            form.push(("actor_token".into(), token.expose_secret().to_owned()));
            form.push(("actor_token_type".into(), ty.clone()));
        }
        if let Some(t) = &self.requested_token_type {
            form.push(("requested_token_type".into(), t.clone()));
        }
        for a in &self.audience {
            form.push(("audience".into(), a.clone()));
        }
        for r in &self.resource {
            form.push(("resource".into(), r.clone()));
        }
        if !self.scope.is_empty() {
            form.push(("scope".into(), self.scope.join(" ")));
        }
        if let Some(d) = &self.authorization_details {
            form.push(("authorization_details".into(), d.to_string()));
        }
        form
    }
}

/// A successful token response (RFC 8693 section 2.2.1, RFC 6749 section 5.1).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenExchangeResponse {
    /// The issued token (an access token, or an ID-JAG when one was asked for).
    pub access_token: Token,
    /// RFC 8693 `issued_token_type`.
    pub issued_token_type: Option<String>,
    /// `Bearer`, or `N_A` for tokens that are not access tokens.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: Option<i64>,
    /// The granted scope, split.
    pub scope: Option<Vec<String>>,
    /// A refresh token, if one was issued (RFC 8693 section 2.2.1: OPTIONAL;
    /// never with an ID-JAG).
    pub refresh_token: Option<Token>,
}

/// A token exchange or jwt-bearer request failed. Messages never contain a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The token endpoint could not be reached.
    #[error("token endpoint unreachable: {0}")]
    Transport(String),
    /// The server answered with an OAuth error (RFC 6749 section 5.2).
    #[error("token endpoint refused ({status}): {error}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
    /// The response was not a valid token response.
    #[error("invalid token response: {0}")]
    InvalidResponse(&'static str),
    /// A setting is unusable.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}

impl ExchangeError {
    /// The OAuth `error` code, when the server refused.
    pub fn oauth_code(&self) -> Option<&str> {
        match self {
            Self::Refused { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The form of a refresh request (RFC 6749 section 6, RFC 8707 section 2.2).
fn refresh_form(
    refresh_token: &Token,
    scope: &[String],
    resource: Option<&str>,
) -> Vec<(String, String)> {
    let mut form = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        (
            "refresh_token".to_owned(),
            refresh_token.expose_secret().to_owned(),
        ),
    ];
    if !scope.is_empty() {
        form.push(("scope".into(), scope.join(" ")));
    }
    if let Some(resource) = resource {
        form.push(("resource".into(), resource.to_owned()));
    }
    form
}

/// Posts token exchange and jwt-bearer requests to one token endpoint.
#[derive(Debug, Clone)]
pub struct ExchangeClient {
    http: reqwest::Client,
    token_endpoint: String,
    auth: ClientAuth,
}

#[derive(Deserialize)]
struct RawResponse {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    issued_token_type: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct RawError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

const MAX_RESPONSE_BYTES: usize = 64 * 1024;

impl ExchangeClient {
    /// A client of the token endpoint at `token_endpoint` (https, or http on
    /// loopback for tests), authenticating with `auth`.
    pub fn new(token_endpoint: impl Into<String>, auth: ClientAuth) -> Result<Self, ExchangeError> {
        let token_endpoint = token_endpoint.into();
        let url = url::Url::parse(&token_endpoint)
            .map_err(|_| ExchangeError::Config("the token endpoint is not a URL"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(ExchangeError::Config(
                "the token endpoint must use https (http only on loopback)",
            ));
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ExchangeError::Config("HTTP client setup failed"))?;
        Ok(Self {
            http,
            token_endpoint,
            auth,
        })
    }

    /// The token endpoint.
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        self.auth.client_id()
    }

    /// RFC 8693 section 2: one token exchange.
    pub async fn exchange(
        &self,
        request: &TokenExchangeRequest,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        self.post(request.form()).await
    }

    /// RFC 7523 section 2.1: presents a JWT (such as an ID-JAG) as an
    /// authorization grant.
    pub async fn jwt_bearer(
        &self,
        assertion: &Token,
        scope: &[String],
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        let mut form = vec![
            ("grant_type".to_owned(), GRANT_JWT_BEARER.to_owned()),
            ("assertion".to_owned(), assertion.expose_secret().to_owned()),
        ];
        if !scope.is_empty() {
            form.push(("scope".into(), scope.join(" ")));
        }
        self.post(form).await
    }

    /// RFC 6749 section 6: a new access token from a refresh token, with at
    /// most its scope (all of it when `scope` is empty). When the server
    /// rotates refresh tokens the response carries the next one and
    /// `refresh_token` is dead: presenting it again revokes the grant
    /// (RFC 9700 section 4.14.2).
    pub async fn refresh(
        &self,
        refresh_token: &Token,
        scope: &[String],
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        self.post(refresh_form(refresh_token, scope, None)).await
    }

    /// As [`refresh`](Self::refresh), for the access token of one resource:
    /// RFC 8707 section 2.2 sends `resource` with the refresh request too.
    pub async fn refresh_for_resource(
        &self,
        refresh_token: &Token,
        scope: &[String],
        resource: &str,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        self.post(refresh_form(refresh_token, scope, Some(resource)))
            .await
    }

    /// Posts any grant's form parameters (client authentication is added).
    pub(crate) async fn post_form(
        &self,
        form: Vec<(String, String)>,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        self.post(form).await
    }

    async fn post(
        &self,
        mut form: Vec<(String, String)>,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        let mut request = self
            .http
            .post(&self.token_endpoint)
            .header(reqwest::header::ACCEPT, "application/json");
        match &self.auth {
            ClientAuth::SecretBasic { client_id, secret } => {
                let encoded =
                    crate::basic_auth::client_secret_basic(client_id, secret.expose_secret());
                let mut value = reqwest::header::HeaderValue::from_str(encoded.expose_secret())
                    .map_err(|_| ExchangeError::Config("client credentials are not encodable"))?;
                value.set_sensitive(true);
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
            ClientAuth::SecretPost { client_id, secret } => {
                form.push(("client_id".into(), client_id.clone()));
                form.push(("client_secret".into(), secret.expose_secret().to_owned()));
            }
            ClientAuth::Public { client_id } => {
                form.push(("client_id".into(), client_id.clone()));
            }
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| ExchangeError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ExchangeError::Transport(e.without_url().to_string()))?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(ExchangeError::InvalidResponse("response too large"));
        }
        if !status.is_success() {
            let err: RawError = serde_json::from_slice(&body)
                .map_err(|_| ExchangeError::InvalidResponse("error response is not OAuth JSON"))?;
            return Err(ExchangeError::Refused {
                status: status.as_u16(),
                error: err.error,
                description: err.error_description,
            });
        }
        // The serde error text could quote a token: it is dropped.
        let raw: RawResponse = serde_json::from_slice(&body)
            .map_err(|_| ExchangeError::InvalidResponse("not a token response"))?;
        if raw.access_token.is_empty() || raw.token_type.is_empty() {
            return Err(ExchangeError::InvalidResponse(
                "empty access_token or token_type",
            ));
        }
        Ok(TokenExchangeResponse {
            access_token: Token::new(raw.access_token),
            issued_token_type: raw.issued_token_type,
            token_type: raw.token_type,
            expires_in: raw.expires_in,
            scope: raw.scope.map(|s| {
                s.split(' ')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            refresh_token: raw.refresh_token.map(Token::new),
        })
    }
}
