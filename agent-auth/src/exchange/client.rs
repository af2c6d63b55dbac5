//! The client of RFC 8693 token exchange and of the RFC 7523 `jwt-bearer`
//! grant: typed requests, sent through the OAuth core's token endpoint
//! ([`TokenEndpoint`]), typed responses with the tokens in secret types.

use super::{GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE};
use crate::oauth::{ClientAuth, Form, HttpClient, TokenEndpoint, TokenError, TokenResponse};
use crate::secret::Token;

/// A successful token response (RFC 8693 section 2.2.1, RFC 6749 section
/// 5.1): the core's [`TokenResponse`].
pub type TokenExchangeResponse = TokenResponse;

/// A token exchange or jwt-bearer request failed: the core's [`TokenError`].
/// Messages never contain a token.
pub type ExchangeError = TokenError;

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
    /// The subject token.
    pub(super) fn subject_token(&self) -> &Token {
        &self.subject_token
    }

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

/// The form of a refresh request (RFC 6749 section 6, RFC 8707 section 2.2).
fn refresh_form(refresh_token: &Token, scope: &[String], resource: Option<&str>) -> Form {
    let mut form = Form::new()
        .with("grant_type", "refresh_token")
        .with("refresh_token", refresh_token.expose_secret());
    if !scope.is_empty() {
        form.push("scope", scope.join(" "));
    }
    if let Some(resource) = resource {
        form.push("resource", resource);
    }
    form
}

/// Posts token exchange, jwt-bearer and refresh requests to one token endpoint.
#[derive(Debug, Clone)]
pub struct ExchangeClient {
    endpoint: TokenEndpoint,
}

impl ExchangeClient {
    /// A client of the token endpoint at `token_endpoint` (https, or http on
    /// loopback for tests), authenticating with `auth`, over the default
    /// [`HttpClient`].
    pub fn new(token_endpoint: impl Into<String>, auth: ClientAuth) -> Result<Self, ExchangeError> {
        Ok(Self::from_endpoint(TokenEndpoint::new(
            token_endpoint,
            auth,
        )?))
    }

    /// As [`new`](Self::new), sending through `http` (your own transport or
    /// `reqwest::Client`).
    pub fn with_http(
        http: HttpClient,
        token_endpoint: impl Into<String>,
        auth: ClientAuth,
    ) -> Result<Self, ExchangeError> {
        Ok(Self::from_endpoint(TokenEndpoint::with_http(
            http,
            token_endpoint,
            auth,
        )?))
    }

    /// A client of an already configured token endpoint.
    pub fn from_endpoint(endpoint: TokenEndpoint) -> Self {
        Self { endpoint }
    }

    /// Records every exchange, jwt-bearer and refresh request in `sink`
    /// ([`TokenEndpoint::audit`]).
    #[must_use]
    pub fn audit(mut self, sink: crate::audit::SharedSink) -> Self {
        self.endpoint = self.endpoint.audit(sink);
        self
    }

    /// The token endpoint.
    pub fn token_endpoint(&self) -> &str {
        self.endpoint.url()
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        self.endpoint.auth().client_id()
    }

    /// RFC 8693 section 2: one token exchange.
    #[tracing::instrument(name = "oauth.exchange", skip_all, fields(client_id = %self.client_id()))]
    pub async fn exchange(
        &self,
        request: &TokenExchangeRequest,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        self.endpoint.request(Form::from(request.form())).await
    }

    /// RFC 7523 section 2.1: presents a JWT (such as an ID-JAG) as an
    /// authorization grant.
    pub async fn jwt_bearer(
        &self,
        assertion: &Token,
        scope: &[String],
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        let mut form = Form::new()
            .with("grant_type", GRANT_JWT_BEARER)
            .with("assertion", assertion.expose_secret());
        if !scope.is_empty() {
            form.push("scope", scope.join(" "));
        }
        self.endpoint.request(form).await
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
        self.endpoint
            .request(refresh_form(refresh_token, scope, None))
            .await
    }

    /// As [`refresh`](Self::refresh), for the access token of one resource:
    /// RFC 8707 section 2.2 sends `resource` with the refresh request too.
    pub async fn refresh_for_resource(
        &self,
        refresh_token: &Token,
        scope: &[String],
        resource: &str,
    ) -> Result<TokenExchangeResponse, ExchangeError> {
        self.endpoint
            .request(refresh_form(refresh_token, scope, Some(resource)))
            .await
    }
}
