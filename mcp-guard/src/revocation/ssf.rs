//! SSF/CAEP `session-revoked` events pushed as Security Event Tokens (RFC 8417)
//! over HTTP (RFC 8935). The SET is validated with the `secevent+jwt` profile;
//! the answer is 202, or 400 (401/403 for caller authentication) with the error
//! JSON of RFC 8935 section 2.3 (`{"err": ..., "description": ...}`).

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
}

impl SsfReceiver {
    /// Receives SETs checked by `validator` (the transmitter's issuer and keys,
    /// this receiver's audience) into `list`.
    pub fn new(list: RevocationList, validator: Validator<SecurityEvent>) -> Self {
        Self {
            list,
            validator: Arc::new(validator),
            push_secret: None,
            clock: agent_auth::clock::system_clock(),
        }
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
    if let Some(event) = events.get(SESSION_REVOKED) {
        // SSF 1.0 puts the subject in `sub_id`; CAEP drafts in the event's `subject`.
        let sub_id = claims.extra.get("sub_id").or_else(|| event.get("subject"));
        let Some(sub_id) = sub_id else {
            return err(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the event names no subject",
            );
        };
        let sub_id = sub_id
            .get("user")
            .filter(|_| sub_id.get("format").and_then(|f| f.as_str()) == Some("complex"))
            .unwrap_or(sub_id);
        match Subject::from_sub_id(sub_id) {
            Ok(subject) => state.list.revoke_subject(subject, state.clock.now()),
            Err(_) => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "unsupported subject identifier",
                );
            }
        }
    }
    StatusCode::ACCEPTED.into_response()
}
