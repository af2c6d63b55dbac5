//! Global Token Revocation (draft-parecki-oauth-global-token-revocation): an
//! identity provider asks this resource server to revoke every token of one
//! subject. `POST` with a JSON body `{"sub_id": {...}}` (RFC 9493 subject
//! identifier); `subject` is accepted as the same member, as Okta sends it.
//!
//! Callers authenticate with a signed JWT ([`SignedJwt`], what Okta sends) or a
//! shared secret ([`BearerSecret`]). Each [`Caller`] names the issuers whose
//! subjects it may revoke: an `iss_sub` subject of any other issuer is refused,
//! and an `opaque` or `email` subject revokes the tokens of those issuers only.
//!
//! | answer | when |
//! |---|---|
//! | 204 | the subject's tokens are revoked |
//! | 400 | the body is not JSON with exactly one subject object |
//! | 401 | the caller is not authenticated |
//! | 403 | the caller may not revoke this subject: not of its issuers, or refused by [`RevocationAuth::may_revoke`] |
//! | 404 | the subject is unknown here |
//! | 422 | the subject identifier format is not supported |

pub use super::caller::{BearerSecret, CALLER_JWT_TYP, Caller, RevocationAuth, SignedJwt};

use super::{RevocationList, Subject};
use agent_auth::clock::SharedClock;
use agent_auth::signals::{GtrRequestError, Signal, SignalSubscriber, SubjectError, gtr_subject};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Whether a subject is known here (default: every subject is).
pub type SubjectDirectory = Arc<dyn Fn(&Subject) -> bool + Send + Sync>;

/// The endpoint's state.
#[derive(Clone)]
pub struct GlobalTokenRevocation {
    list: RevocationList,
    auth: Arc<dyn RevocationAuth>,
    known: SubjectDirectory,
    clock: SharedClock,
    subscribers: Vec<Arc<dyn SignalSubscriber>>,
}

impl std::fmt::Debug for GlobalTokenRevocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalTokenRevocation")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl GlobalTokenRevocation {
    /// Revokes into `list`, authenticating callers with `auth`.
    pub fn new(list: RevocationList, auth: Arc<dyn RevocationAuth>) -> Self {
        Self {
            list,
            auth,
            known: Arc::new(|_| true),
            clock: agent_auth::clock::system_clock(),
            subscribers: Vec::new(),
        }
    }

    /// Answers 404 for subjects `known` says are not known.
    #[must_use]
    pub fn subjects(mut self, known: SubjectDirectory) -> Self {
        self.known = known;
        self
    }

    /// The clock.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Also hands each applied revocation, as a
    /// [`SignalKind::GlobalTokenRevocation`](agent_auth::signals::SignalKind)
    /// signal, to `subscriber` (a vault, a CIBA client, a login client).
    #[must_use]
    pub fn subscriber(mut self, subscriber: Arc<dyn SignalSubscriber>) -> Self {
        self.subscribers.push(subscriber);
        self
    }

    /// A router serving the endpoint at `path`.
    pub fn router(self, path: &str) -> axum::Router {
        axum::Router::new()
            .route(path, axum::routing::post(handle))
            .with_state(self)
    }
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(serde_json::json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// The handler: `POST` with a JSON subject.
pub async fn handle(
    State(state): State<GlobalTokenRevocation>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(caller) = state.auth.authenticate(&headers).await else {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication required",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return r;
    };
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/json",
        );
    }
    let subject = match gtr_subject(&body) {
        Ok(s) => s,
        Err(GtrRequestError::Subject(SubjectError::Unsupported)) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_subject_format",
                "the subject identifier format is not supported",
            );
        }
        Err(GtrRequestError::Subject(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "malformed subject identifier",
            );
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
    };
    if !subject.is_within(caller.issuers()) || !state.auth.may_revoke(&caller, &subject).await {
        return error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "not allowed to revoke this subject",
        );
    }
    if !(state.known)(&subject) {
        return error(StatusCode::NOT_FOUND, "unknown_subject", "no such subject");
    }
    let now = state.clock.now();
    let signal = Signal::global_token_revocation(subject, caller.issuers(), now, caller.name());
    state.list.on_signal(&signal).await;
    for subscriber in &state.subscribers {
        subscriber.on_signal(&signal).await;
    }
    tracing::info!(caller = %caller.name(), "global token revocation applied");
    StatusCode::NO_CONTENT.into_response()
}
