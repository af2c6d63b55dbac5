//! The CIBA routes: the backchannel authentication endpoint and the approval
//! page, where the person asked signs in before deciding.

use super::{Approval, CibaOp, DecisionError, page, paths};
use crate::provider::http::{client_addr, cookies};
use crate::{Credentials, ErrorCode, OAuthError, Params, TokenRequest};
use agent_auth::secret::SecretString;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
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
        dpop_proof: None,
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

async fn show(State(op): State<CibaOp>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let session = cookies::session(&headers);
    match op.approval_request_in_session(&id, session.as_ref()) {
        Ok(request) => html(StatusCode::OK, page::approval(&request)),
        Err(DecisionError::NotSignedIn) => html(StatusCode::UNAUTHORIZED, page::sign_in(None)),
        Err(_) => html(
            StatusCode::NOT_FOUND,
            page::message("This request is unknown, already decided or expired."),
        ),
    }
}

/// The person signs in on the page (only as the person asked), then sees
/// the request with its buttons.
fn sign_in(
    op: &CibaOp,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Response {
    let mut credentials = Credentials::password(
        params.get("username").unwrap_or_default(),
        params.get("password").unwrap_or_default(),
    )
    .from_address(client_addr::client_address(
        &op.authority,
        headers,
        extensions,
    ));
    if let Some(code) = params.get("totp").filter(|c| !c.is_empty()) {
        credentials = credentials.with_totp(code);
    }
    let signed_in = op
        .sign_in_for_approval(id, &credentials)
        .and_then(|handle| Ok((op.approval_request_in_session(id, Some(&handle))?, handle)));
    match signed_in {
        Ok((request, handle)) => {
            let mut response = html(StatusCode::OK, page::approval(&request));
            cookies::set(&op.authority, &mut response, &handle);
            response
        }
        Err(DecisionError::Unknown) => html(
            StatusCode::NOT_FOUND,
            page::message("This request is unknown, already decided or expired."),
        ),
        Err(e) => html(
            StatusCode::UNAUTHORIZED,
            page::sign_in(Some(&e.to_string())),
        ),
    }
}

async fn decide(
    State(op): State<CibaOp>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let params = Params::parse(&body).unwrap_or_default();
    if params.get("username").is_some() {
        return sign_in(&op, &id, &params, &headers, &extensions);
    }
    let session = cookies::session(&headers);
    let decision = params.get("decision").map(str::to_owned);
    let result = match decision.as_deref() {
        Some("approve") => {
            op.approve_in_session(&id, session.as_ref(), Approval::all())
                .await
        }
        Some("deny") => op.deny_in_session(&id, session.as_ref()).await,
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
        Err(DecisionError::NotSignedIn) => html(StatusCode::UNAUTHORIZED, page::sign_in(None)),
        Err(e) => html(StatusCode::CONFLICT, page::message(&e.to_string())),
    }
}
