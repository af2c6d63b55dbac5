//! The log over HTTP (feature `server`): the C2SP `tlog-tiles` read-only
//! resources under `/audit-log` (`/checkpoint`, `/tile/<L>/<N>[.p/<W>]`,
//! `/tile/entries/<N>[.p/<W>]`) and the ingestion endpoint
//! `POST /audit-log/events`, for components that ship their events.
//!
//! Ingestion takes an access token of this authority from the client
//! credentials grant (RFC 6749 section 4.4) with the `audit:write` scope,
//! as a bearer token (RFC 6750 section 2.1); refusals carry RFC 6750 section 3
//! challenges and are audited.

use super::error::AuditLogError;
use super::log::AuditLog;
use super::tiles::TilePath;
use crate::Authority;
use agent_auth::audit::{AuditAction, AuditEvent, Outcome};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// The path prefix of the log's resources.
pub const PREFIX: &str = "/audit-log";
/// The scope a shipping component needs.
pub const WRITE_SCOPE: &str = "audit:write";
/// The most events one ingestion request may carry.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone)]
struct Served {
    log: AuditLog,
    authority: Authority,
}

/// The routes of `log`, whose ingestion accepts tokens of `authority`; merge
/// them into the authority's router: `router(authority.clone()).merge(audit_log::router(log, authority))`.
pub fn router(log: AuditLog, authority: Authority) -> Router {
    Router::new()
        .route(&format!("{PREFIX}/checkpoint"), get(checkpoint))
        .route(&format!("{PREFIX}/tile/{{*path}}"), get(tile))
        .route(&format!("{PREFIX}/events"), post(ingest))
        .with_state(Served { log, authority })
}

async fn checkpoint(State(s): State<Served>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            // Mutable: no caching beyond a moment (tlog-tiles, Checkpoints).
            (header::CACHE_CONTROL, "no-store"),
        ],
        s.log.checkpoint(),
    )
        .into_response()
}

async fn tile(State(s): State<Served>, Path(path): Path<String>) -> Response {
    let Some(tile) = TilePath::parse(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let bytes = s.log.tile(&tile);
    match bytes {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn challenge(status: StatusCode, error: &'static str, scope: bool) -> Response {
    let value = if scope {
        format!("Bearer error=\"{error}\", scope=\"{WRITE_SCOPE}\"")
    } else {
        format!("Bearer error=\"{error}\"")
    };
    let mut response = status.into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

async fn ingest(State(s): State<Served>, headers: HeaderMap, body: Bytes) -> Response {
    let client = match authorize(&s.authority, &headers) {
        Ok(client) => client,
        Err(refusal) => {
            let (response, reason) = *refusal;
            s.authority
                .audit(AuditAction::TokenValidated, Outcome::Denied, |e| {
                    e.target(format!("{PREFIX}/events")).reason(reason)
                });
            return response;
        }
    };
    let events: Vec<AuditEvent> = match serde_json::from_slice(&body) {
        Ok(events) => events,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "the body is not a JSON array of audit events",
            )
                .into_response();
        }
    };
    if events.len() > MAX_BATCH {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "too many events in one batch",
        )
            .into_response();
    }
    match s.log.append(Some(&client), &events) {
        Ok(indexes) => axum::Json(serde_json::json!({
            "indexes": indexes,
            "size": s.log.size(),
        }))
        .into_response(),
        Err(AuditLogError::EntryTooLarge { .. }) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "an event is larger than an entry may be",
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "audit ingestion failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A refusal: the response and the audited reason.
type Refusal = Box<(Response, &'static str)>;

/// The client id of a valid client-credentials bearer token with `audit:write`.
fn authorize(authority: &Authority, headers: &HeaderMap) -> Result<String, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .filter(|t| !t.is_empty());
    // RFC 6750 section 3.1: no credentials, no error code.
    let Some(token) = token else {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Err(Box::new((response, "no_token")));
    };
    let invalid = || {
        Box::new((
            challenge(StatusCode::UNAUTHORIZED, "invalid_token", false),
            "invalid_token",
        ))
    };
    let validated = authority
        .verify_access_token(token)
        .map_err(|_| invalid())?;
    let ingest_url = authority.endpoint(&format!("{PREFIX}/events"));
    if !validated
        .aud
        .iter()
        .any(|a| a == authority.issuer() || *a == ingest_url)
    {
        return Err(invalid());
    }
    let client = validated.str("client_id").ok_or_else(invalid)?.to_owned();
    // A client acting as itself: a user's token cannot write the audit trail.
    if validated.sub.as_deref() != Some(client.as_str()) {
        return Err(Box::new((
            challenge(StatusCode::FORBIDDEN, "insufficient_scope", true),
            "not_client_credentials",
        )));
    }
    if !validated.scopes().any(|s| s == WRITE_SCOPE) {
        return Err(Box::new((
            challenge(StatusCode::FORBIDDEN, "insufficient_scope", true),
            "insufficient_scope",
        )));
    }
    Ok(client)
}
