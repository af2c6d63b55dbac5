//! SCIM responses: `application/scim+json` bodies (RFC 7644 section 3.1),
//! `ETag` and `Location` headers, and error bodies (section 3.12).

use crate::scim::{Answer, ScimError, etag};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The SCIM media type.
pub const SCIM_JSON: &str = "application/scim+json";

/// A JSON body with the SCIM media type.
pub(super) fn json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    r
}

/// An error response.
pub(super) fn error(e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(status, &e.to_json())
}

/// A resource with its `ETag` (and `Location` on creation, RFC 7644 section 3.3).
pub(super) fn resource(status: StatusCode, answer: &Answer) -> Response {
    let mut r = json(status, &answer.body);
    if let Ok(v) = HeaderValue::from_str(&etag::of(answer.version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&answer.location)
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Either the response or the error's.
pub(super) fn or_error(result: Result<Response, ScimError>) -> Response {
    result.unwrap_or_else(|e| error(&e))
}
