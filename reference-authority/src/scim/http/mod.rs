//! The SCIM endpoint over HTTP (feature `server`), mounted at
//! [`BASE_PATH`](super::BASE_PATH) by the authority's router.

mod auth;
mod handlers;
mod respond;

pub use respond::SCIM_JSON;

use super::{BASE_PATH, Scim};
use axum::Router;
use axum::routing::any;

/// The SCIM routes, with absolute paths under `/scim/v2`.
pub fn router(scim: Scim) -> Router {
    let inner = Router::new()
        .route("/{first}", any(handlers::one))
        .route("/{first}/{second}", any(handlers::two))
        .fallback(handlers::fallback)
        .with_state(scim);
    Router::new().nest(BASE_PATH, inner)
}
