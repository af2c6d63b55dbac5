//! The client side of the device authorization grant (RFC 8628): ask for a
//! device code and a user code (section 3.1), show the user code through a
//! callback, then poll the token endpoint (section 3.4), honouring `interval`
//! and `slow_down` (section 3.5). Waiting goes through a [`Sleeper`], so
//! tests advance a manual clock instead of sleeping.

use super::{
    ClientAuthError, Form, HttpClient, HttpRequest, TokenEndpoint, TokenError, TokenResponse,
};
use crate::secret::SecretString;
use std::sync::Arc;

/// The grant type of the polling token request (RFC 8628 section 3.4).
pub const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 section 3.2: the default polling interval, in seconds.
const DEFAULT_INTERVAL: u64 = 5;
/// RFC 8628 section 3.5: what `slow_down` adds to the interval.
const SLOW_DOWN_STEP: u64 = 5;

/// Waits between polls.
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Returns after `seconds`.
    async fn sleep(&self, seconds: u64);
}

/// Sleeps on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, seconds: u64) {
        tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    }
}

/// The device authorization response (RFC 8628 section 3.2).
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// The device code (secret: never shown).
    pub device_code: SecretString,
    /// The code the user types.
    pub user_code: String,
    /// Where the user goes.
    pub verification_uri: String,
    /// The same with the user code in it, if the server gives one.
    pub verification_uri_complete: Option<String>,
    /// Lifetime of the codes, in seconds.
    pub expires_in: u64,
    /// The minimum polling interval, in seconds.
    pub interval: u64,
}

/// Why the device flow failed. Messages never contain a code or token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceFlowError {
    /// The device authorization or token request failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The device authorization response lacks a required member (RFC 8628 section 3.2).
    #[error("invalid device authorization response: missing `{0}`")]
    InvalidResponse(&'static str),
    /// The user denied (RFC 8628 section 3.5 `access_denied`).
    #[error("the user denied the request")]
    Denied,
    /// The codes expired before the user decided (`expired_token`).
    #[error("the device code expired")]
    Expired,
}

/// A device flow client: the device authorization endpoint and the token
/// endpoint (whose client authentication and DPoP signer it reuses).
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    device_endpoint: String,
    token: TokenEndpoint,
    sleeper: Arc<dyn Sleeper>,
}

impl DeviceFlow {
    /// A client for `device_endpoint` (the metadata's
    /// `device_authorization_endpoint`) and `token`.
    pub fn new(device_endpoint: impl Into<String>, token: TokenEndpoint) -> Self {
        Self {
            device_endpoint: device_endpoint.into(),
            token,
            sleeper: Arc::new(TokioSleeper),
        }
    }

    /// Waits with `sleeper` instead of the tokio timer.
    #[must_use]
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Asks for codes (RFC 8628 section 3.1), authenticating as at the token endpoint.
    pub async fn start(&self, extra: Form) -> Result<DeviceAuthorization, DeviceFlowError> {
        let mut params = extra;
        let authorization = self
            .token
            .auth()
            .apply(&mut params, self.token.url(), self.token.now())
            .map_err(|e: ClientAuthError| DeviceFlowError::Token(e.into()))?;
        let mut request = HttpRequest::post_form(&self.device_endpoint, &params)
            .map_err(|e| DeviceFlowError::Token(e.into()))?;
        if let Some(value) = authorization {
            request = request.secret_header("authorization", value);
        }
        let http: &HttpClient = self.token.http();
        let host = request.host();
        let response = http
            .send(request)
            .await
            .map_err(|e| DeviceFlowError::Token(e.into()))?;
        let body = response.json_body();
        if !(200..300).contains(&response.status()) {
            return Err(
                TokenError::check_response(&host, response.status(), body.as_ref())
                    .err()
                    .unwrap_or(TokenError::InvalidResponse("unexpected status"))
                    .into(),
            );
        }
        parse(&body.unwrap_or_default())
    }

    /// Polls until the user decides (RFC 8628 sections 3.4 and 3.5): waits
    /// `interval` before each poll, adds 5 seconds on `slow_down`, keeps going
    /// on `authorization_pending`, stops on anything else.
    pub async fn poll(&self, auth: &DeviceAuthorization) -> Result<TokenResponse, DeviceFlowError> {
        let mut interval = auth.interval;
        let mut waited = 0u64;
        loop {
            if waited >= auth.expires_in {
                return Err(DeviceFlowError::Expired);
            }
            self.sleeper.sleep(interval).await;
            waited = waited.saturating_add(interval);
            let mut form = Form::new().with("grant_type", DEVICE_CODE_GRANT_TYPE);
            form.push_secret("device_code", auth.device_code.clone());
            match self.token.request(form).await {
                Ok(tokens) => return Ok(tokens),
                Err(e) => match e.oauth_code() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => interval = interval.saturating_add(SLOW_DOWN_STEP),
                    Some("access_denied") => return Err(DeviceFlowError::Denied),
                    Some("expired_token") => return Err(DeviceFlowError::Expired),
                    _ => return Err(e.into()),
                },
            }
        }
    }

    /// The whole flow: codes, `show` (print the user code, draw a QR code
    /// of `verification_uri_complete`), then polling.
    pub async fn run(
        &self,
        extra: Form,
        show: impl FnOnce(&DeviceAuthorization),
    ) -> Result<TokenResponse, DeviceFlowError> {
        let auth = self.start(extra).await?;
        show(&auth);
        self.poll(&auth).await
    }
}

fn parse(body: &serde_json::Value) -> Result<DeviceAuthorization, DeviceFlowError> {
    let text = |k: &'static str| {
        body.get(k)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let number = |k: &'static str| body.get(k).and_then(serde_json::Value::as_u64);
    Ok(DeviceAuthorization {
        device_code: SecretString::new(
            text("device_code").ok_or(DeviceFlowError::InvalidResponse("device_code"))?,
        ),
        user_code: text("user_code").ok_or(DeviceFlowError::InvalidResponse("user_code"))?,
        verification_uri: text("verification_uri")
            .ok_or(DeviceFlowError::InvalidResponse("verification_uri"))?,
        verification_uri_complete: text("verification_uri_complete"),
        expires_in: number("expires_in").ok_or(DeviceFlowError::InvalidResponse("expires_in"))?,
        interval: number("interval").unwrap_or(DEFAULT_INTERVAL).max(1),
    })
}
