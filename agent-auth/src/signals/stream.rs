//! Stream management with a transmitter (SSF 1.0 sections 7 and 8): read
//! its configuration at `/.well-known/ssf-configuration`, create a stream
//! with push or poll delivery and the events asked for, and request a
//! verification event.

use super::{SetReceiver, StreamStatus};
use crate::clock::SharedClock;
use crate::jwks::{RemoteJwks, RemoteJwksConfig};
use crate::oauth::metadata::{first_document, path_inserted};
use crate::oauth::{DiscoveryError, HttpClient, HttpError, HttpRequest, Method, check_url};
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

/// A stream's status as the transmitter reports it (SSF 1.0 section 8.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamState {
    /// The status.
    pub status: StreamStatus,
    /// Why, when the transmitter says.
    pub reason: Option<String>,
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
        let request = HttpRequest::post_json(url, body).map_err(StreamError::Http)?;
        self.send(request).await
    }

    async fn send(&self, request: HttpRequest) -> Result<Option<Value>, StreamError> {
        let request = request
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
        let (method, body) = self.stream_body(&delivery, receiver, description)?;
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

    /// The method and the receiver-supplied body of a create or replace.
    fn stream_body(
        &self,
        delivery: &Delivery,
        receiver: &SetReceiver,
        description: Option<&str>,
    ) -> Result<(&'static str, Value), StreamError> {
        let (method, delivery_json) = match delivery {
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
        Ok((method, body))
    }

    fn endpoint(&self, which: &'static str) -> Result<&str, StreamError> {
        let url = match which {
            "stream configuration" => self.config.configuration_endpoint.as_deref(),
            _ => self.config.status_endpoint.as_deref(),
        };
        url.ok_or(StreamError::Unsupported(which))
    }

    /// `endpoint?stream_id=<id>`.
    fn with_stream_id(endpoint: &str, stream_id: &str) -> Result<String, StreamError> {
        let mut url = check_url(endpoint).map_err(|e| StreamError::Http(HttpError::Url(e)))?;
        url.query_pairs_mut().append_pair("stream_id", stream_id);
        Ok(url.into())
    }

    async fn configuration_answer(&self, request: HttpRequest) -> Result<Stream, StreamError> {
        let answer = self
            .send(request)
            .await?
            .ok_or(StreamError::InvalidAnswer("no stream configuration"))?;
        let method = answer
            .get("delivery")
            .and_then(|d| d.get("method"))
            .and_then(Value::as_str)
            .unwrap_or(POLL_DELIVERY)
            .to_owned();
        stream_from(&answer, &method)
    }

    /// Reads one stream's configuration (SSF 1.0 section 8.1.1.2).
    pub async fn read_stream(&self, stream_id: &str) -> Result<Stream, StreamError> {
        let url = Self::with_stream_id(self.endpoint("stream configuration")?, stream_id)?;
        let request = HttpRequest::get(&url, "application/json").map_err(StreamError::Http)?;
        self.configuration_answer(request).await
    }

    /// Changes the events asked for and the description of a stream, leaving
    /// the rest as it is (PATCH, SSF 1.0 section 8.1.1.3); `None` leaves a
    /// property unchanged.
    pub async fn update_stream(
        &self,
        stream_id: &str,
        events_requested: Option<&[String]>,
        description: Option<&str>,
    ) -> Result<Stream, StreamError> {
        let mut body = Map::new();
        body.insert("stream_id".into(), stream_id.into());
        if let Some(e) = events_requested {
            body.insert("events_requested".into(), e.to_vec().into());
        }
        if let Some(d) = description {
            body.insert("description".into(), d.into());
        }
        let endpoint = self.endpoint("stream configuration")?;
        let request = HttpRequest::json(Method::Patch, endpoint, &Value::Object(body))
            .map_err(StreamError::Http)?;
        self.configuration_answer(request).await
    }

    /// Replaces a stream's receiver-supplied configuration with `delivery`,
    /// the events `receiver` asks for and `description` (PUT, SSF 1.0 section
    /// 8.1.1.4: what is left out is removed).
    pub async fn replace_stream(
        &self,
        stream_id: &str,
        delivery: Delivery,
        receiver: &SetReceiver,
        description: Option<&str>,
    ) -> Result<Stream, StreamError> {
        let (_, mut body) = self.stream_body(&delivery, receiver, description)?;
        if let Some(obj) = body.as_object_mut() {
            obj.insert("stream_id".into(), stream_id.into());
        }
        let endpoint = self.endpoint("stream configuration")?;
        let request = HttpRequest::json(Method::Put, endpoint, &body).map_err(StreamError::Http)?;
        self.configuration_answer(request).await
    }

    /// Deletes a stream (SSF 1.0 section 8.1.1.5): the transmitter sends it
    /// nothing more.
    pub async fn delete_stream(&self, stream_id: &str) -> Result<(), StreamError> {
        let url = Self::with_stream_id(self.endpoint("stream configuration")?, stream_id)?;
        let request = HttpRequest::delete(&url).map_err(StreamError::Http)?;
        self.send(request).await.map(|_| ())
    }

    /// Reads a stream's status (SSF 1.0 section 8.1.2.1).
    pub async fn stream_status(&self, stream_id: &str) -> Result<StreamState, StreamError> {
        let url = Self::with_stream_id(self.endpoint("stream status")?, stream_id)?;
        let request = HttpRequest::get(&url, "application/json").map_err(StreamError::Http)?;
        state_from(self.send(request).await?)
    }

    /// Enables, pauses or disables a stream, with an optional `reason` (SSF
    /// 1.0 section 8.1.2.2); returns the status the transmitter reports.
    pub async fn set_stream_status(
        &self,
        stream_id: &str,
        status: StreamStatus,
        reason: Option<&str>,
    ) -> Result<StreamState, StreamError> {
        let mut body = json!({"stream_id": stream_id, "status": status.as_str()});
        if let (Some(r), Some(obj)) = (reason, body.as_object_mut()) {
            obj.insert("reason".into(), r.into());
        }
        let endpoint = self.endpoint("stream status")?;
        state_from(self.post(endpoint, &body).await?)
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

/// Reads a status answer.
fn state_from(answer: Option<Value>) -> Result<StreamState, StreamError> {
    let answer = answer.ok_or(StreamError::InvalidAnswer("no stream status"))?;
    let status = answer
        .get("status")
        .and_then(Value::as_str)
        .and_then(StreamStatus::parse)
        .ok_or(StreamError::InvalidAnswer(
            "`status` is not enabled, paused or disabled",
        ))?;
    let reason = answer
        .get("reason")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(StreamState { status, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_answers_that_are_not_ssf_are_refused_with_a_typed_error() {
        for bad in [
            None,
            Some(json!({})),
            Some(json!({"status": "sleeping"})),
            Some(json!({"status": 1})),
            Some(json!(["enabled"])),
        ] {
            assert!(
                matches!(state_from(bad.clone()), Err(StreamError::InvalidAnswer(_))),
                "{bad:?}"
            );
        }
        let ok = state_from(Some(
            json!({"stream_id": "s", "status": "paused", "reason": "r"}),
        ))
        .unwrap();
        assert_eq!(ok.status, StreamStatus::Paused);
        assert_eq!(ok.reason.as_deref(), Some("r"));
    }

    #[test]
    fn stream_answers_without_an_id_or_with_another_method_are_refused() {
        for bad in [
            json!({}),
            json!({"stream_id": ""}),
            json!({"stream_id": "s", "delivery": {"method": PUSH_DELIVERY}}),
            json!({"stream_id": "s", "delivery": {"method": POLL_DELIVERY}}),
        ] {
            assert!(
                matches!(
                    stream_from(&bad, POLL_DELIVERY),
                    Err(StreamError::InvalidAnswer(_))
                ),
                "{bad}"
            );
        }
    }
}
