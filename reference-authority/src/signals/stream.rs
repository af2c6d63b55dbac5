//! One event stream (SSF 1.0 section 8.1.1): its stored record, its JSON
//! configuration and the rules for the Receiver-Supplied properties.

use super::error::SsfError;
use super::event::types;
use super::subject::SubjectId;
pub use agent_auth::signals::StreamStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// RFC 8935 push delivery.
pub const PUSH: &str = "urn:ietf:rfc:8935";
/// RFC 8936 poll delivery.
pub const POLL: &str = "urn:ietf:rfc:8936";

/// Longest `description` kept, in characters (SSF 1.0 section 8.1.1: the
/// transmitter MAY truncate it).
const MAX_DESCRIPTION: usize = 256;
/// Most event types a stream may request.
const MAX_EVENTS_REQUESTED: usize = 64;

/// How a stream's events travel.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub(crate) enum Delivery {
    /// Pushed to the receiver's `endpoint_url` (RFC 8935).
    Push {
        endpoint_url: String,
        /// The `Authorization` value the receiver asked for; sent with every
        /// push (SSF 1.0 section 7.1.1), never shown in configurations.
        authorization_header: Option<String>,
    },
    /// Polled by the receiver at the transmitter's URL (RFC 8936).
    Poll,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delivery::Push {
                endpoint_url,
                authorization_header,
            } => f
                .debug_struct("Push")
                .field("endpoint_url", endpoint_url)
                .field("authorization_header", &authorization_header.is_some())
                .finish(),
            Delivery::Poll => f.write_str("Poll"),
        }
    }
}

/// A stream as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StreamRecord {
    pub(crate) stream_id: String,
    /// The client (receiver) that owns it.
    pub(crate) owner: String,
    pub(crate) aud: Vec<String>,
    pub(crate) events_requested: Option<Vec<String>>,
    pub(crate) delivery: Delivery,
    pub(crate) description: Option<String>,
    pub(crate) status: StreamStatus,
    pub(crate) reason: Option<String>,
    /// Whether subjects are in unless removed (`ALL`) or out unless added (`NONE`).
    pub(crate) all_subjects: bool,
    /// Subjects added (JSON subject identifiers).
    pub(crate) added: Vec<Value>,
    /// Subjects removed.
    pub(crate) removed: Vec<Value>,
    pub(crate) last_verification: Option<i64>,
    /// When the receiver last made a request about the stream (SSF 1.0
    /// section 8.1.1 `inactivity_timeout`); records from before it was kept
    /// count from their first sweep.
    #[serde(default)]
    pub(crate) last_activity: Option<i64>,
}

/// The Receiver-Supplied properties of a create, update or replace request.
#[derive(Debug, Default)]
pub(crate) struct ReceiverProps {
    pub(crate) events_requested: Option<Vec<String>>,
    pub(crate) delivery: Option<Delivery>,
    pub(crate) description: Option<String>,
}

impl StreamRecord {
    /// Event types delivered: those requested that are supported (SSF 1.0
    /// section 8.1.1: a subset of the intersection).
    pub(crate) fn events_delivered(&self) -> Vec<&'static str> {
        let requested = self.events_requested.as_deref().unwrap_or_default();
        types::SUPPORTED
            .into_iter()
            .filter(|t| requested.iter().any(|r| r == t))
            .collect()
    }

    /// Whether the stream takes events of `type_uri` about `subject`: the type
    /// was delivered and the subject is in (SSF 1.0 section 8.1.3).
    pub(crate) fn wants(&self, type_uri: &str, subject: &SubjectId) -> bool {
        if !self.events_delivered().contains(&type_uri) {
            return false;
        }
        let listed = |list: &[Value]| {
            list.iter()
                .filter_map(|v| SubjectId::from_json(v).ok())
                .any(|s| subject.matches(&s))
        };
        if self.all_subjects {
            !listed(&self.removed)
        } else {
            listed(&self.added)
        }
    }

    /// The configuration as the management API shows it (SSF 1.0 section 8.1.1).
    pub(crate) fn to_json(&self, issuer: &str, poll_url: &str) -> Value {
        let delivery = match &self.delivery {
            Delivery::Push { endpoint_url, .. } => {
                json!({"method": PUSH, "endpoint_url": endpoint_url})
            }
            Delivery::Poll => json!({"method": POLL, "endpoint_url": poll_url}),
        };
        let mut m = Map::new();
        m.insert("stream_id".into(), self.stream_id.clone().into());
        m.insert("iss".into(), issuer.into());
        m.insert(
            "aud".into(),
            match self.aud.as_slice() {
                [one] => one.clone().into(),
                many => many.to_vec().into(),
            },
        );
        m.insert("delivery".into(), delivery);
        m.insert("events_supported".into(), types::SUPPORTED.to_vec().into());
        if let Some(r) = &self.events_requested {
            m.insert("events_requested".into(), r.clone().into());
        }
        m.insert("events_delivered".into(), self.events_delivered().into());
        if let Some(d) = &self.description {
            m.insert("description".into(), d.clone().into());
        }
        Value::Object(m)
    }
}

/// Reads the Receiver-Supplied properties of a request body, and checks any
/// Transmitter-Supplied ones against `current` (SSF 1.0 sections 8.1.1.3 and
/// 8.1.1.4: they MAY be present but MUST match; `events_delivered` is
/// compared with the value before the update).
pub(crate) fn receiver_props(
    body: &Map<String, Value>,
    current: Option<(&StreamRecord, &Value)>,
) -> Result<ReceiverProps, SsfError> {
    let mut props = ReceiverProps::default();
    if let Some(v) = body.get("events_requested") {
        let list = v
            .as_array()
            .filter(|a| a.len() <= MAX_EVENTS_REQUESTED)
            .ok_or(SsfError::BadRequest(
                "`events_requested` is not a short array",
            ))?;
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            let uri = item
                .as_str()
                .ok_or(SsfError::BadRequest("an event type is not a string"))?;
            if !out.iter().any(|u| u == uri) {
                out.push(uri.to_owned());
            }
        }
        props.events_requested = Some(out);
    }
    if let Some(v) = body.get("description") {
        let d = v
            .as_str()
            .ok_or(SsfError::BadRequest("`description` is not a string"))?;
        props.description = Some(d.chars().take(MAX_DESCRIPTION).collect());
    }
    if let Some(v) = body.get("delivery") {
        props.delivery = Some(delivery(v)?);
    }
    if let Some((_, shown)) = current {
        for name in ["iss", "aud", "events_supported", "events_delivered"] {
            if let Some(sent) = body.get(name)
                && shown.get(name) != Some(sent)
            {
                return Err(SsfError::BadRequest(
                    "a Transmitter-Supplied property does not match",
                ));
            }
        }
        if let (Some(Delivery::Poll), Some(sent)) = (
            &props.delivery,
            body.get("delivery").and_then(|d| d.get("endpoint_url")),
        ) && shown.get("delivery").and_then(|d| d.get("endpoint_url")) != Some(sent)
        {
            return Err(SsfError::BadRequest(
                "the poll `endpoint_url` is the transmitter's",
            ));
        }
    }
    Ok(props)
}

/// Reads a `delivery` object (SSF 1.0 section 7.1).
fn delivery(v: &Value) -> Result<Delivery, SsfError> {
    let obj = v
        .as_object()
        .ok_or(SsfError::BadRequest("`delivery` is not an object"))?;
    match obj.get("method").and_then(Value::as_str) {
        Some(PUSH) => {
            let url = obj
                .get("endpoint_url")
                .and_then(Value::as_str)
                .ok_or(SsfError::BadRequest("push delivery needs `endpoint_url`"))?;
            let parsed = url::Url::parse(url)
                .map_err(|_| SsfError::BadRequest("`endpoint_url` is not a URL"))?;
            // The push target must be https; plain http only to loopback (tests).
            let loopback = matches!(
                parsed.host(),
                Some(url::Host::Ipv4(a)) if a.is_loopback()
            ) || matches!(parsed.host(), Some(url::Host::Ipv6(a)) if a.is_loopback())
                || parsed.host_str() == Some("localhost");
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return Err(SsfError::BadRequest("`endpoint_url` must be https"));
            }
            if parsed.fragment().is_some() {
                return Err(SsfError::BadRequest("`endpoint_url` has a fragment"));
            }
            let authorization_header = match obj.get("authorization_header") {
                None | Some(Value::Null) => None,
                Some(Value::String(h))
                    if !h.is_empty() && axum::http::HeaderValue::from_str(h).is_ok() =>
                {
                    Some(h.clone())
                }
                Some(_) => {
                    return Err(SsfError::BadRequest(
                        "`authorization_header` is not a header value",
                    ));
                }
            };
            Ok(Delivery::Push {
                endpoint_url: url.to_owned(),
                authorization_header,
            })
        }
        Some(POLL) => Ok(Delivery::Poll),
        Some(_) => Err(SsfError::BadRequest("unsupported delivery method")),
        None => Err(SsfError::BadRequest("`delivery` has no `method`")),
    }
}
