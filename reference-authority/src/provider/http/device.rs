//! The device flow's HTTP face (RFC 8628): the device authorization
//! endpoint (section 3.1) and the verification page (section 3.3), where
//! the user signs in (or uses their session), checks which client asks for
//! what, and approves or denies. The page's POST relies on the SameSite=Lax
//! session cookie, which browsers do not send on cross-site form posts.

use super::endpoints::{html, json, oauth_error, token_request};
use super::{client_addr, cookies, pages::escape};
use crate::provider::device::{DevicePrompt, DeviceVerifyError};
use crate::provider::{Authority, Credentials, Params, SessionHandle, paths};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use zeroize::Zeroizing;

/// `POST /device_authorization`.
pub(super) async fn authorization(
    State(a): State<Authority>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let had_auth = headers.contains_key(header::AUTHORIZATION);
    match token_request(&headers, &body).and_then(|r| a.device_authorization(&r)) {
        Ok(body) => json(StatusCode::OK, body),
        Err(e) => oauth_error(&e, had_auth),
    }
}

/// `GET /device[?user_code=...]`: the code form, or the prompt when signed in.
pub(super) async fn page(
    State(a): State<Authority>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let typed = params.get("user_code").unwrap_or_default();
    let session = cookies::session(&headers).filter(|s| a.session(s).is_some());
    match (&session, typed.is_empty()) {
        (Some(s), false) => match a.device_prompt(s, typed) {
            Ok(prompt) => html(StatusCode::OK, confirm(&a, &prompt)),
            Err(e) => html(status(&e), code_form(&a, typed, true, Some(&e.to_string()))),
        },
        _ => html(
            StatusCode::OK,
            code_form(&a, typed, session.is_some(), None),
        ),
    }
}

/// `POST /device`: signs in when needed, then shows the prompt, or records
/// the decision when the form carries one.
pub(super) async fn submit(
    State(a): State<Authority>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    body: String,
) -> Response {
    // The body may hold the password.
    let body = Zeroizing::new(body);
    let Ok(params) = Params::parse(&body) else {
        return html(
            StatusCode::BAD_REQUEST,
            code_form(&a, "", false, Some("bad form")),
        );
    };
    let typed = params.get("user_code").unwrap_or_default();
    let (session, fresh) = match cookies::session(&headers).filter(|s| a.session(s).is_some()) {
        Some(s) => (s, false),
        None => {
            let credentials = Credentials::password(
                params.get("username").unwrap_or_default(),
                params.get("password").unwrap_or_default(),
            )
            .from_address(client_addr::client_address(&a, &headers, &extensions));
            match a.sign_in(&credentials) {
                Ok(s) => (s, true),
                Err(e) => {
                    return html(
                        StatusCode::UNAUTHORIZED,
                        code_form(&a, typed, false, Some(&e.to_string())),
                    );
                }
            }
        }
    };
    let mut response = decide(&a, &session, typed, params.get("decision"));
    if fresh {
        cookies::set(&a, &mut response, &session);
    }
    response
}

fn decide(a: &Authority, session: &SessionHandle, typed: &str, decision: Option<&str>) -> Response {
    let outcome = match decision {
        None => a.device_prompt(session, typed).map(|p| confirm(a, &p)),
        Some(d) => a
            .device_decide(session, typed, d == "approve")
            .map(|p| done(&p, d == "approve")),
    };
    match outcome {
        Ok(page) => html(StatusCode::OK, page),
        Err(e) => html(status(&e), code_form(a, typed, true, Some(&e.to_string()))),
    }
}

fn status(e: &DeviceVerifyError) -> StatusCode {
    match e {
        DeviceVerifyError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        DeviceVerifyError::NotSignedIn => StatusCode::UNAUTHORIZED,
        DeviceVerifyError::Storage => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn wrap(body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Connect a device</title></head><body>{body}</body></html>"
    )
}

fn action(a: &Authority) -> String {
    escape(&a.endpoint(paths::DEVICE))
}

fn code_form(a: &Authority, typed: &str, signed_in: bool, error: Option<&str>) -> String {
    let mut body = String::from("<h1>Connect a device</h1>");
    if let Some(e) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(e)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\"><label for=\"user_code\">Code shown on the device</label>\
<input id=\"user_code\" name=\"user_code\" value=\"{}\" autocomplete=\"off\" required>",
        action(a),
        escape(typed)
    ));
    if !signed_in {
        body.push_str(
            "<label for=\"username\">Username</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>",
        );
    }
    body.push_str("<button type=\"submit\">Continue</button></form>");
    wrap(&body)
}

fn confirm(a: &Authority, prompt: &DevicePrompt) -> String {
    let scope = prompt
        .scope
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect::<String>();
    wrap(&format!(
        "<h1>Connect a device</h1><p><strong>{}</strong> asks for:</p><ul>{scope}</ul>\
<p>Code: <code>{}</code>. Approve only if your device shows this code.</p>\
<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"user_code\" value=\"{}\">\
<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        escape(&prompt.client_name),
        escape(&prompt.user_code),
        action(a),
        escape(&prompt.user_code),
    ))
}

fn done(prompt: &DevicePrompt, approved: bool) -> String {
    let what = if approved { "approved" } else { "denied" };
    wrap(&format!(
        "<h1>Done</h1><p>You {what} <strong>{}</strong>. You can return to your device.</p>",
        escape(&prompt.client_name)
    ))
}
