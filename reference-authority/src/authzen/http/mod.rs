//! The PDP over HTTP (AuthZEN 1.0 section 10): JSON bodies, `X-Request-ID`
//! echoed, 400 for malformed requests, 401/403 for callers without a valid
//! token.
//!
//! Callers are policy enforcement points holding an access token of the
//! authority (for example from a client credentials grant) whose audience is
//! the PDP's base URL and whose scope holds [`PDP_SCOPE`]: see [`Callers`].
//! The metadata document is public.
//!
//! ```no_run
//! use reference_authority::authzen::http::{Callers, router};
//! use reference_authority::authzen::Pdp;
//! # async fn serve(authority: reference_authority::Authority, pdp: Pdp) -> std::io::Result<()> {
//! let callers = Callers::new(authority.clone(), pdp.metadata().policy_decision_point.clone());
//! let app = reference_authority::http::router(authority).merge(router(pdp, callers));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

mod callers;
mod handlers;
mod reply;

pub use callers::{Callers, PDP_SCOPE};

use super::Pdp;
use agent_auth::authzen::{ActionSearch, ResourceSearch, SubjectSearch, paths};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// The largest request body read (bytes).
pub const MAX_BODY: usize = 256 * 1024;

/// The PDP's routes, at the path of its base URL: merge them into the
/// authority's router (or serve them alone).
pub fn router(pdp: Pdp, callers: Callers) -> Router {
    let base = url::Url::parse(&pdp.metadata().policy_decision_point)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let at = |path: &str| format!("{base}{path}");
    let state = handlers::State::new(pdp, callers);
    Router::new()
        .route(&at(paths::EVALUATION), post(handlers::evaluation))
        .route(&at(paths::EVALUATIONS), post(handlers::evaluations))
        .route(
            &at(paths::SEARCH_SUBJECT),
            post(handlers::search::<SubjectSearch>),
        )
        .route(
            &at(paths::SEARCH_RESOURCE),
            post(handlers::search::<ResourceSearch>),
        )
        .route(
            &at(paths::SEARCH_ACTION),
            post(handlers::search::<ActionSearch>),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            handlers::admitted,
        ))
        // The metadata document is public.
        .route(
            &format!("{}{base}", paths::METADATA),
            get(handlers::metadata),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(reply::echo_request_id))
        .with_state(state)
}
