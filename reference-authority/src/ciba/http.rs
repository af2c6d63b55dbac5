//! The CIBA routes: the backchannel authentication endpoint and the approval page.

use super::{Approval, CibaOp, DecisionError, page, paths};
use crate::{ErrorCode, OAuthError, Params, TokenRequest};
use agent_auth::secret::SecretString;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

pub(super) fn router(op: CibaOp) -> Router {
    Router::new()
        .route(paths::BACKCHANNEL, post(backchannel))
        .route(
            &format!("{}/{{approval_id}}", paths::APPROVE),
            get(show).post(decide),
        )
        .with_state(op)
}

fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn oauth_error(err: &OAuthError, had_auth: bool) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = no_store((status, axum::Json(err.to_json())).into_response());
    if err.code() == &ErrorCode::InvalidClient && had_auth {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"bc-authorize\""),
        );
    }
    response
}

async fn backchannel(State(op): State<CibaOp>, headers: HeaderMap, body: String) -> Response {
    let had_auth = headers.contains_key(header::AUTHORIZATION);
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return oauth_error(&e, had_auth),
    };
    let request = TokenRequest {
        params,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(SecretString::new),
    };
    match op.backchannel_authentication(&request).await {
        Ok(r) => no_store((StatusCode::OK, axum::Json(r.to_json())).into_response()),
        Err(e) => oauth_error(&e, had_auth),
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    no_store(response)
}

async fn show(State(op): State<CibaOp>, Path(id): Path<String>) -> Response {
    match op.approval_request(&id) {
        Some(request) => html(StatusCode::OK, page::approval(&request)),
        None => html(
            StatusCode::NOT_FOUND,
            page::message("This request is unknown, already decided or expired."),
        ),
    }
}

async fn decide(State(op): State<CibaOp>, Path(id): Path<String>, body: String) -> Response {
    let decision = Params::parse(&body)
        .ok()
        .and_then(|p| p.get("decision").map(str::to_owned));
    let result = match decision.as_deref() {
        Some("approve") => op.approve(&id, Approval::all()).await,
        Some("deny") => op.deny(&id).await,
        _ => {
            return html(
                StatusCode::BAD_REQUEST,
                page::message("Choose Approve or Deny."),
            );
        }
    };
    match result {
        Ok(()) if decision.as_deref() == Some("approve") => html(
            StatusCode::OK,
            page::message("Approved. You can close this page."),
        ),
        Ok(()) => html(
            StatusCode::OK,
            page::message("Denied. You can close this page."),
        ),
        Err(DecisionError::Unknown) => html(
            StatusCode::NOT_FOUND,
            page::message("This request is unknown."),
        ),
        Err(e) => html(StatusCode::CONFLICT, page::message(&e.to_string())),
    }
}
