//! Responses: JSON bodies, errors, and the `X-Request-ID` echo.

use super::callers::Refusal;
use agent_auth::authzen::RequestError;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const REQUEST_ID: &str = "x-request-id";

/// AuthZEN 1.0 section 10.1.2 (certification scenario C.2.5): the PDP echoes
/// the `X-Request-ID` of the request on every response.
pub(super) async fn echo_request_id(request: Request, next: Next) -> Response {
    let id = request.headers().get(REQUEST_ID).cloned();
    let mut response = next.run(request).await;
    if let Some(id) = id {
        response.headers_mut().insert(REQUEST_ID, id);
    }
    response
}

/// 200 with a JSON body.
pub(super) fn ok(body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": code, "error_description": description});
    let mut response = ok(&body);
    *response.status_mut() = status;
    response
}

/// 400 for a malformed request (AuthZEN 1.0 section 10.1.3).
pub(super) fn bad_request(e: &RequestError) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string())
}

/// 400 for a body that is not `application/json` (C.2.4.3).
pub(super) fn not_json() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the request content type must be application/json",
    )
}

/// 401 or 403 with an RFC 6750 section 3 challenge.
pub(super) fn refused(refusal: &Refusal) -> Response {
    let (status, challenge) = match refusal {
        Refusal::NoToken => (StatusCode::UNAUTHORIZED, "Bearer".to_owned()),
        Refusal::InvalidToken(why) => (
            StatusCode::UNAUTHORIZED,
            format!("Bearer error=\"invalid_token\", error_description=\"{why}\""),
        ),
        Refusal::InsufficientScope(scope) => (
            StatusCode::FORBIDDEN,
            format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
        ),
    };
    let code = match refusal {
        Refusal::NoToken => "unauthorized",
        Refusal::InvalidToken(_) => "invalid_token",
        Refusal::InsufficientScope(_) => "insufficient_scope",
    };
    let mut response = error(status, code, &refusal.to_string());
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}
