//! Reading the console's posted forms and query strings, and the CSRF check
//! every post passes first.

use super::{Console, csrf, html};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;

/// Posted or queried fields (the last value of a repeated name wins).
#[derive(Debug, Default)]
pub(super) struct Fields(HashMap<String, String>);

impl Fields {
    /// The fields of a query string.
    pub(super) fn query(query: Option<&str>) -> Self {
        Self::parse(query.unwrap_or_default().as_bytes())
    }

    fn parse(bytes: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The trimmed value of `name`, empty when absent.
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|v| v.trim()).unwrap_or_default()
    }
}

/// The fields of a post whose CSRF token is valid; a refusal page otherwise
/// (boxed: a response is large next to the fields).
pub(super) fn posted(
    console: &Console,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Fields, Box<Response>> {
    let fields = Fields::parse(body);
    let issuer = console.authority().issuer();
    let origin = url::Url::parse(issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    csrf::verify(
        &console.inner.csrf_key,
        headers,
        &origin,
        fields.get("csrf"),
    )
    .map_err(|e| Box::new(html::refused(StatusCode::FORBIDDEN, &e.to_string())))?;
    Ok(fields)
}
