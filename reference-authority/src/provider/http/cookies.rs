//! The SSO session cookie.

use crate::provider::{Authority, SessionHandle};
use axum::http::HeaderMap;

/// The cookie name.
pub(super) const NAME: &str = "agent_auth_session";

/// The session handle in the request's cookies, if any.
pub(crate) fn session(headers: &HeaderMap) -> Option<SessionHandle> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| SessionHandle::new(value))
}

fn cookie_path(authority: &Authority) -> String {
    url::Url::parse(authority.issuer())
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".into())
}

fn secure(authority: &Authority) -> &'static str {
    if authority.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, scoped to the issuer path.
pub(crate) fn set(authority: &Authority, handle: &SessionHandle) -> String {
    format!(
        "{NAME}={}; Path={}; HttpOnly; SameSite=Lax{}",
        handle.expose_secret(),
        cookie_path(authority),
        secure(authority)
    )
}

/// `Set-Cookie` that removes the session cookie.
pub(super) fn clear(authority: &Authority) -> String {
    format!(
        "{NAME}=; Path={}; HttpOnly; SameSite=Lax; Max-Age=0{}",
        cookie_path(authority),
        secure(authority)
    )
}
