//! Stream management with a transmitter (SSF 1.0 sections 7 and 8): read
//! its configuration at `/.well-known/ssf-configuration`, create a stream
//! with push or poll delivery and the events asked for, and request a
//! verification event.

use super::SetReceiver;
use crate::clock::SharedClock;
use crate::jwks::{RemoteJwks, RemoteJwksConfig};
use crate::oauth::metadata::{first_document, path_inserted};
use crate::oauth::{DiscoveryError, HttpClient, HttpError, HttpRequest, check_url};
use crate::secret::SecretString;
use crate::validate::{SecurityEvent, Validator};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// RFC 8935 push delivery, as SSF 1.0 section 6.1.1 names it.
pub const PUSH_DELIVERY: &str = "urn:ietf:rfc:8935";
/// RFC 8936 poll delivery, as SSF 1.0 section 6.1.2 names it.
pub const POLL_DELIVERY: &str = "urn:ietf:rfc:8936";

/// Largest stream configuration read.
const MAX_DOCUMENT: usize = 64 * 1024;

/// Why talking to the transmitter failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The configuration could not be read, or names another issuer.
    #[error("transmitter configuration: {0}")]
    Discovery(#[source] DiscoveryError),
    /// A request failed or was answered with an error status.
    #[error("transmitter request failed: {0}")]
    Http(#[source] HttpError),
    /// The transmitter offers no such endpoint or delivery method.
    #[error("the transmitter does not support {0}")]
    Unsupported(&'static str),
    /// An answer is not what SSF 1.0 defines.
    #[error("invalid transmitter answer: {0}")]
    InvalidAnswer(&'static str),
    /// Randomness for the verification `state` is unavailable.
    #[error("randomness unavailable")]
    Randomness,
}

/// A transmitter's configuration metadata (SSF 1.0 section 7.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TransmitterConfig {
    /// The transmitter's issuer: the `iss` of its SETs.
    pub issuer: String,
    /// Where its SET signing keys are.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Delivery method URIs it supports.
    #[serde(default)]
    pub delivery_methods_supported: Vec<String>,
    /// Where streams are created, read, updated and deleted.
    #[serde(default)]
    pub configuration_endpoint: Option<String>,
    /// Where verification events are requested.
    #[serde(default)]
    pub verification_endpoint: Option<String>,
    /// Where a stream's status is read and changed.
    #[serde(default)]
    pub status_endpoint: Option<String>,
    /// Every other member.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TransmitterConfig {
    /// Reads a configuration document and checks that its `issuer` is
    /// exactly `issuer` (SSF 1.0 section 7.2.2: the issuer in the document
    /// MUST be identical to the one the configuration was retrieved for).
    pub fn from_json(document: Value, issuer: &str) -> Result<Self, StreamError> {
        let config: Self = serde_json::from_value(document).map_err(|_| {
            StreamError::Discovery(DiscoveryError::InvalidDocument("SSF configuration"))
        })?;
        if config.issuer != issuer {
            return Err(StreamError::Discovery(DiscoveryError::IssuerMismatch));
        }
        Ok(config)
    }

    /// Fetches the configuration of `issuer` from
    /// `/.well-known/ssf-configuration`, inserted before the issuer's path
    /// (SSF 1.0 section 7.2.1), and checks its `issuer`.
    pub async fn discover(http: &HttpClient, issuer: &str) -> Result<Self, StreamError> {
        let url =
            check_url(issuer).map_err(|_| StreamError::Discovery(DiscoveryError::InsecureUrl))?;
        let location = path_inserted(&url, "ssf-configuration");
        let document = first_document(http, &[location], "SSF configuration")
            .await
            .map_err(StreamError::Discovery)?;
        Self::from_json(document, issuer)
    }

    /// A validator of this transmitter's SETs for `audience`, trusting the
    /// keys at its `jwks_uri`.
    pub fn validator(
        &self,
        http: HttpClient,
        audience: &str,
        clock: SharedClock,
    ) -> Result<Validator<SecurityEvent>, StreamError> {
        let jwks_uri = self
            .jwks_uri
            .as_deref()
            .ok_or(StreamError::Unsupported("jwks_uri"))?;
        let keys =
            RemoteJwks::with_http(jwks_uri, RemoteJwksConfig::default(), clock.clone(), http)
                .map_err(|_| StreamError::Discovery(DiscoveryError::InsecureUrl))?;
        Ok(Validator::<SecurityEvent>::builder(keys)
            .issuer(self.issuer.clone())
            .audience(audience)
            .clock(clock)
            .build())
    }
}

/// How SETs reach the receiver.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Delivery {
    /// RFC 8935 push to `endpoint_url`, with `authorization` as the
    /// `Authorization` header value (SSF 1.0 section 8.1.1
    /// `authorization_header`).
    Push {
        /// The receiver's push endpoint.
        endpoint_url: String,
        /// The header value the transmitter sends with each push.
        authorization: SecretString,
    },
    /// RFC 8936 poll at the endpoint the transmitter gives.
    Poll,
}

/// A created stream (SSF 1.0 section 8.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stream {
    /// The stream's id.
    pub stream_id: String,
    /// The audience of its SETs.
    pub aud: Vec<String>,
    /// Event types the transmitter will deliver.
    pub events_delivered: Vec<String>,
    /// The delivery method.
    pub delivery_method: String,
    /// For poll delivery, where to poll.
    pub poll_endpoint: Option<String>,
}

/// Manages streams at one transmitter as one receiver.
///
/// ```no_run
/// # async fn demo(receiver: agent_auth::signals::SetReceiver) -> Result<(), Box<dyn std::error::Error>> {
/// use agent_auth::oauth::HttpClient;
/// use agent_auth::secret::SecretString;
/// use agent_auth::signals::{Delivery, StreamClient, TransmitterConfig};
/// let http = HttpClient::new()?;
/// let config = TransmitterConfig::discover(&http, "https://ssf.example").await?;
/// let client = StreamClient::new(http, config, SecretString::new("Bearer receiver-access-token"));
/// let stream = client.create_stream(Delivery::Poll, &receiver, Some("mcp guard")).await?;
/// let state = client.request_verification(&stream, &receiver).await?;
/// // ... poll; then `receiver.is_verified(&state)`.
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StreamClient {
    http: HttpClient,
    config: TransmitterConfig,
    authorization: SecretString,
}

impl StreamClient {
    /// A client of the transmitter `config`, sending `authorization` (the
    /// receiver's credential, SSF 1.0 section 8.1) as the `Authorization`
    /// header value.
    pub fn new(http: HttpClient, config: TransmitterConfig, authorization: SecretString) -> Self {
        Self {
            http,
            config,
            authorization,
        }
    }

    /// The transmitter's configuration.
    pub fn config(&self) -> &TransmitterConfig {
        &self.config
    }

    async fn post(&self, url: &str, body: &Value) -> Result<Option<Value>, StreamError> {
        let request = HttpRequest::post_json(url, body)
            .map_err(StreamError::Http)?
            .secret_header("authorization", self.authorization.clone())
            .limit_body(MAX_DOCUMENT);
        let response = self
            .http
            .send_ok(request)
            .await
            .map_err(StreamError::Http)?;
        if response.body().is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|_| StreamError::InvalidAnswer("not JSON"))
    }

    /// Creates a stream delivering the events `receiver` asks for (SSF 1.0
    /// section 8.1.1.1), by `delivery`.
    pub async fn create_stream(
        &self,
        delivery: Delivery,
        receiver: &SetReceiver,
        description: Option<&str>,
    ) -> Result<Stream, StreamError> {
        let endpoint = self
            .config
            .configuration_endpoint
            .as_deref()
            .ok_or(StreamError::Unsupported("stream configuration"))?;
        let (method, delivery_json) = match &delivery {
            Delivery::Push {
                endpoint_url,
                authorization,
            } => (
                PUSH_DELIVERY,
                json!({
                    "method": PUSH_DELIVERY,
                    "endpoint_url": endpoint_url,
                    "authorization_header": authorization.expose_secret(),
                }),
            ),
            Delivery::Poll => (POLL_DELIVERY, json!({"method": POLL_DELIVERY})),
        };
        if !self
            .config
            .delivery_methods_supported
            .iter()
            .any(|m| m == method)
        {
            return Err(StreamError::Unsupported("this delivery method"));
        }
        let mut body = json!({
            "delivery": delivery_json,
            "events_requested": receiver.requested_event_types(),
        });
        if let (Some(d), Some(obj)) = (description, body.as_object_mut()) {
            obj.insert("description".into(), d.into());
        }
        let answer = self
            .post(endpoint, &body)
            .await?
            .ok_or(StreamError::InvalidAnswer("no stream configuration"))?;
        stream_from(&answer, method)
    }

    /// Asks for a verification event on `stream` (SSF 1.0 section 8.1.4.1)
    /// with a fresh `state` that `receiver` remembers; returns the state, for
    /// [`SetReceiver::is_verified`] once the event arrived.
    pub async fn request_verification(
        &self,
        stream: &Stream,
        receiver: &SetReceiver,
    ) -> Result<String, StreamError> {
        let endpoint = self
            .config
            .verification_endpoint
            .as_deref()
            .ok_or(StreamError::Unsupported("verification"))?;
        let state = receiver
            .expect_verification()
            .ok_or(StreamError::Randomness)?;
        self.post(
            endpoint,
            &json!({"stream_id": stream.stream_id, "state": state}),
        )
        .await?;
        Ok(state)
    }
}

/// Reads a stream configuration answer.
fn stream_from(answer: &Value, method: &str) -> Result<Stream, StreamError> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let stream_id = text(answer.get("stream_id"))
        .filter(|s| !s.is_empty())
        .ok_or(StreamError::InvalidAnswer("`stream_id` is missing"))?;
    let aud = match answer.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| text(Some(v))).collect(),
        _ => Vec::new(),
    };
    let events_delivered = match answer.get("events_delivered") {
        Some(Value::Array(e)) => e.iter().filter_map(|v| text(Some(v))).collect(),
        _ => Vec::new(),
    };
    let delivery = answer.get("delivery");
    let delivery_method =
        text(delivery.and_then(|d| d.get("method"))).unwrap_or_else(|| method.to_owned());
    if delivery_method != method {
        return Err(StreamError::InvalidAnswer("another delivery method"));
    }
    let poll_endpoint =
        text(delivery.and_then(|d| d.get("endpoint_url"))).filter(|_| method == POLL_DELIVERY);
    if method == POLL_DELIVERY && poll_endpoint.is_none() {
        return Err(StreamError::InvalidAnswer(
            "poll delivery without `endpoint_url`",
        ));
    }
    Ok(Stream {
        stream_id,
        aud,
        events_delivered,
        delivery_method,
        poll_endpoint,
    })
}
