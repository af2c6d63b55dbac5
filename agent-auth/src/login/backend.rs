//! How the login client reaches a provider: one trait, an HTTP implementation
//! here and an in-memory one that calls a reference authority directly.

use super::ClientError;
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
}

/// The HTTP backend (reqwest with rustls): https, or http on loopback only.
#[derive(Debug, Clone)]
pub struct HttpBackend {
    client: reqwest::Client,
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
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|_| ClientError::Transport("HTTP client unavailable".into()))?;
        Ok(Self {
            client,
            jwks_config: crate::jwks::RemoteJwksConfig::default(),
            clock,
        })
    }

    /// Settings of the JWKS cache (cooldown between refetches on unknown `kid`).
    #[must_use]
    pub fn jwks_config(mut self, config: crate::jwks::RemoteJwksConfig) -> Self {
        self.jwks_config = config;
        self
    }

    async fn read(response: reqwest::Response) -> Result<BackendResponse, ClientError> {
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| ClientError::Transport("reading the response failed".into()))?;
        let body = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|_| ClientError::Transport(format!("response ({status}) is not JSON")))?
        };
        Ok(BackendResponse { status, body })
    }
}

/// Only https, or http to a loopback address (for tests and local development).
fn check_url(url: &str) -> Result<(), ClientError> {
    let parsed = url::Url::parse(url).map_err(|_| ClientError::Config("not a URL"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(ClientError::Config(
            "provider URLs must be https (http only on loopback)",
        )),
    }
}

#[async_trait::async_trait]
impl LoginBackend for HttpBackend {
    async fn get_json(
        &self,
        url: &str,
        bearer: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        check_url(url)?;
        let mut request = self.client.get(url).header("accept", "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token.expose_secret());
        }
        let response = request
            .send()
            .await
            .map_err(|_| ClientError::Transport("request failed".into()))?;
        Self::read(response).await
    }

    async fn post_form(
        &self,
        url: &str,
        form: &[(String, SecretString)],
        authorization: Option<&SecretString>,
    ) -> Result<BackendResponse, ClientError> {
        check_url(url)?;
        let body = {
            let mut body = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in form {
                body.append_pair(k, v.expose_secret());
            }
            zeroize::Zeroizing::new(body.finish())
        };
        let mut request = self
            .client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body.as_str().to_owned());
        if let Some(auth) = authorization {
            request = request.header("authorization", auth.expose_secret());
        }
        let response = request
            .send()
            .await
            .map_err(|_| ClientError::Transport("request failed".into()))?;
        Self::read(response).await
    }

    fn key_source(&self, jwks_uri: &str) -> Result<Arc<dyn KeySource>, ClientError> {
        let jwks = crate::jwks::RemoteJwks::with_config(
            jwks_uri,
            self.jwks_config.clone(),
            self.clock.clone(),
        )
        .map_err(|_| ClientError::Discovery("jwks_uri must be https (http only on loopback)"))?;
        Ok(Arc::new(jwks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://idp.example/token").is_ok());
        assert!(check_url("http://127.0.0.1:8080/token").is_ok());
        assert!(check_url("http://localhost/token").is_ok());
        assert!(check_url("http://[::1]:1/token").is_ok());
        assert!(check_url("http://idp.example/token").is_err());
        assert!(check_url("ftp://idp.example/").is_err());
        assert!(check_url("not a url").is_err());
    }
}
