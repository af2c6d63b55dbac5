//! The authority's HTTP face (feature `server`): an axum router serving every
//! endpoint, the login page and the federation callback.
//!
//! Mount it at the root of the issuer URL: `axum::serve(listener, router(authority))`.
//! Several authorities can share one server when nested under their issuer paths.

pub(crate) mod client_addr;
pub(crate) mod cookies;
mod device;
pub(crate) mod endpoints;
pub(crate) mod pages;
mod transport;

use super::{Authority, paths};
use axum::Router;
use axum::routing::{get, post};
pub(crate) use endpoints::bearer;
pub use transport::RouterTransport;

/// The router of one authority; paths are relative to the issuer URL.
pub fn router(authority: Authority) -> Router {
    let scim = crate::scim::http::router(crate::scim::Scim::for_authority(&authority));
    Router::new()
        .route(paths::OPENID_CONFIGURATION, get(endpoints::metadata))
        .route(paths::OAUTH_METADATA, get(endpoints::metadata))
        .route(paths::JWKS, get(endpoints::jwks))
        .route(
            paths::AUTHORIZE,
            get(endpoints::authorize_get).post(endpoints::authorize_post),
        )
        .route(paths::LOGIN, post(endpoints::login))
        .route(
            paths::CONSENT,
            get(endpoints::consent_get).post(endpoints::consent_post),
        )
        .route(
            paths::FEDERATION_CALLBACK,
            get(endpoints::federation_callback),
        )
        .route(paths::TOKEN, post(endpoints::token))
        .route(paths::PAR, post(endpoints::par))
        .route(paths::DEVICE_AUTHORIZATION, post(device::authorization))
        .route(paths::DEVICE, get(device::page).post(device::submit))
        .route(
            paths::USERINFO,
            get(endpoints::userinfo).post(endpoints::userinfo),
        )
        .route(paths::REVOKE, post(endpoints::revoke))
        .route(paths::INTROSPECT, post(endpoints::introspect))
        .route(
            paths::LOGOUT,
            get(endpoints::logout_get).post(endpoints::logout_post),
        )
        .route(paths::REGISTER, post(endpoints::register))
        .route(
            &format!("{}/{{client_id}}", paths::REGISTER),
            get(endpoints::read_registration),
        )
        .with_state(authority)
        .merge(scim)
}
