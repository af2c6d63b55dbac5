//! Agents nobody registered: the clients that act like agents, with their
//! evidence, risk and suggested owner, each registered in one form; and the
//! unknown clients whose tokens reached guarded resources.

use super::access::Admin;
use super::form::{Fields, posted};
use super::html::{self, escape};
use super::inventory::urlencode;
use super::{Console, PATH};
use crate::discovery::{Adoption, DiscoveredAgent, DiscoveryReport};
use crate::registry::Actor;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// `GET /console/discovered`.
pub(super) async fn page(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
) -> Response {
    show(&console, &admin, &headers, None)
}

fn show(console: &Console, admin: &Admin, headers: &HeaderMap, notice: Option<String>) -> Response {
    let report = match scan(console) {
        Ok(r) => r,
        Err(message) => return html::refused(StatusCode::SERVICE_UNAVAILABLE, &message),
    };
    html::render(console, headers, admin, "Discovered agents", |token| {
        let discovered = html::table(
            "discovered",
            &["Client", "Risk", "Evidence", "Seen", "Register"],
            report.discovered.iter().map(|d| row(d, token)),
        );
        let unknown = html::table(
            "unknown-clients",
            &[
                "Client id named by tokens",
                "Presentations",
                "Resource servers",
                "Last seen",
            ],
            report.unknown_clients.iter().map(|u| {
                vec![
                    format!("<code>{}</code>", escape(&u.client_id)),
                    u.presentations.to_string(),
                    escape(
                        &u.resource_servers
                            .iter()
                            .map(|(s, n)| format!("{s} ({n})"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    html::time(u.last_seen),
                ]
            }),
        );
        format!(
            "{}<p>Clients that act like agents and have no agent record.</p>{discovered}\
<h2>Unknown clients at guarded resources</h2>{unknown}",
            notice.unwrap_or_default()
        )
    })
}

fn scan(console: &Console) -> Result<DiscoveryReport, String> {
    let discovery = console
        .inner
        .discovery
        .as_ref()
        .ok_or("discovery is not configured for this console")?;
    discovery
        .scan(console.authority())
        .map_err(|e| e.to_string())
}

fn row(d: &DiscoveredAgent, token: &str) -> Vec<String> {
    let seen = match (d.first_seen, d.last_seen) {
        (Some(a), Some(b)) => format!("{} to {}", html::time(a), html::time(b)),
        _ => "not in the log".into(),
    };
    let form = format!(
        "<form method=\"post\" action=\"{action}\">{csrf}\
<label>Agent id <input name=\"agent_id\" value=\"{id}\" required></label>\
<label>Name <input name=\"name\" value=\"{name}\" required></label>\
<label>Owner <input name=\"owner\" value=\"{owner}\" required></label>\
<label>Template <input name=\"template\" value=\"\"></label>\
<label>Rotation (days) <input name=\"rotation_days\" value=\"90\" inputmode=\"numeric\"></label>\
<button type=\"submit\">Register</button></form>",
        action = escape(&format!(
            "{PATH}/discovered/{}/register",
            urlencode(&d.client_id)
        )),
        csrf = html::token_field(token),
        id = escape(&d.client_id),
        name = escape(d.name.as_deref().unwrap_or(&d.client_id)),
        owner = escape(d.suggested_owner.as_deref().unwrap_or("")),
    );
    vec![
        format!(
            "<strong>{}</strong><br><code>{}</code>",
            escape(d.name.as_deref().unwrap_or("")),
            escape(&d.client_id)
        ),
        format!(
            "<span class=\"risk-{0}\">{0}</span> ({1})",
            escape(d.risk.as_str()),
            d.risk_score
        ),
        format!(
            "<ul>{}</ul>",
            d.evidence
                .iter()
                .map(|e| format!("<li>{}</li>", escape(e)))
                .collect::<String>()
        ),
        seen,
        form,
    ]
}

/// `POST /console/discovered/{client_id}/register`: registers the client as
/// an agent owned and sponsored by the named person, audited with the
/// admin as the actor. A refusal changes nothing and says why.
pub(super) async fn register(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = match posted(&console, &headers, &body) {
        Ok(f) => f,
        Err(refused) => return *refused,
    };
    match adopt(&console, &admin, &client_id, &fields) {
        Ok(agent_id) => {
            let page = show(
                &console,
                &admin,
                &headers,
                Some(format!(
                    "{}<p><a href=\"{}\">Open the agent</a></p>",
                    html::notice(
                        "ok",
                        &format!("Registered {client_id} as agent {agent_id}.")
                    ),
                    escape(&format!("{PATH}/agents/{}", urlencode(&agent_id)))
                )),
            );
            page.into_response()
        }
        Err(message) => {
            let mut page = show(
                &console,
                &admin,
                &headers,
                Some(html::notice("error", &message)),
            );
            *page.status_mut() = StatusCode::BAD_REQUEST;
            page
        }
    }
}

fn adopt(console: &Console, admin: &Admin, client_id: &str, f: &Fields) -> Result<String, String> {
    let discovery = console
        .inner
        .discovery
        .as_ref()
        .ok_or("discovery is not configured for this console")?;
    let rotation = match f.get("rotation_days") {
        "" => 90,
        days => days
            .parse::<i64>()
            .map_err(|_| "the rotation is a number of days".to_owned())?,
    };
    let mut adoption =
        Adoption::new(f.get("agent_id"), f.get("name"), f.get("owner")).rotation_days(rotation);
    if !f.get("template").is_empty() {
        adoption = adoption.template(f.get("template"));
    }
    if f.get("agent_id").is_empty() || f.get("name").is_empty() || f.get("owner").is_empty() {
        return Err("agent id, name and owner are required".into());
    }
    discovery
        .register(
            console.governance(),
            client_id,
            adoption,
            &Actor::user(admin.user.clone()),
        )
        .map(|report| report.agent.id)
        .map_err(|e| format!("Not registered: {e}"))
}
