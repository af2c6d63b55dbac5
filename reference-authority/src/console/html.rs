//! The console's HTML: one layout, escaping of every value, the stylesheet,
//! and the security headers of every answer.

use super::access::Admin;
use super::{Console, PATH, csrf};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

pub(super) use crate::provider::http::pages::escape;

/// No script, no inline style, no framing, forms only to the console
/// (Content Security Policy Level 3).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every answer of the console.
pub(super) async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The stylesheet (served, so the policy needs no inline style).
pub(super) async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("console.css"),
    )
        .into_response()
}

/// A page for `admin`: the layout around `body`, which gets the form token.
/// Sets the CSRF cookie when the browser has none yet.
pub(super) fn render(
    console: &Console,
    headers: &HeaderMap,
    admin: &Admin,
    title: &str,
    body: impl FnOnce(&str) -> String,
) -> Response {
    let Some((token, new_cookie)) = csrf::issue(&console.inner.csrf_key, headers) else {
        return refused(StatusCode::INTERNAL_SERVER_ERROR, "no randomness");
    };
    let nav = [
        ("Agents", format!("{PATH}/")),
        ("Discovered", format!("{PATH}/discovered")),
        ("Reviews", format!("{PATH}/reviews")),
        ("Detections", format!("{PATH}/detections")),
    ]
    .iter()
    .map(|(label, href)| format!("<a href=\"{}\">{label}</a>", escape(href)))
    .collect::<Vec<_>>()
    .join(" ");
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} - Security console</title><link rel=\"stylesheet\" href=\"{PATH}/console.css\"></head>\
<body><header><strong>Security console</strong> <nav>{nav}</nav> \
<span class=\"who\">{who} <a href=\"{PATH}/logout\">Sign out</a></span></header>\
<main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
        who = escape(&admin.user),
        body = body(&token),
    );
    let mut response = Html(html).into_response();
    if let Some(value) = new_cookie {
        csrf::set_cookie(
            &mut response,
            &value,
            console.authority().issuer().starts_with("https://"),
        );
    }
    response
}

/// A refusal page (no layout, no data).
pub(super) fn refused(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Refused</title>\
<link rel=\"stylesheet\" href=\"{PATH}/console.css\"></head><body><main><h1>Refused</h1>\
<p class=\"error\" role=\"alert\">{}</p><p><a href=\"{PATH}/logout\">Sign out</a></p></main></body></html>",
        escape(message)
    );
    (status, Html(html)).into_response()
}

/// A hidden CSRF field.
pub(super) fn token_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(token)
    )
}

/// A time as UTC text.
pub(super) fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// A table with a header row; cells are already escaped HTML.
pub(super) fn table(
    id: &str,
    head: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> String {
    let mut out = format!("<table id=\"{}\"><thead><tr>", escape(id));
    for h in head {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    let mut any = false;
    for row in rows {
        any = true;
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{cell}</td>"));
        }
        out.push_str("</tr>");
    }
    if !any {
        out.push_str(&format!(
            "<tr><td colspan=\"{}\">None.</td></tr>",
            head.len()
        ));
    }
    out.push_str("</tbody></table>");
    out
}

/// A notice after an action (escaped).
pub(super) fn notice(class: &str, text: &str) -> String {
    format!(
        "<p class=\"{}\" role=\"status\">{}</p>",
        escape(class),
        escape(text)
    )
}
