//! The kill switch: universal logout of one agent (every token of every
//! user it acts for, at every receiver), with a reason and a typed
//! confirmation, optionally suspending the agent so it gets no new token.

use super::access::Admin;
use super::agent_page::find;
use super::form::posted;
use super::html::{self, escape};
use super::inventory::urlencode;
use super::{Console, PATH};
use crate::kill_switch::{LogoutRequest, Target};
use crate::registry::{Actor, AgentRecord};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// `GET /console/agents/{id}/logout`: the confirmation form.
pub(super) async fn confirm(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match find(&console, &id) {
        Ok(a) => form(&console, &admin, &headers, &a, None, StatusCode::OK),
        Err(r) => *r,
    }
}

fn form(
    console: &Console,
    admin: &Admin,
    headers: &HeaderMap,
    agent: &AgentRecord,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let mut page = html::render(
        console,
        headers,
        admin,
        &format!("Kill switch: {}", agent.name),
        |token| {
            format!(
                "{notice}<p>Logs <strong>{name}</strong> out everywhere: every grant, session and access token \
of its clients ({clients}) for every user it acts for is revoked, open approvals are cancelled, \
and every receiver of the authority's signals is told. The evidence goes to the audit log.</p>\
<form method=\"post\" action=\"{action}\" id=\"kill-switch\">{csrf}\
<label>Reason <input name=\"reason\" required></label>\
<label>Type the agent id <code>{id}</code> to confirm <input name=\"confirm\" required autocomplete=\"off\"></label>\
<label><input type=\"checkbox\" name=\"suspend\" value=\"yes\" checked> Also suspend the agent (no new tokens)</label>\
<button type=\"submit\" class=\"danger\">Log out everywhere</button></form>",
                notice = notice.unwrap_or_default(),
                name = escape(&agent.name),
                clients = escape(&agent.clients.join(", ")),
                action = escape(&format!("{PATH}/agents/{}/logout", urlencode(&agent.id))),
                csrf = html::token_field(token),
                id = escape(&agent.id),
            )
        },
    );
    *page.status_mut() = status;
    page
}

/// `POST /console/agents/{id}/logout`: fires the kill switch for each of
/// the agent's clients, then suspends it when asked; shows the report.
pub(super) async fn fire(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let f = match posted(&console, &headers, &body) {
        Ok(f) => f,
        Err(refused) => return *refused,
    };
    let agent = match find(&console, &id) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let refuse = |message: &str| {
        form(
            &console,
            &admin,
            &headers,
            &agent,
            Some(html::notice("error", message)),
            StatusCode::BAD_REQUEST,
        )
    };
    if f.get("reason").is_empty() {
        return refuse("a logout needs a reason");
    }
    if f.get("confirm") != agent.id {
        return refuse("the confirmation does not match the agent id; nothing was done");
    }
    let mut lines = Vec::new();
    for client in &agent.clients {
        let request = LogoutRequest::new(Target::Agent(client.clone()), f.get("reason"))
            .requested_by(admin.user.clone());
        match console.inner.kill.fire(&request).await {
            Ok(r) => lines.push(vec![
                escape(client),
                format!("<code>{}</code>", escape(&r.txn)),
                r.revoked_access_tokens.len().to_string(),
                r.revoked_grants.to_string(),
                r.ended_sessions.len().to_string(),
                r.cancelled_approvals.len().to_string(),
                escape(&r.users.join(", ")),
                format!(
                    "{} queued, {} answered",
                    r.signals.len(),
                    r.deliveries.len()
                ),
            ]),
            Err(e) => lines.push(vec![escape(client), escape(&format!("failed: {e}"))]),
        }
    }
    let suspended = if f.get("suspend") == "yes" {
        match console.authority().registry().suspend(
            &agent.id,
            Some(f.get("reason")),
            &Actor::user(admin.user.clone()),
        ) {
            Ok(a) => format!("Agent is now {}.", a.status.as_str()),
            Err(e) => format!("Not suspended: {e}"),
        }
    } else {
        "Agent left in its state.".into()
    };
    html::render(
        &console,
        &headers,
        &admin,
        &format!("Logged out: {}", agent.name),
        |_| {
            format!(
                "{}{}{}<p><a href=\"{}\">Back to the agent</a></p>",
                html::notice("ok", "The kill switch fired."),
                html::table(
                    "logout-report",
                    &[
                        "Client",
                        "Transaction",
                        "Access tokens revoked",
                        "Grants revoked",
                        "Sessions ended",
                        "Approvals cancelled",
                        "Users",
                        "Signals"
                    ],
                    lines
                ),
                html::notice("ok", &suspended),
                escape(&format!("{PATH}/agents/{}", urlencode(&agent.id))),
            )
        },
    )
}
