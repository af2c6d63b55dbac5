//! The approval page: what the agent asks, in words a person can check.

use super::device::ApprovalRequest;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em}}\
         .binding{{font-size:1.6em;font-weight:bold;border:2px solid #333;padding:.5em;text-align:center}}\
         pre{{background:#f4f4f4;padding:.5em;overflow:auto}}button{{font-size:1.2em;margin:.5em}}</style>\
         </head><body>{}</body></html>",
        escape(title),
        body
    )
}

/// The page showing one request with Approve and Deny buttons.
pub(super) fn approval(r: &ApprovalRequest) -> String {
    let binding = r
        .binding_message
        .as_deref()
        .map(|m| format!("<p class=\"binding\">{}</p>", escape(m)))
        .unwrap_or_default();
    let details = r
        .authorization_details
        .as_ref()
        .and_then(|d| serde_json::to_string_pretty(d).ok())
        .map(|d| format!("<h2>Details</h2><pre>{}</pre>", escape(&d)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Approve an agent's request</h1>{binding}\
         <p>The agent <strong>{client}</strong> asks to act for you with: <code>{scope}</code></p>{details}\
         <p>Check that the message above matches what the agent shows you.</p>\
         <form method=\"post\"><button name=\"decision\" value=\"approve\">Approve</button>\
         <button name=\"decision\" value=\"deny\">Deny</button></form>",
        client = escape(&r.client_id),
        scope = escape(&r.scope.join(" ")),
    );
    shell("Approve an agent's request", &body)
}

/// The sign-in form of the approval page: the person asked signs in at the
/// authority before the request is shown (the link alone proves nothing).
pub(super) fn sign_in(error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign in to see an agent's request</h1>{error}\
         <form method=\"post\">\
         <label>Username <input name=\"username\" autocomplete=\"username\" required></label><br>\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label><br>\
         <label>One-time code <input name=\"totp\" inputmode=\"numeric\" autocomplete=\"one-time-code\"></label><br>\
         <button>Sign in</button></form>"
    );
    shell("Sign in", &body)
}

/// A short message page.
pub(super) fn message(text: &str) -> String {
    shell("Approval", &format!("<p>{}</p>", escape(text)))
}
