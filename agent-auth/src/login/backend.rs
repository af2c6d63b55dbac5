//! How the login client reaches a provider: one trait, an HTTP implementation
//! here and an in-memory one that calls a reference authority directly.

use super::ClientError;
use crate::oauth::{Form, HttpClient, HttpRequest};
use crate::secret::SecretString;
use crate::validate::KeySource;
use std::sync::Arc;

/// A response: status and JSON body (`Null` for an empty body).
#[derive(Debug, Clone, PartialEq)]
pub struct BackendResponse {
    /// HTTP status (200 for success of an in-memory call).
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// A transport to an OpenID provider.
#[async_trait::async_trait]
pub trait LoginBackend: Send + Sync + std::fmt::Debug {
    /// GET a JSON document, optionally with a bearer token.
    async fn get_json(
        &self,
        url: &str,
        bearer: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError>;

    /// POST a form (token, revocation, introspection endpoints), with an
    /// optional `Authorization` header value.
    async fn post_form(
        &self,
        url: &str,
        form: &[(String, SecretString)],
        authorization: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError>;

    /// The key source for ID tokens signed by the keys at `jwks_uri`.
    fn key_source(&self, jwks_uri: &str) -> Result<Arc<dyn KeySource>, ClientError>;

    /// POST a form to a token endpoint with a DPoP proof (RFC 9449 section
    /// 5); returns the answer and its `DPoP-Nonce` (section 8). Backends that
    /// cannot send a proof refuse, so a client set up for DPoP never silently
    /// gets bearer tokens.
    async fn post_form_dpop(
        &self,
        _url: &str,
        _form: &[(String, SecretString)],
        _authorization: Option<&SecretString>,
        _proof: &SecretString,
    ) -> Result<(BackendResponse, Option<String>), ClientError> {
        Err(ClientError::Config(
            "this login backend cannot send DPoP proofs",
        ))
    }

    /// GET a JSON document with a DPoP-bound access token (RFC 9449 section
    /// 7.1: `Authorization: DPoP` and a proof with `ath`); returns the answer
    /// and its `DPoP-Nonce`. Backends that cannot send a proof refuse.
    async fn get_json_dpop(
        &self,
        _url: &str,
        _token: &SecretString,
        _proof: &SecretString,
    ) -> Result<(BackendResponse, Option<String>), ClientError> {
        Err(ClientError::Config(
            "this login backend cannot send DPoP proofs",
        ))
    }
}

/// The HTTP backend: every request goes through the OAuth core's
/// [`HttpClient`] (https, or http on loopback only; no redirects; a timeout;
/// a body cap).
#[derive(Debug, Clone)]
pub struct HttpBackend {
    http: HttpClient,
    jwks_config: crate::jwks::RemoteJwksConfig,
    clock: crate::clock::SharedClock,
}

impl HttpBackend {
    /// A backend with default settings and the system clock.
    pub fn new() -> Result<Self, ClientError> {
        Self::with_clock(crate::clock::system_clock())
    }

    /// A backend whose JWKS cache uses `clock`.
    pub fn with_clock(clock: crate::clock::SharedClock) -> Result<Self, ClientError> {
        Ok(Self::with_http(HttpClient::new()?, clock))
    }

    /// A backend sending through `http` (your own transport, or a
    /// `reqwest::Client` with a proxy, CA roots or a client certificate).
    pub fn with_http(http: HttpClient, clock: crate::clock::SharedClock) -> Self {
        Self {
            http,
            jwks_config: crate::jwks::RemoteJwksConfig::default(),
            clock,
        }
    }

    /// Settings of the JWKS cache (cooldown between refetches on unknown `kid`).
    #[must_use]
    pub fn jwks_config(mut self, config: crate::jwks::RemoteJwksConfig) -> Self {
        self.jwks_config = config;
        self
    }

    async fn send(&self, request: HttpRequest) -> Result<BackendResponse, ClientError> {
        Ok(self.send_reading_nonce(request).await?.0)
    }

    /// Sends `request`; the answer and its `DPoP-Nonce` header.
    async fn send_reading_nonce(
        &self,
        request: HttpRequest,
    ) -> Result<(BackendResponse, Option<String>), ClientError> {
        let response = self.http.send(request).await?;
        let nonce = response
            .header(crate::dpop::DPOP_NONCE_HEADER)
            .map(str::to_owned);
        let status = response.status();
        let body = if response.body().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(response.body())
                .map_err(|_| ClientError::Transport(format!("response ({status}) is not JSON")))?
        };
        Ok((BackendResponse { status, body }, nonce))
    }
}

#[async_trait::async_trait]
impl LoginBackend for HttpBackend {
    async fn get_json(
        &self,
        url: &str,
        bearer: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        let mut request = HttpRequest::get(url, "application/json")?;
        if let Some(token) = bearer {
            request = request.secret_header(
                "authorization",
                SecretString::new(format!("Bearer {}", token.expose_secret())),
            );
        }
        self.send(request).await
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(String, SecretString)],
        authorization: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        let mut request = HttpRequest::post_form(url, &Form::from(form))?;
        if let Some(auth) = authorization {
            request = request.secret_header("authorization", auth.clone());
        }
        self.send(request).await
    }

    async fn post_form_dpop(
        &self,
        url: &str,
        form: &[(String, SecretString)],
        authorization: Option<&SecretString>,
        proof: &SecretString,
    ) -> Result<(BackendResponse, Option<String>), ClientError> {
        let mut request = HttpRequest::post_form(url, &Form::from(form))?;
        if let Some(auth) = authorization {
            request = request.secret_header("authorization", auth.clone());
        }
        request = request.secret_header("dpop", proof.clone());
        self.send_reading_nonce(request).await
    }

    async fn get_json_dpop(
        &self,
        url: &str,
        token: &SecretString,
        proof: &SecretString,
    ) -> Result<(BackendResponse, Option<String>), ClientError> {
        let request = HttpRequest::get(url, "application/json")?
            .secret_header(
                "authorization",
                SecretString::new(format!("DPoP {}", token.expose_secret())),
            )
            .secret_header("dpop", proof.clone());
        self.send_reading_nonce(request).await
    }

    fn key_source(&self, jwks_uri: &str) -> Result<Arc<dyn KeySource>, ClientError> {
        let jwks = crate::jwks::RemoteJwks::with_http(
            jwks_uri,
            self.jwks_config.clone(),
            self.clock.clone(),
            self.http.clone(),
        )
        .map_err(|_| ClientError::Discovery("jwks_uri must be https (http only on loopback)"))?;
        Ok(Arc::new(jwks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::HttpResponse;

    fn backend() -> HttpBackend {
        let http = HttpClient::with_transport(|_req: HttpRequest| async {
            Ok(HttpResponse::json(200, &serde_json::json!({"ok": true})))
        });
        HttpBackend::with_http(http, crate::clock::system_clock())
    }

    #[tokio::test]
    async fn only_https_or_loopback_http() {
        let b = backend();
        for good in [
            "https://idp.example/token",
            "http://127.0.0.1:8080/token",
            "http://localhost/token",
            "http://LOCALHOST/token",
            "http://[::1]:1/token",
        ] {
            assert!(b.get_json(good, None).await.is_ok(), "{good}");
        }
        for bad in [
            "http://idp.example/token",
            "ftp://idp.example/",
            "not a url",
        ] {
            assert_eq!(
                b.get_json(bad, None).await,
                Err(ClientError::Config(
                    "provider URLs must be https (http only on loopback)"
                )),
                "{bad}"
            );
        }
    }
}
