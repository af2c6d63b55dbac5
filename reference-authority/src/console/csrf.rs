//! CSRF protection of the console's forms: the signed double-submit cookie
//! (OWASP CSRF Prevention Cheat Sheet). A random value lives in a
//! `SameSite=Strict` cookie; each form carries its HMAC under the console's
//! key; a post is accepted only when both are present and match. Cross-site
//! posts are refused before that by the Fetch Metadata `Sec-Fetch-Site`
//! header and by `Origin` (RFC 6454) when the browser sends them.

use super::PATH;
use agent_auth::jose::base64url;
use agent_auth::secret::constant_time_eq;
use aws_lc_rs::hmac;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The cookie holding the random value.
const COOKIE: &str = "console_csrf";

/// The console's HMAC key for CSRF tokens.
pub(super) struct Key(hmac::Key);

impl Key {
    /// A fresh random key.
    pub(super) fn generate() -> Option<Self> {
        let bytes = crate::provider::crypto::random_bytes(32)?;
        Some(Self(hmac::Key::new(hmac::HMAC_SHA256, &bytes)))
    }

    fn token(&self, value: &str) -> String {
        base64url::encode(hmac::sign(&self.0, value.as_bytes()).as_ref())
    }
}

/// The form token for this browser, and the cookie to set when the browser
/// has none yet.
pub(super) fn issue(key: &Key, headers: &HeaderMap) -> Option<(String, Option<String>)> {
    match cookie(headers) {
        Some(value) => Some((key.token(&value), None)),
        None => {
            let value = crate::provider::crypto::random_value()?;
            Some((key.token(&value), Some(value)))
        }
    }
}

/// Sets the cookie on a page that issued a new value.
pub(super) fn set_cookie(response: &mut Response, value: &str, secure: bool) {
    let text = format!(
        "{COOKIE}={value}; Path={PATH}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&text) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Why a post was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum CsrfError {
    #[error("cross-site request refused")]
    CrossSite,
    #[error("the form's security token is missing or wrong; reload the page")]
    BadToken,
}

/// Checks a post: same origin, and the form's token matches the cookie.
pub(super) fn verify(
    key: &Key,
    headers: &HeaderMap,
    issuer_origin: &str,
    form_token: &str,
) -> Result<(), CsrfError> {
    let foreign_site = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() != b"same-origin");
    let foreign_origin = headers
        .get(header::ORIGIN)
        .is_some_and(|origin| origin.as_bytes() != issuer_origin.as_bytes());
    if foreign_site || foreign_origin {
        return Err(CsrfError::CrossSite);
    }
    let value = cookie(headers).ok_or(CsrfError::BadToken)?;
    let expected = key.token(&value);
    if form_token.is_empty() || !constant_time_eq(expected.as_bytes(), form_token.as_bytes()) {
        return Err(CsrfError::BadToken);
    }
    Ok(())
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    crate::provider::http::cookies::read(headers, COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const ORIGIN: &str = "https://idp.example";

    #[test]
    fn the_token_of_the_cookie_passes() {
        let key = Key::generate().unwrap();
        let (token, set) = issue(&key, &HeaderMap::new()).unwrap();
        let value = set.unwrap();
        let h = headers(&[("cookie", &format!("{COOKIE}={value}")), ("origin", ORIGIN)]);
        assert_eq!(verify(&key, &h, ORIGIN, &token), Ok(()));
        assert_eq!(issue(&key, &h).unwrap(), (token, None));
    }

    #[test]
    fn a_missing_cookie_a_wrong_token_or_another_key_is_refused() {
        let key = Key::generate().unwrap();
        let (token, set) = issue(&key, &HeaderMap::new()).unwrap();
        let cookie = format!("{COOKIE}={}", set.unwrap());
        assert_eq!(
            verify(&key, &HeaderMap::new(), ORIGIN, &token),
            Err(CsrfError::BadToken)
        );
        let h = headers(&[("cookie", &cookie)]);
        assert_eq!(verify(&key, &h, ORIGIN, ""), Err(CsrfError::BadToken));
        assert_eq!(
            verify(&key, &h, ORIGIN, &format!("{token}x")),
            Err(CsrfError::BadToken)
        );
        let other = Key::generate().unwrap();
        assert_eq!(verify(&other, &h, ORIGIN, &token), Err(CsrfError::BadToken));
    }

    #[test]
    fn cross_site_posts_are_refused_even_with_a_valid_token() {
        let key = Key::generate().unwrap();
        let (token, set) = issue(&key, &HeaderMap::new()).unwrap();
        let cookie = format!("{COOKIE}={}", set.unwrap());
        let foreign = headers(&[("cookie", &cookie), ("origin", "https://evil.example")]);
        assert_eq!(
            verify(&key, &foreign, ORIGIN, &token),
            Err(CsrfError::CrossSite)
        );
        let fetch = headers(&[("cookie", &cookie), ("sec-fetch-site", "cross-site")]);
        assert_eq!(
            verify(&key, &fetch, ORIGIN, &token),
            Err(CsrfError::CrossSite)
        );
    }
}
