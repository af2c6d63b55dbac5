//! Request handlers: caller check, content type, strict parse, decision.

use super::callers::Callers;
use super::reply;
use crate::authzen::Pdp;
use agent_auth::authzen::parse::{self, Evaluations};
use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::sync::Arc;

/// The handlers' shared state.
#[derive(Clone)]
pub(super) struct State(Arc<(Pdp, Callers)>);

impl State {
    pub(super) fn new(pdp: Pdp, callers: Callers) -> Self {
        Self(Arc::new((pdp, callers)))
    }
}

type Ask = axum::extract::State<State>;

/// The refusal of a request whose caller or content type is wrong, checked
/// before any body is read as JSON.
fn refusal(state: &State, headers: &HeaderMap) -> Option<Response> {
    if let Err(r) = state.0.1.check(headers) {
        return Some(reply::refused(&r));
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    (!json).then(reply::not_json)
}

pub(super) async fn evaluation(
    axum::extract::State(s): Ask,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    match parse::evaluation(&body) {
        Ok(request) => reply::ok(&s.0.0.evaluate(&request).await),
        Err(e) => reply::bad_request(&e),
    }
}

pub(super) async fn evaluations(
    axum::extract::State(s): Ask,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    let pdp = &s.0.0;
    match parse::evaluations(&body) {
        Ok(Evaluations::Single(request)) => reply::ok(&pdp.evaluate(&request).await),
        Ok(Evaluations::Batch { semantic, items }) => {
            reply::ok(&pdp.run_batch(semantic, items).await)
        }
        Err(e) => reply::bad_request(&e),
    }
}

pub(super) async fn search_subject(
    axum::extract::State(s): Ask,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    let result = match parse::subject_search(&body) {
        Ok(search) => s.0.0.search_subjects(&search).await,
        Err(e) => Err(e),
    };
    result.map_or_else(|e| reply::bad_request(&e), |page| reply::ok(&page))
}

pub(super) async fn search_resource(
    axum::extract::State(s): Ask,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    let result = match parse::resource_search(&body) {
        Ok(search) => s.0.0.search_resources(&search).await,
        Err(e) => Err(e),
    };
    result.map_or_else(|e| reply::bad_request(&e), |page| reply::ok(&page))
}

pub(super) async fn search_action(
    axum::extract::State(s): Ask,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = refusal(&s, &headers) {
        return r;
    }
    let result = match parse::action_search(&body) {
        Ok(search) => s.0.0.search_actions(&search).await,
        Err(e) => Err(e),
    };
    result.map_or_else(|e| reply::bad_request(&e), |page| reply::ok(&page))
}

/// The metadata document (AuthZEN 1.0 section 9.2); public.
pub(super) async fn metadata(axum::extract::State(s): Ask) -> Response {
    reply::ok(s.0.0.metadata())
}
