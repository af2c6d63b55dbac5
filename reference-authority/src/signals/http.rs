//! The transmitter's HTTP face: configuration discovery (SSF 1.0 section
//! 7.2), the management API (section 8.1) and the poll endpoint (RFC 8936).

use super::auth::{SSF_SCOPE, receiver};
use super::error::SsfError;
use super::{Transmitter, paths};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

pub(super) fn router(t: Transmitter) -> Router {
    let mut r = Router::new()
        .route(
            paths::STREAM,
            get(read)
                .post(create)
                .patch(update)
                .put(replace)
                .delete(delete),
        )
        .route(paths::STATUS, get(status_get).post(status_post))
        .route(paths::ADD_SUBJECT, post(add_subject))
        .route(paths::REMOVE_SUBJECT, post(remove_subject))
        .route(paths::VERIFY, post(verify))
        .route(&format!("{}/{{stream_id}}", paths::POLL), post(poll));
    if t.configuration_path() == paths::CONFIGURATION {
        r = r.route(paths::CONFIGURATION, get(configuration));
    }
    r.with_state(t)
}

pub(super) fn well_known_router(t: Transmitter) -> Router {
    Router::new()
        .route(&t.configuration_path(), get(configuration))
        .with_state(t)
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn json(status: StatusCode, body: Value) -> Response {
    no_store((status, axum::Json(body)).into_response())
}

fn error(e: &SsfError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = json(
        status,
        serde_json::json!({"err": e.code(), "description": e.to_string()}),
    );
    // RFC 6750 section 3: the challenge of a bearer-protected resource.
    let challenge = match e {
        SsfError::Unauthorized => Some("Bearer error=\"invalid_token\"".to_owned()),
        SsfError::Forbidden => Some(format!(
            "Bearer error=\"insufficient_scope\", scope=\"{SSF_SCOPE}\""
        )),
        _ => None,
    };
    if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn done(result: Result<Value, SsfError>, ok: StatusCode) -> Response {
    match result {
        Ok(v) => json(ok, v),
        Err(e) => error(&e),
    }
}

fn empty(result: Result<(), SsfError>, ok: StatusCode) -> Response {
    match result {
        Ok(()) => no_store(ok.into_response()),
        Err(e) => error(&e),
    }
}

fn object(body: &[u8]) -> Result<Map<String, Value>, SsfError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(SsfError::BadRequest("the body is not a JSON object")),
    }
}

fn stream_id(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "stream_id")
        .map(|(_, v)| v.into_owned())
}

/// Authenticates, then reads the body: an unauthenticated request is 401
/// whatever its body.
fn authed_body(
    t: &Transmitter,
    h: &HeaderMap,
    b: &[u8],
) -> Result<(String, Map<String, Value>), SsfError> {
    let owner = receiver(&t.authority, h)?;
    Ok((owner, object(b)?))
}

async fn configuration(State(t): State<Transmitter>) -> Response {
    json(StatusCode::OK, t.configuration())
}

async fn create(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    done(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.create_stream(&o, &m)),
        StatusCode::CREATED,
    )
}

async fn read(State(t): State<Transmitter>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let result = receiver(&t.authority, &h)
        .and_then(|o| t.read_streams(&o, stream_id(q.as_deref()).as_deref()));
    done(result, StatusCode::OK)
}

async fn update(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    done(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.update_stream(&o, &m)),
        StatusCode::OK,
    )
}

async fn replace(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    done(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.replace_stream(&o, &m)),
        StatusCode::OK,
    )
}

async fn delete(State(t): State<Transmitter>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let result = receiver(&t.authority, &h).and_then(|o| {
        let id = stream_id(q.as_deref()).ok_or(SsfError::BadRequest("`stream_id` is required"))?;
        t.delete_stream(&o, &id)
    });
    empty(result, StatusCode::NO_CONTENT)
}

async fn status_get(State(t): State<Transmitter>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let result = receiver(&t.authority, &h).and_then(|o| {
        let id = stream_id(q.as_deref()).ok_or(SsfError::BadRequest("`stream_id` is required"))?;
        t.stream_status(&o, &id)
    });
    done(result, StatusCode::OK)
}

async fn status_post(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    done(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.set_stream_status(&o, &m)),
        StatusCode::OK,
    )
}

async fn add_subject(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    // SSF 1.0 section 8.1.3.2: an empty 200.
    empty(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.add_subject(&o, &m)),
        StatusCode::OK,
    )
}

async fn remove_subject(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    empty(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.remove_subject(&o, &m)),
        StatusCode::NO_CONTENT,
    )
}

async fn verify(State(t): State<Transmitter>, h: HeaderMap, b: Bytes) -> Response {
    // Queued: the delivery worker (or the next flush) sends it (SSF 1.0
    // section 8.1.4.2: a 204 does not mean it was transmitted).
    empty(
        authed_body(&t, &h, &b).and_then(|(o, m)| t.request_verification(&o, &m)),
        StatusCode::NO_CONTENT,
    )
}

async fn poll(
    State(t): State<Transmitter>,
    Path(id): Path<String>,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    let (owner, body) = match authed_body(&t, &h, &b) {
        Ok(x) => x,
        Err(e) => return error(&e),
    };
    done(t.poll(&owner, &id, &body).await, StatusCode::OK)
}
