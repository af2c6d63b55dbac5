//! The HTML pages: login (password, one-time code, "continue with" buttons),
//! errors, and the logged-out page. Minimal, no scripts.

use crate::provider::{ConsentRequest, Interaction, paths};

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
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

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}}\
label,input,button{{display:block;width:100%;margin:.4rem 0}}input,button{{padding:.5rem;box-sizing:border-box}}\
.error{{color:#b00020}}</style></head><body>{}</body></html>",
        escape(title),
        body
    )
}

/// The login page of an interaction.
pub(super) fn login(
    action_base: &str,
    interaction: &Interaction,
    connections: &[String],
    error: Option<&str>,
) -> String {
    let mut body = format!(
        "<h1>Sign in</h1><p>to continue to <strong>{}</strong></p>",
        escape(&interaction.client_name)
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        ));
    }
    let action = format!("{action_base}{}", paths::LOGIN);
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\
<input type=\"hidden\" name=\"interaction\" value=\"{}\">\
<label for=\"username\">Username</label><input id=\"username\" name=\"username\" autocomplete=\"username\" value=\"{}\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>",
        escape(&action),
        escape(&interaction.id),
        escape(interaction.login_hint.as_deref().unwrap_or_default()),
    ));
    body.push_str(&format!(
        "<label for=\"totp\">One-time code{}</label><input id=\"totp\" name=\"totp\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\"{}>",
        if interaction.needs_mfa { "" } else { " (if enrolled)" },
        if interaction.needs_mfa { " required" } else { "" },
    ));
    body.push_str("<button type=\"submit\">Sign in</button></form>");
    if !connections.is_empty() && !interaction.needs_mfa {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"interaction\" value=\"{}\">",
            escape(&action),
            escape(&interaction.id)
        ));
        for c in connections {
            body.push_str(&format!(
                "<button type=\"submit\" name=\"connection\" value=\"{0}\">Continue with {0}</button>",
                escape(c)
            ));
        }
        body.push_str("</form>");
    }
    page("Sign in", &body)
}

/// The consent page: the client, what it asks for, approve or deny.
pub(super) fn consent(action_base: &str, request: &ConsentRequest) -> String {
    let mut body = format!(
        "<h1>Allow access?</h1><p><strong>{}</strong> asks to:</p><ul>",
        escape(&request.client_name)
    );
    for scope in &request.scope {
        body.push_str(&format!("<li>{}</li>", escape(scope)));
    }
    for resource in &request.resource {
        body.push_str(&format!("<li>access {}</li>", escape(resource)));
    }
    body.push_str(&format!(
        "</ul><form method=\"post\" action=\"{}\">\
<input type=\"hidden\" name=\"interaction\" value=\"{}\">\
<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        escape(&format!("{action_base}{}", paths::CONSENT)),
        escape(&request.id)
    ));
    page("Allow access?", &body)
}

/// An error the browser sees instead of a redirect.
pub(super) fn error(code: &str, description: &str) -> String {
    page(
        "Error",
        &format!(
            "<h1>Request refused</h1><p><code>{}</code></p><p>{}</p>",
            escape(code),
            escape(description)
        ),
    )
}

/// Asks the user to confirm a logout that did not come with the session's
/// cookie (RP-Initiated Logout 1.0, section 2).
pub(super) fn logout_confirm(action_base: &str, token: &str, client: Option<&str>) -> String {
    let asker = client
        .map(|c| {
            format!(
                "<p><strong>{}</strong> asks to sign you out.</p>",
                escape(c)
            )
        })
        .unwrap_or_default();
    page(
        "Sign out?",
        &format!(
            "<h1>Sign out?</h1>{asker}<p>Do you want to sign out?</p>\
<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"confirm\" value=\"{}\">\
<button type=\"submit\">Sign out</button></form>",
            escape(&format!("{action_base}{}", paths::LOGOUT)),
            escape(token)
        ),
    )
}

/// After logout without a redirect.
pub(super) fn logged_out() -> String {
    page("Signed out", "<h1>You are signed out</h1>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let i = Interaction {
            id: "abc".into(),
            needs_mfa: true,
            client_name: "<script>x</script>".into(),
            login_hint: Some("\"><img>".into()),
        };
        let html = login("https://idp", &i, &["google".into()], Some("bad & worse"));
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;img&gt;"));
        assert!(html.contains("name=\"totp\""));
        assert!(
            !html.contains("Continue with"),
            "no federation when MFA is asked"
        );
        let c = ConsentRequest {
            id: "abc".into(),
            client_id: "x".into(),
            client_name: "<b>evil</b>".into(),
            scope: vec!["<i>openid</i>".into()],
            resource: vec![],
        };
        let html = consent("https://idp", &c);
        assert!(!html.contains("<b>evil"));
        assert!(!html.contains("<i>openid"));
        assert!(html.contains("value=\"deny\""));
    }
}
