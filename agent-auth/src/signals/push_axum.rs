//! The push endpoint served by axum (features `signals` and `server`): a
//! `POST` route handing the request's `Authorization`, `Content-Type` and
//! body to [`PushEndpoint::handle`] and answering with its status and JSON
//! (RFC 8935 sections 2.2 and 2.3).

use super::{PushAnswer, PushEndpoint};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

impl PushEndpoint {
    /// A router serving this endpoint at `path` (`POST` only).
    ///
    /// ```
    /// # fn demo(receiver: agent_auth::signals::SetReceiver) {
    /// use agent_auth::signals::PushEndpoint;
    /// let app: axum::Router = PushEndpoint::new(receiver).router("/ssf/events");
    /// # let _ = app; }
    /// ```
    pub fn router(self, path: &str) -> axum::Router {
        axum::Router::new()
            .route(path, axum::routing::post(push))
            .with_state(self)
    }
}

impl IntoResponse for PushAnswer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        match self.body() {
            Some(body) => (status, axum::Json(body.clone())).into_response(),
            None => status.into_response(),
        }
    }
}

async fn push(State(endpoint): State<PushEndpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    endpoint
        .handle(
            value(header::AUTHORIZATION),
            value(header::CONTENT_TYPE),
            &body,
        )
        .await
        .into_response()
}
