//! The cookies of the HTTP face: the SSO session and the browser binding of
//! login interactions. All are HttpOnly, SameSite=Lax, scoped to the issuer
//! path, and Secure when the issuer is https.

use crate::provider::{Authority, BrowserBinding, SessionHandle};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The session cookie name.
pub(super) const NAME: &str = "agent_auth_session";
/// The cookie binding login interactions to the browser.
const BROWSER: &str = "agent_auth_browser";

/// The first non-empty value of cookie `name` in the request (RFC 6265
/// section 5.4 `Cookie` header, several headers allowed).
pub(crate) fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, value)| *n == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The session handle in the request's cookies, if any.
pub(crate) fn session(headers: &HeaderMap) -> Option<SessionHandle> {
    read(headers, NAME).map(SessionHandle::new)
}

/// The browser binding in the request's cookies, if any.
pub(super) fn browser(headers: &HeaderMap) -> Option<BrowserBinding> {
    read(headers, BROWSER).map(BrowserBinding::new)
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

fn cookie(authority: &Authority, name: &str, value: &str, clear: bool) -> String {
    format!(
        "{name}={value}; Path={}; HttpOnly; SameSite=Lax{}{}",
        cookie_path(authority),
        if clear { "; Max-Age=0" } else { "" },
        secure(authority)
    )
}

fn append(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Sets the cookie of a new session.
pub(crate) fn set(authority: &Authority, response: &mut Response, handle: &SessionHandle) {
    append(
        response,
        &cookie(authority, NAME, handle.expose_secret(), false),
    );
}

/// Removes the session cookie.
pub(super) fn clear(authority: &Authority, response: &mut Response) {
    append(response, &cookie(authority, NAME, "", true));
}

/// Sets the browser binding cookie.
pub(super) fn set_browser(
    authority: &Authority,
    response: &mut Response,
    browser: &BrowserBinding,
) {
    append(
        response,
        &cookie(authority, BROWSER, browser.expose_secret(), false),
    );
}
