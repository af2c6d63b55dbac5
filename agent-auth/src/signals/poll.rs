//! Poll delivery (RFC 8936): the receiver asks the transmitter's poll
//! endpoint for SETs, acknowledging those it accepted and reporting those it
//! refused in its next request.

use super::SetReceiver;
use crate::oauth::{HttpClient, HttpError, HttpRequest};
use crate::secret::SecretString;
use serde_json::{Map, Value, json};
use std::sync::{Mutex, PoisonError};

/// Largest poll response read.
const MAX_RESPONSE: usize = 1024 * 1024;

/// Why a poll failed. Nothing acknowledged was lost: acknowledgements and
/// errors not yet delivered go with the next poll.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PollError {
    /// The request failed or was answered with an error status.
    #[error("poll request failed: {0}")]
    Http(#[source] HttpError),
    /// The answer is not an RFC 8936 section 2.5 poll response.
    #[error("invalid poll response: {0}")]
    InvalidResponse(&'static str),
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollReport {
    /// SETs accepted (acknowledged in the next request).
    pub accepted: usize,
    /// SETs refused (reported in `setErrs` of the next request).
    pub refused: usize,
    /// The transmitter has more SETs ready (`moreAvailable`).
    pub more_available: bool,
}

/// Acknowledgements and errors owed to the transmitter.
#[derive(Debug, Default)]
struct Owed {
    ack: Vec<String>,
    errs: Map<String, Value>,
}

/// Polls one transmitter's poll endpoint (RFC 8936) into a [`SetReceiver`].
///
/// ```no_run
/// # async fn demo(receiver: agent_auth::signals::SetReceiver) -> Result<(), Box<dyn std::error::Error>> {
/// use agent_auth::oauth::HttpClient;
/// use agent_auth::secret::SecretString;
/// use agent_auth::signals::PollClient;
/// let poller = PollClient::new(
///     HttpClient::new()?,
///     "https://ssf.example/poll/stream-1",
///     SecretString::new("Bearer receiver-access-token"),
///     receiver,
/// )
/// .max_events(50);
/// let report = poller.poll_once().await?;
/// println!("{} accepted, more: {}", report.accepted, report.more_available);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PollClient {
    http: HttpClient,
    endpoint: String,
    authorization: SecretString,
    receiver: SetReceiver,
    max_events: u32,
    return_immediately: bool,
    owed: Mutex<Owed>,
}

impl PollClient {
    /// Polls `endpoint` (the stream's `endpoint_url`) sending `authorization`
    /// as the `Authorization` header value, into `receiver`.
    pub fn new(
        http: HttpClient,
        endpoint: impl Into<String>,
        authorization: SecretString,
        receiver: SetReceiver,
    ) -> Self {
        Self {
            http,
            endpoint: endpoint.into(),
            authorization,
            receiver,
            max_events: 100,
            return_immediately: true,
            owed: Mutex::new(Owed::default()),
        }
    }

    /// Most SETs asked for per poll (`maxEvents`, default 100).
    #[must_use]
    pub fn max_events(mut self, n: u32) -> Self {
        self.max_events = n;
        self
    }

    /// Whether the transmitter answers at once when it has nothing
    /// (`returnImmediately`, default true); `false` asks for a long poll
    /// (RFC 8936 section 2.2).
    #[must_use]
    pub fn return_immediately(mut self, yes: bool) -> Self {
        self.return_immediately = yes;
        self
    }

    /// The receiver.
    pub fn receiver(&self) -> &SetReceiver {
        &self.receiver
    }

    /// One poll: sends the acknowledgements (`ack`) and errors (`setErrs`)
    /// owed, asks for at most `maxEvents` SETs, and runs each through the
    /// receiver (RFC 8936 section 2.4). A SET already received is
    /// acknowledged again: the transmitter missed the first acknowledgement.
    pub async fn poll_once(&self) -> Result<PollReport, PollError> {
        let (ack, errs) = {
            let owed = self.owed.lock().unwrap_or_else(PoisonError::into_inner);
            (owed.ack.clone(), owed.errs.clone())
        };
        let mut body = json!({
            "maxEvents": self.max_events,
            "returnImmediately": self.return_immediately,
        });
        if let Some(obj) = body.as_object_mut() {
            if !ack.is_empty() {
                obj.insert("ack".into(), json!(ack));
            }
            if !errs.is_empty() {
                obj.insert("setErrs".into(), Value::Object(errs.clone()));
            }
        }
        let request = HttpRequest::post_json(&self.endpoint, &body)
            .map_err(PollError::Http)?
            .secret_header("authorization", self.authorization.clone())
            .limit_body(MAX_RESPONSE);
        let response = self.http.send_ok(request).await.map_err(PollError::Http)?;
        // Delivered: forget what was sent (not what was added meanwhile).
        {
            let mut owed = self.owed.lock().unwrap_or_else(PoisonError::into_inner);
            owed.ack.retain(|j| !ack.contains(j));
            owed.errs.retain(|j, _| !errs.contains_key(j));
        }
        let answer: Value = serde_json::from_slice(response.body())
            .map_err(|_| PollError::InvalidResponse("not JSON"))?;
        let sets = match answer.get("sets") {
            Some(Value::Object(sets)) => sets.clone(),
            _ => return Err(PollError::InvalidResponse("`sets` is not an object")),
        };
        let more_available = match answer.get("moreAvailable") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(PollError::InvalidResponse(
                    "`moreAvailable` is not a boolean",
                ));
            }
        };
        let mut report = PollReport {
            more_available,
            ..PollReport::default()
        };
        for (jti, set) in sets {
            let outcome = match set.as_str() {
                Some(set) => self.receiver.receive_as(set, Some(&jti)).await.map(|_| ()),
                None => Err(super::SetError::Token(
                    crate::validate::ValidationError::Malformed("the SET is not a string"),
                )),
            };
            let mut owed = self.owed.lock().unwrap_or_else(PoisonError::into_inner);
            match outcome {
                Ok(()) => {
                    report.accepted += 1;
                    owed.ack.push(jti);
                }
                Err(e) if e.is_replay() => owed.ack.push(jti),
                Err(e) => {
                    report.refused += 1;
                    owed.errs
                        .insert(jti, json!({"err": e.code(), "description": e.to_string()}));
                }
            }
        }
        Ok(report)
    }

    /// Polls until the transmitter has nothing more (or sends nothing while
    /// claiming more), then returns the sum. The acknowledgements of the last
    /// batch go with the next poll.
    pub async fn drain(&self) -> Result<PollReport, PollError> {
        let mut total = PollReport::default();
        loop {
            let report = self.poll_once().await?;
            total.accepted += report.accepted;
            total.refused += report.refused;
            if !report.more_available || report.accepted + report.refused == 0 {
                return Ok(total);
            }
        }
    }

    /// The acknowledgements and errors not yet delivered: `(ack, setErrs)`.
    pub fn owed(&self) -> (Vec<String>, Map<String, Value>) {
        let owed = self.owed.lock().unwrap_or_else(PoisonError::into_inner);
        (owed.ack.clone(), owed.errs.clone())
    }
}
