//! SSF/CAEP `session-revoked` events pushed as Security Event Tokens (RFC 8417)
//! over HTTP (RFC 8935). The SET is validated with the `secevent+jwt` profile;
//! the answer is 202, or 400 (401/403 for caller authentication) with the error
//! JSON of RFC 8935 section 2.3 (`{"err": ..., "description": ...}`).
//!
//! A SET is accepted once and only while fresh (its `jti` is remembered, its
//! `iat` must be recent), and revokes the tokens issued before the event
//! happened (`event_timestamp`, else `iat`), never "before now": a late or
//! replayed event cannot kill tokens issued after it. Its subject must belong
//! to the issuers this transmitter speaks for ([`SsfReceiver::token_issuers`]).

use super::one_time::{OneTimeUse, Stamp};
use super::{RevocationList, Subject};
use agent_auth::clock::SharedClock;
use agent_auth::secret::{SecretString, constant_time_eq};
use agent_auth::validate::{SecurityEvent, ValidationError, Validator};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The CAEP session-revoked event type.
pub const SESSION_REVOKED: &str =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

/// The push receiver's state.
#[derive(Debug, Clone)]
pub struct SsfReceiver {
    list: RevocationList,
    validator: Arc<Validator<SecurityEvent>>,
    push_secret: Option<SecretString>,
    clock: SharedClock,
    token_issuers: Vec<String>,
    once: OneTimeUse,
}

impl SsfReceiver {
    /// Receives SETs checked by `validator` (the transmitter's issuer and keys,
    /// this receiver's audience) into `list`.
    /// Subjects are revoked for tokens of the transmitter's own issuer (the
    /// validator's); see [`token_issuers`](Self::token_issuers).
    pub fn new(list: RevocationList, validator: Validator<SecurityEvent>) -> Self {
        Self {
            list,
            token_issuers: vec![validator.issuer().to_owned()],
            validator: Arc::new(validator),
            push_secret: None,
            clock: agent_auth::clock::system_clock(),
            once: OneTimeUse::default(),
        }
    }

    /// The issuers whose tokens this transmitter's events are about (default:
    /// the transmitter's own issuer). An `iss_sub` subject of another issuer
    /// is refused (403 `access_denied`); an `opaque` or `email` subject revokes
    /// tokens of these issuers only.
    #[must_use]
    pub fn token_issuers(mut self, issuers: &[&str]) -> Self {
        self.token_issuers = issuers.iter().map(|i| (*i).to_owned()).collect();
        self
    }

    /// The oldest SET accepted, by `iat`, in seconds (default 300).
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.once.max_age(seconds);
        self
    }

    /// Clock skew tolerated on `iat` and `event_timestamp`, in seconds (default 30).
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.once.leeway(seconds);
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
        self
    }

    /// A router serving the push endpoint at `path`.
    pub fn router(self, path: &str) -> axum::Router {
        axum::Router::new()
            .route(path, axum::routing::post(handle))
            .with_state(self)
    }
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
    let is_set = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/secevent+jwt"));
    if !is_set {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/secevent+jwt",
        );
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the SET is not text",
        );
    };
    let set = match state.validator.validate(text.trim()).await {
        Ok(set) => set,
        Err(e) => {
            let code = match e {
                ValidationError::WrongIssuer => "invalid_issuer",
                ValidationError::WrongAudience => "invalid_audience",
                ValidationError::UnknownKey
                | ValidationError::InvalidSignature
                | ValidationError::KeyAlgorithmMismatch(_)
                | ValidationError::AmbiguousKey
                | ValidationError::AlgorithmNotAllowed(_) => "invalid_key",
                _ => "invalid_request",
            };
            return err(StatusCode::BAD_REQUEST, code, &e.to_string());
        }
    };
    let claims = set.into_claims();
    let Some(serde_json::Value::Object(events)) = claims.extra.get("events") else {
        return err(StatusCode::BAD_REQUEST, "invalid_request", "no events");
    };
    let now = state.clock.now();
    let revocation = match events.get(SESSION_REVOKED) {
        Some(event) => match session_revoked(&state, &claims, event, now) {
            Ok(r) => Some(r),
            Err(r) => return err(r.status, r.code, r.description),
        },
        None => None,
    };
    let stamp = Stamp {
        issuer: state.validator.issuer(),
        jti: claims.jti.as_deref(),
        iat: claims.iat,
        exp: None,
    };
    if let Err(e) = state.once.accept(&stamp, now) {
        return err(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string());
    }
    if let Some((subject, at)) = revocation {
        state
            .list
            .revoke_subject_at(&state.token_issuers, subject, at);
    }
    StatusCode::ACCEPTED.into_response()
}

/// Why a SET is refused, with its RFC 8935 section 2.3 error code.
struct Refused {
    status: StatusCode,
    code: &'static str,
    description: &'static str,
}

impl Refused {
    fn new(status: StatusCode, code: &'static str, description: &'static str) -> Self {
        Self {
            status,
            code,
            description,
        }
    }
}

/// The subject of a `session-revoked` event and the time it was revoked at.
fn session_revoked(
    state: &SsfReceiver,
    claims: &agent_auth::validate::Claims,
    event: &serde_json::Value,
    now: i64,
) -> Result<(Subject, i64), Refused> {
    // SSF 1.0 puts the subject in `sub_id`; CAEP drafts in the event's `subject`.
    let Some(sub_id) = claims.extra.get("sub_id").or_else(|| event.get("subject")) else {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the event names no subject",
        ));
    };
    let sub_id = sub_id
        .get("user")
        .filter(|_| sub_id.get("format").and_then(|f| f.as_str()) == Some("complex"))
        .unwrap_or(sub_id);
    let Ok(subject) = Subject::from_sub_id(sub_id) else {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unsupported subject identifier",
        ));
    };
    if !subject.is_within(&state.token_issuers) {
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "the transmitter may not revoke subjects of this issuer",
        ));
    }
    // CAEP 1.0 optional event claim `event_timestamp`: when the event happened. Tokens
    // issued before it are revoked; those issued after stay valid.
    let at = match event.get("event_timestamp") {
        None => claims.iat.unwrap_or(now),
        Some(t) => t.as_i64().ok_or_else(|| {
            Refused::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "`event_timestamp` is not a NumericDate",
            )
        })?,
    };
    if at > now.saturating_add(state.once.leeway_seconds()) {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "`event_timestamp` is in the future",
        ));
    }
    Ok((subject, at.min(now)))
}
