//! One token endpoint request: the form with client authentication, posted
//! through the [`HttpClient`], answered by a [`TokenResponse`] (RFC 6749
//! section 5.1) or a [`TokenError`] (section 5.2).

use super::client_auth::{ClientAuth, ClientAuthError};
use super::form::Form;
use super::http::HttpClient;
use super::token_audit::{Answer, Granted, token_request_event};
use super::transport::{HttpError, HttpRequest};
use crate::audit::SharedSink;
use crate::clock::{SharedClock, system_clock};
use crate::secret::Token;
use serde::Deserialize;

/// A successful token response (RFC 6749 section 5.1, RFC 8693 section
/// 2.2.1, OpenID Connect Core 3.1.3.3), tokens in secret types.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The issued token (an access token, or an ID-JAG when one was asked for).
    pub access_token: Token,
    /// `Bearer`, or `N_A` for tokens that are not access tokens (RFC 8693).
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: Option<i64>,
    /// A refresh token, if one was issued.
    pub refresh_token: Option<Token>,
    /// An ID token, if one was issued.
    pub id_token: Option<Token>,
    /// The granted scope, split.
    pub scope: Option<Vec<String>>,
    /// RFC 8693 `issued_token_type`.
    pub issued_token_type: Option<String>,
}

#[derive(Deserialize)]
struct RawResponse {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    issued_token_type: Option<String>,
}

impl TokenResponse {
    /// Reads a 2xx token response body. The serde error text could quote a
    /// token, so it is dropped.
    pub fn from_json(body: &serde_json::Value) -> Result<Self, TokenError> {
        let raw = RawResponse::deserialize(body)
            .map_err(|_| TokenError::InvalidResponse("not a token response"))?;
        if raw.access_token.is_empty() || raw.token_type.is_empty() {
            return Err(TokenError::InvalidResponse(
                "empty access_token or token_type",
            ));
        }
        Ok(Self {
            access_token: Token::new(raw.access_token),
            token_type: raw.token_type,
            expires_in: raw.expires_in,
            refresh_token: raw.refresh_token.map(Token::new),
            id_token: raw.id_token.map(Token::new),
            scope: raw.scope.map(|s| {
                s.split(' ')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            issued_token_type: raw.issued_token_type,
        })
    }
}

/// A token request failed. Messages never contain a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The request failed (connect, DNS, TLS, timeout, redirect, body too
    /// large, or a status without an OAuth error body).
    #[error("token endpoint unreachable: {0}")]
    Transport(#[source] HttpError),
    /// The server answered with an OAuth error (RFC 6749 section 5.2).
    #[error("token endpoint refused ({status}): {error}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
        /// The `error_uri`, if any.
        error_uri: Option<String>,
    },
    /// The response was not a valid token response.
    #[error("invalid token response: {0}")]
    InvalidResponse(&'static str),
    /// A setting is unusable, or client authentication failed locally.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}

impl TokenError {
    /// A short name of the failure's kind, for audit reasons.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Transport(_) => "transport",
            Self::Refused { .. } => "refused",
            Self::InvalidResponse(_) => "invalid_response",
            Self::Config(_) => "configuration",
        }
    }

    /// The OAuth `error` code, when the server refused.
    pub fn oauth_code(&self) -> Option<&str> {
        match self {
            Self::Refused { error, .. } => Some(error),
            _ => None,
        }
    }

    /// RFC 6749 section 5.2: an error response is a JSON object whose `error`
    /// is a non-empty string; `None` for anything else (an HTML page, an
    /// empty body), which the caller reports by its status.
    pub fn from_error_body(status: u16, body: &serde_json::Value) -> Option<Self> {
        let text = |k: &str| body.get(k).and_then(serde_json::Value::as_str);
        let error = text("error").filter(|e| !e.is_empty())?;
        Some(Self::Refused {
            status,
            error: error.to_owned(),
            description: text("error_description").map(str::to_owned),
            error_uri: text("error_uri").map(str::to_owned),
        })
    }

    /// The answer of a token endpoint: a token response for a 2xx status,
    /// else the section 5.2 error, else the bare status. `body` is `None`
    /// when the body is empty or not JSON.
    pub fn check_response(
        host: &str,
        status: u16,
        body: Option<&serde_json::Value>,
    ) -> Result<TokenResponse, Self> {
        if (200..300).contains(&status) {
            let body = body.ok_or(Self::InvalidResponse("not a token response"))?;
            return TokenResponse::from_json(body);
        }
        Err(body
            .and_then(|b| Self::from_error_body(status, b))
            .unwrap_or_else(|| {
                Self::Transport(HttpError::Status {
                    host: host.to_owned(),
                    status,
                })
            }))
    }
}

impl From<HttpError> for TokenError {
    fn from(e: HttpError) -> Self {
        Self::Transport(e)
    }
}

impl From<ClientAuthError> for TokenError {
    fn from(e: ClientAuthError) -> Self {
        Self::Config(match e {
            ClientAuthError::Randomness => "client assertion: randomness unavailable",
            ClientAuthError::Signing => "client assertion: signing failed",
        })
    }
}

/// One token endpoint and the client authenticating there.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    http: HttpClient,
    url: String,
    auth: ClientAuth,
    audience: String,
    clock: SharedClock,
    dpop: Option<super::DpopSigner>,
    audit: Option<SharedSink>,
}

impl TokenEndpoint {
    /// The token endpoint at `url` (https, or http on loopback), with the
    /// default [`HttpClient`] and the system clock. A client assertion's
    /// audience is the endpoint's URL unless
    /// [`assertion_audience`](Self::assertion_audience) says otherwise.
    pub fn new(url: impl Into<String>, auth: ClientAuth) -> Result<Self, TokenError> {
        Self::with_http(HttpClient::new()?, url, auth)
    }

    /// As [`new`](Self::new), sending through `http`.
    pub fn with_http(
        http: HttpClient,
        url: impl Into<String>,
        auth: ClientAuth,
    ) -> Result<Self, TokenError> {
        let url = url.into();
        super::url_policy::check_url(&url).map_err(HttpError::Url)?;
        Ok(Self {
            http,
            audience: url.clone(),
            url,
            auth,
            clock: system_clock(),
            dpop: None,
            audit: None,
        })
    }

    /// The `aud` of client assertions (the issuer identifier, for servers
    /// that accept only that; RFC 7523 section 3).
    #[must_use]
    pub fn assertion_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// The clock of client assertions.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Sends a DPoP proof with every request (RFC 9449 section 5), so the
    /// tokens issued are bound to the signer's key; a `use_dpop_nonce` answer
    /// is retried once with the server's nonce (section 8).
    #[must_use]
    pub fn dpop(mut self, signer: super::DpopSigner) -> Self {
        self.dpop = Some(signer);
        self
    }

    /// Records every token request in `sink`: the grant, the resource or
    /// audience asked for, the scope granted or the OAuth error code, never a
    /// code, secret, assertion or token.
    #[must_use]
    pub fn audit(mut self, sink: SharedSink) -> Self {
        self.audit = Some(sink);
        self
    }

    /// The DPoP signer, if any.
    pub fn dpop_signer(&self) -> Option<&super::DpopSigner> {
        self.dpop.as_ref()
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The client authentication.
    pub fn auth(&self) -> &ClientAuth {
        &self.auth
    }

    /// The current time of the endpoint's clock.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Posts `params` (the grant's parameters) with client authentication,
    /// and a DPoP proof when a signer is set.
    pub async fn request(&self, params: Form) -> Result<TokenResponse, TokenError> {
        let result = match self.request_once(params.clone()).await {
            Err(Retry::WithNonce) => self
                .request_once(params.clone())
                .await
                .map_err(Retry::into_error),
            other => other.map_err(Retry::into_error),
        };
        self.record(&params, &result);
        result
    }

    /// Records the request's outcome in the audit sink, if one is set.
    fn record(&self, params: &Form, result: &Result<TokenResponse, TokenError>) {
        let Some(sink) = self.audit.as_ref().filter(|s| s.enabled()) else {
            return;
        };
        let scope = match result {
            Ok(tokens) => tokens.scope.as_ref().map(|s| s.join(" ")),
            Err(_) => None,
        };
        let answer = match result {
            Ok(tokens) => Answer::Granted(Granted {
                scope: scope.as_deref(),
                token_type: &tokens.token_type,
                expires_in: tokens.expires_in,
            }),
            Err(e) => match e.oauth_code() {
                Some(code) => Answer::Refused(code),
                None => Answer::Failed(e.kind()),
            },
        };
        sink.record(&token_request_event(
            self.clock.now(),
            self.auth.client_id(),
            &self.url,
            params,
            answer,
        ));
    }

    async fn request_once(&self, mut params: Form) -> Result<TokenResponse, Retry> {
        let now = self.clock.now();
        let authorization = self
            .auth
            .apply(&mut params, &self.audience, now)
            .map_err(|e| Retry::Fail(e.into()))?;
        let mut request =
            HttpRequest::post_form(&self.url, &params).map_err(|e| Retry::Fail(e.into()))?;
        if let Some(value) = authorization {
            request = request.secret_header("authorization", value);
        }
        if let Some(signer) = &self.dpop {
            let proof = signer
                .proof("POST", &self.url, None, now)
                .map_err(|_| Retry::Fail(TokenError::Config("DPoP proof: signing failed")))?;
            request = request.secret_header(
                "dpop",
                crate::secret::SecretString::new(proof.expose_secret()),
            );
        }
        let host = request.host();
        let response = self
            .http
            .send(request)
            .await
            .map_err(|e| Retry::Fail(e.into()))?;
        let result =
            TokenError::check_response(&host, response.status(), response.json_body().as_ref());
        match (&self.dpop, result) {
            (Some(signer), Err(e))
                if signer.wants_retry(e.oauth_code(), response.header("dpop-nonce")) =>
            {
                Err(Retry::WithNonce)
            }
            (Some(signer), other) => {
                signer.learn_nonce(response.header("dpop-nonce"));
                other.map_err(Retry::Fail)
            }
            (None, other) => other.map_err(Retry::Fail),
        }
    }
}

/// The outcome of one attempt: retry once with the server's new nonce, or fail.
enum Retry {
    WithNonce,
    Fail(TokenError),
}

impl Retry {
    fn into_error(self) -> TokenError {
        match self {
            Retry::WithNonce => TokenError::Refused {
                status: 400,
                error: crate::dpop::USE_DPOP_NONCE.to_owned(),
                description: Some("the server asked for a new DPoP nonce twice".to_owned()),
                error_uri: None,
            },
            Retry::Fail(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::HttpResponse;
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    #[test]
    fn rfc6749_5_2_error_with_all_members() {
        let body = json!({
            "error": "invalid_grant",
            "error_description": "code expired",
            "error_uri": "https://as.example/errors/1",
        });
        let err = TokenError::check_response("as.example", 400, Some(&body)).unwrap_err();
        assert_eq!(
            err,
            TokenError::Refused {
                status: 400,
                error: "invalid_grant".into(),
                description: Some("code expired".into()),
                error_uri: Some("https://as.example/errors/1".into()),
            }
        );
        assert_eq!(err.oauth_code(), Some("invalid_grant"));
        assert_eq!(
            err.to_string(),
            "token endpoint refused (400): invalid_grant"
        );
    }

    #[test]
    fn non_json_error_body_is_reported_by_status() {
        let err = TokenError::check_response("as.example", 502, None).unwrap_err();
        assert_eq!(
            err,
            TokenError::Transport(HttpError::Status {
                host: "as.example".into(),
                status: 502
            })
        );
        assert_eq!(err.oauth_code(), None);
        // JSON without a string `error` is not an OAuth error either.
        let err =
            TokenError::check_response("as.example", 401, Some(&json!({"error": 7}))).unwrap_err();
        assert!(matches!(
            err,
            TokenError::Transport(HttpError::Status { status: 401, .. })
        ));
    }

    #[test]
    fn success_without_a_token_is_an_invalid_response() {
        for body in [
            json!({}),
            json!({"access_token": "", "token_type": "Bearer"}),
            json!([1]),
        ] {
            assert!(matches!(
                TokenError::check_response("as.example", 200, Some(&body)),
                Err(TokenError::InvalidResponse(_))
            ));
        }
        assert!(matches!(
            TokenError::check_response("as.example", 200, None),
            Err(TokenError::InvalidResponse(_))
        ));
    }

    #[tokio::test]
    async fn token_request_sends_the_authenticated_form() {
        let seen = Arc::new(Mutex::new(None));
        let record = Arc::clone(&seen);
        let http = HttpClient::with_transport(move |req: HttpRequest| {
            let record = Arc::clone(&record);
            async move {
                *record.lock().unwrap() = Some((
                    String::from_utf8(req.body().to_vec()).unwrap(),
                    req.header_value("authorization")
                        .map(|v| v.expose_secret().to_owned()),
                    req.header_value("content-type")
                        .map(|v| v.expose_secret().to_owned()),
                ));
                Ok(HttpResponse::json(
                    200,
                    &json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60,
                            "scope": "a b", "refresh_token": "rt"}),
                ))
            }
        });
        let endpoint = TokenEndpoint::with_http(
            http,
            "https://as.example/token",
            ClientAuth::basic("agent", "secret"),
        )
        .unwrap();
        let response = endpoint
            .request(Form::new().with("grant_type", "client_credentials"))
            .await
            .unwrap();
        assert_eq!(response.access_token.expose_secret(), "at");
        assert_eq!(response.scope, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(response.expires_in, Some(60));
        let (body, auth, ctype) = seen.lock().unwrap().clone().unwrap();
        assert_eq!(body, "grant_type=client_credentials");
        assert_eq!(auth.as_deref(), Some("Basic YWdlbnQ6c2VjcmV0"));
        assert_eq!(ctype.as_deref(), Some("application/x-www-form-urlencoded"));
    }

    #[test]
    fn plain_http_token_endpoint_is_refused() {
        assert!(matches!(
            TokenEndpoint::new("http://as.example/token", ClientAuth::public("a")),
            Err(TokenError::Transport(HttpError::Url(_)))
        ));
    }
}
