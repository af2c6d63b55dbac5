//! SSF/CAEP/RISC events pushed as Security Event Tokens (RFC 8417) over HTTP
//! (RFC 8935), received by the shared receiver of `agent_auth::signals`: the
//! SET is validated with the `secevent+jwt` profile, accepted once and only
//! while fresh, and its subject must belong to the issuers this transmitter
//! speaks for ([`SsfReceiver::token_issuers`]). The answer is 202, or 400
//! (401/403 for caller authentication or a subject out of scope) with the
//! error JSON of RFC 8935 section 2.3 (`{"err": ..., "description": ...}`).
//!
//! Events that end access (session revoked, account disabled or purged,
//! credential compromised or revoked) revoke the subject's tokens issued
//! before the event happened (`event_timestamp`, else `iat`), never "before
//! now": a late or replayed event cannot kill tokens issued after it.

use super::RevocationList;
use agent_auth::clock::SharedClock;
use agent_auth::secret::{SecretString, constant_time_eq};
use agent_auth::signals::{PushEndpoint, SetReceiver, SignalSubscriber};
use agent_auth::validate::{SecurityEvent, Validator};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The CAEP session-revoked event type.
pub const SESSION_REVOKED: &str = agent_auth::signals::caep::SESSION_REVOKED;

/// The push receiver's state.
#[derive(Debug, Clone)]
pub struct SsfReceiver {
    list: RevocationList,
    validator: Validator<SecurityEvent>,
    token_issuers: Vec<String>,
    max_age: Option<i64>,
    leeway: Option<i64>,
    clock: SharedClock,
    push_secret: Option<SecretString>,
    subscribers: Vec<Arc<dyn SignalSubscriber>>,
    endpoint: PushEndpoint,
}

impl SsfReceiver {
    /// Receives SETs checked by `validator` (the transmitter's issuer and keys,
    /// this receiver's audience) into `list`.
    /// Subjects are revoked for tokens of the transmitter's own issuer (the
    /// validator's); see [`token_issuers`](Self::token_issuers).
    pub fn new(list: RevocationList, validator: Validator<SecurityEvent>) -> Self {
        let token_issuers = vec![validator.issuer().to_owned()];
        let clock = agent_auth::clock::system_clock();
        let endpoint = endpoint(&list, &validator, &token_issuers, None, None, &clock, &[]);
        Self {
            list,
            validator,
            token_issuers,
            max_age: None,
            leeway: None,
            clock,
            push_secret: None,
            subscribers: Vec::new(),
            endpoint,
        }
    }

    /// Builds the shared receiver again from the settings.
    fn rebuild(&mut self) {
        self.endpoint = endpoint(
            &self.list,
            &self.validator,
            &self.token_issuers,
            self.max_age,
            self.leeway,
            &self.clock,
            &self.subscribers,
        );
    }

    /// The issuers whose tokens this transmitter's events are about (default:
    /// the transmitter's own issuer). An `iss_sub` subject of another issuer
    /// is refused (403 `access_denied`); an `opaque` or `email` subject revokes
    /// tokens of these issuers only.
    #[must_use]
    pub fn token_issuers(mut self, issuers: &[&str]) -> Self {
        self.token_issuers = issuers.iter().map(|i| (*i).to_owned()).collect();
        self.rebuild();
        self
    }

    /// The oldest SET accepted, by `iat`, in seconds (default 300).
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds);
        self.rebuild();
        self
    }

    /// Clock skew tolerated on `iat` and `event_timestamp`, in seconds (default 30).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.leeway = Some(seconds);
        self.rebuild();
        self
    }

    /// Requires `Authorization: Bearer <secret>` on pushes (RFC 8935 section 2.2).
    #[must_use]
    pub fn push_secret(mut self, secret: SecretString) -> Self {
        self.push_secret = Some(secret);
        self
    }

    /// The clock.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self.rebuild();
        self
    }

    /// Also hands every accepted signal to `subscriber` (a vault, a CIBA
    /// client, a login client), after the revocation list.
    #[must_use]
    pub fn subscriber(mut self, subscriber: Arc<dyn SignalSubscriber>) -> Self {
        self.subscribers.push(subscriber);
        self.rebuild();
        self
    }

    /// The shared receiver behind the endpoint (for stream verification).
    pub fn receiver(&self) -> &SetReceiver {
        self.endpoint.receiver()
    }

    /// A router serving the push endpoint at `path`.
    pub fn router(self, path: &str) -> axum::Router {
        axum::Router::new()
            .route(path, axum::routing::post(handle))
            .with_state(self)
    }
}

/// The shared receiver and its push endpoint: the revocation list hears
/// each signal first, then the other subscribers.
fn endpoint(
    list: &RevocationList,
    validator: &Validator<SecurityEvent>,
    token_issuers: &[String],
    max_age: Option<i64>,
    leeway: Option<i64>,
    clock: &SharedClock,
    subscribers: &[Arc<dyn SignalSubscriber>],
) -> PushEndpoint {
    let issuers: Vec<&str> = token_issuers.iter().map(String::as_str).collect();
    let mut builder = SetReceiver::builder(validator.clone())
        .token_issuers(&issuers)
        .clock(clock.clone())
        .subscriber(Arc::new(list.clone()));
    if let Some(s) = max_age {
        builder = builder.max_age(s);
    }
    if let Some(s) = leeway {
        builder = builder.leeway(s);
    }
    for s in subscribers {
        builder = builder.subscriber(Arc::clone(s));
    }
    PushEndpoint::new(builder.build())
}

fn err(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"err": code, "description": description})),
    )
        .into_response()
}

/// The handler: `POST` with `Content-Type: application/secevent+jwt`.
pub async fn handle(State(state): State<SsfReceiver>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(secret) = &state.push_secret {
        match crate::header::bearer_from_headers(&headers) {
            Ok(Some(t)) if constant_time_eq(t.as_bytes(), secret.expose_secret().as_bytes()) => {}
            Ok(Some(_)) => return err(StatusCode::FORBIDDEN, "access_denied", "not authorized"),
            _ => {
                return err(
                    StatusCode::UNAUTHORIZED,
                    "authentication_failed",
                    "authentication required",
                );
            }
        }
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let answer = state.endpoint.handle(None, content_type, &body).await;
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::BAD_REQUEST);
    match answer.body() {
        Some(body) => (status, axum::Json(body.clone())).into_response(),
        None => status.into_response(),
    }
}
