//! The client notification endpoint (CIBA Core 1.0 sections 10.2 and 10.3):
//! the OP's bearer token must be the request's `client_notification_token`.

use super::CibaClient;
use crate::wire::DeliveryMode;
use agent_auth::secret::constant_time_eq;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use std::sync::PoisonError;

impl CibaClient {
    /// An axum router serving the notification endpoint at `path` (ping and push).
    pub fn notification_router(&self, path: &str) -> Router {
        Router::new()
            .route(path, post(notify))
            .with_state(self.clone())
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.get(..7)
        .filter(|p| p.eq_ignore_ascii_case("bearer "))
        .and_then(|_| v.get(7..))
        .map(str::trim)
}

async fn notify(State(client): State<CibaClient>, headers: HeaderMap, body: String) -> Response {
    let unauthorized = || {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = header::HeaderValue::from_str("Bearer") {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    };
    let Some(presented) = bearer(&headers) else {
        return unauthorized();
    };
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(id) = body.get("auth_req_id").and_then(Value::as_str) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(waiter) = client.waiter(id) else {
        return unauthorized();
    };
    let (expected, mode) = {
        let r = waiter.record.lock().unwrap_or_else(PoisonError::into_inner);
        (r.notification_token.clone(), r.mode)
    };
    let ok = expected
        .is_some_and(|t| constant_time_eq(t.expose_secret().as_bytes(), presented.as_bytes()));
    if !ok {
        tracing::warn!(client = %client.client_id(), "notification with a wrong bearer token refused");
        return unauthorized();
    }
    if mode == DeliveryMode::Push {
        *waiter.pushed.lock().unwrap_or_else(PoisonError::into_inner) = Some(body);
    }
    waiter.wake.notify_one();
    StatusCode::NO_CONTENT.into_response()
}
