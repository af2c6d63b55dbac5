//! Request handlers: caller check, content type, strict parse, decision.

use super::callers::Callers;
use super::reply;
use crate::authzen::Pdp;
use agent_auth::authzen::parse::{self, Evaluations};
use agent_auth::authzen::{
    Action, ActionSearch, RequestError, Resource, ResourceSearch, SearchResponse, Subject,
    SubjectSearch,
};
use axum::body::Bytes;
use axum::http::header;
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

/// Admits a decision request only from an allowed caller, with a JSON
/// body (AuthZEN 1.0 section 10.1), checked before any body is read.
pub(super) async fn admitted(
    axum::extract::State(s): Ask,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Err(r) = s.0.1.check(request.headers()) {
        return reply::refused(&r);
    }
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return reply::not_json();
    }
    next.run(request).await
}

pub(super) async fn evaluation(axum::extract::State(s): Ask, body: Bytes) -> Response {
    match parse::evaluation(&body) {
        Ok(request) => reply::ok(&s.0.0.evaluate(&request).await),
        Err(e) => reply::bad_request(&e),
    }
}

pub(super) async fn evaluations(axum::extract::State(s): Ask, body: Bytes) -> Response {
    let pdp = &s.0.0;
    match parse::evaluations(&body) {
        Ok(Evaluations::Single(request)) => reply::ok(&pdp.evaluate(&request).await),
        Ok(Evaluations::Batch { semantic, items }) => {
            reply::ok(&pdp.run_batch(semantic, items).await)
        }
        Err(e) => reply::bad_request(&e),
    }
}

/// One of the Search APIs (AuthZEN 1.0 section 8): how its body is read
/// and answered, so that one handler serves all three.
#[async_trait::async_trait]
pub(super) trait SearchApi: Sized + Send {
    /// The page answered.
    type Page: serde::Serialize;
    /// The strict reader of the body.
    fn parse(body: &[u8]) -> Result<Self, RequestError>;
    /// The page of results.
    async fn answer(self, pdp: &Pdp) -> Result<Self::Page, RequestError>;
}

/// `SearchApi` for a search type: its reader and the PDP method answering it.
macro_rules! search_api {
    ($search:ty, $entity:ty, $parse:path, $answer:ident) => {
        #[async_trait::async_trait]
        impl SearchApi for $search {
            type Page = SearchResponse<$entity>;
            fn parse(body: &[u8]) -> Result<Self, RequestError> {
                $parse(body)
            }
            async fn answer(self, pdp: &Pdp) -> Result<Self::Page, RequestError> {
                pdp.$answer(&self).await
            }
        }
    };
}

search_api!(
    SubjectSearch,
    Subject,
    parse::subject_search,
    search_subjects
);
search_api!(
    ResourceSearch,
    Resource,
    parse::resource_search,
    search_resources
);
search_api!(ActionSearch, Action, parse::action_search, search_actions);

/// The subject, resource and action search endpoints.
pub(super) async fn search<Q: SearchApi>(axum::extract::State(s): Ask, body: Bytes) -> Response {
    let result = match Q::parse(&body) {
        Ok(search) => search.answer(&s.0.0).await,
        Err(e) => Err(e),
    };
    result.map_or_else(|e| reply::bad_request(&e), |page| reply::ok(&page))
}

/// The metadata document (AuthZEN 1.0 section 9.2); public.
pub(super) async fn metadata(axum::extract::State(s): Ask) -> Response {
    reply::ok(s.0.0.metadata())
}
