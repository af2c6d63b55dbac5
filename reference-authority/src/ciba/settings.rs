//! A client's CIBA registration (CIBA Core 1.0 section 4): delivery mode,
//! notification endpoint, signed requests and user codes.

use crate::AuthorityError;
use agent_auth::jose::Algorithm;
use agent_auth::validate::StaticKeys;
use ciba_client::DeliveryMode;
use serde::{Deserialize, Serialize};

/// A client's CIBA registration (CIBA Core 1.0 section 4).
///
/// ```
/// use reference_authority::ciba::ClientSettings;
/// let settings = ClientSettings::ping("https://agent.example/ciba/notify")
///     .require_signed_requests()
///     .user_code();
/// # let _ = settings;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientSettings {
    /// `backchannel_token_delivery_mode`.
    pub mode: DeliveryMode,
    /// `backchannel_client_notification_endpoint` (ping and push).
    pub notification_endpoint: Option<String>,
    /// Only signed authentication requests are accepted (CIBA Core 1.0
    /// section 7.1.1); plain ones are refused.
    #[serde(default)]
    pub require_signed_request: bool,
    /// `backchannel_authentication_request_signing_alg`: when set, request
    /// objects must be signed with this algorithm (CIBA Core 1.0 section 4).
    #[serde(default)]
    pub request_signing_alg: Option<String>,
    /// The JWK Set (JSON) verifying the client's request objects, for clients
    /// that authenticate with a secret. `private_key_jwt` clients' registered
    /// keys are used when this is absent.
    #[serde(default)]
    pub request_jwks: Option<String>,
    /// `backchannel_user_code_parameter`: the client sends the person's
    /// `user_code`, and the OP requires it (CIBA Core 1.0 sections 4 and 7.1).
    #[serde(default)]
    pub user_code: bool,
}

impl ClientSettings {
    fn new(mode: DeliveryMode, endpoint: Option<String>) -> Self {
        Self {
            mode,
            notification_endpoint: endpoint,
            require_signed_request: false,
            request_signing_alg: None,
            request_jwks: None,
            user_code: false,
        }
    }

    /// Poll mode.
    pub fn poll() -> Self {
        Self::new(DeliveryMode::Poll, None)
    }

    /// Ping mode, notified at `endpoint`.
    pub fn ping(endpoint: impl Into<String>) -> Self {
        Self::new(DeliveryMode::Ping, Some(endpoint.into()))
    }

    /// Push mode, tokens delivered to `endpoint`.
    pub fn push(endpoint: impl Into<String>) -> Self {
        Self::new(DeliveryMode::Push, Some(endpoint.into()))
    }

    /// `mode` with an optional endpoint (checked at registration).
    pub fn with_mode(mode: DeliveryMode, endpoint: Option<&str>) -> Self {
        Self::new(mode, endpoint.map(str::to_owned))
    }

    /// Refuses unsigned authentication requests from this client.
    #[must_use]
    pub fn require_signed_requests(mut self) -> Self {
        self.require_signed_request = true;
        self
    }

    /// Registers the algorithm the client signs request objects with; requires
    /// signed requests.
    #[must_use]
    pub fn request_signing_alg(mut self, alg: Algorithm) -> Self {
        self.request_signing_alg = Some(alg.name().to_owned());
        self.require_signed_request = true;
        self
    }

    /// The public JWK Set (JSON) that verifies the client's request objects.
    #[must_use]
    pub fn request_jwks(mut self, jwks: impl Into<String>) -> Self {
        self.request_jwks = Some(jwks.into());
        self
    }

    /// Requires a `user_code` with every request of this client.
    #[must_use]
    pub fn user_code(mut self) -> Self {
        self.user_code = true;
        self
    }

    /// The registered request-object algorithm, if any.
    pub(crate) fn signing_alg(&self) -> Option<Algorithm> {
        self.request_signing_alg
            .as_deref()
            .and_then(Algorithm::from_name)
    }

    /// Checks the registration: an endpoint for ping and push (https, or http
    /// to loopback), none kept for poll, a usable JWK Set, an asymmetric
    /// algorithm (CIBA Core 1.0 section 4: `none` and shared secrets are out).
    pub(crate) fn checked(mut self) -> Result<Self, AuthorityError> {
        match (self.mode, self.notification_endpoint.as_deref()) {
            (DeliveryMode::Poll, _) => self.notification_endpoint = None,
            (_, None) => {
                return Err(AuthorityError::InvalidConfig(
                    "ping and push need a notification endpoint".into(),
                ));
            }
            (_, Some(url)) => check_endpoint(url)?,
        }
        if let Some(name) = &self.request_signing_alg {
            match Algorithm::from_name(name) {
                Some(alg) if !alg.is_symmetric() => {}
                _ => {
                    return Err(AuthorityError::InvalidConfig(
                        "the request signing algorithm must be an asymmetric one".into(),
                    ));
                }
            }
        }
        if let Some(jwks) = &self.request_jwks {
            StaticKeys::from_jwks(jwks.as_bytes()).map_err(|_| {
                AuthorityError::InvalidConfig("the request-object JWK Set is unusable".into())
            })?;
        }
        Ok(self)
    }
}

/// CIBA Core 1.0 section 4: the notification endpoint MUST be https. Loopback
/// http is accepted for tests.
fn check_endpoint(url: &str) -> Result<(), AuthorityError> {
    let parsed = url::Url::parse(url).map_err(|_| {
        AuthorityError::InvalidConfig("the notification endpoint is not a URL".into())
    })?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(AuthorityError::InvalidConfig(
            "the notification endpoint must be https".into(),
        ))
    }
}
