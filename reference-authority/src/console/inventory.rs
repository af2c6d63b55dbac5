//! The agent inventory: every agent with status, owners, sponsors, risk and
//! last activity; filtered through the registry's indexes and paginated on
//! the server, so a page costs the same with 10 or 10,000 agents.

use super::access::Admin;
use super::form::Fields;
use super::html::{self, escape};
use super::{Console, PAGE, PATH};
use crate::registry::{AgentLookup, AgentRecord, Principal, RegistryError};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::BTreeSet;

/// `GET /console/?name=&owner=&active=&page=`.
pub(super) async fn page(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let q = Fields::query(query.as_deref());
    let ids = match matching(&console, &q) {
        Ok(ids) => ids,
        Err(e) => return html::refused(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let pages = ids.len().div_ceil(PAGE).max(1);
    let page = q.get("page").parse::<usize>().unwrap_or(1).clamp(1, pages);
    let registry = console.authority().registry();
    let mut rows = Vec::new();
    for id in ids.iter().skip((page - 1) * PAGE).take(PAGE) {
        match registry.agent(id) {
            Ok(Some(agent)) => rows.push(row(&console, &agent)),
            Ok(None) => {}
            Err(e) => return html::refused(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        }
    }
    let total = ids.len();
    html::render(&console, &headers, &admin, "Agents", |_| {
        format!(
            "{filters}<p id=\"agent-count\">{total} agents, page {page} of {pages}</p>{table}{pager}",
            filters = filters(&q),
            table = html::table(
                "agents",
                &[
                    "Agent",
                    "Status",
                    "Owners",
                    "Sponsors",
                    "Risk",
                    "Last activity"
                ],
                rows
            ),
            pager = pager(&q, page, pages),
        )
    })
}

/// The ids of the agents the filters select, in id order.
fn matching(console: &Console, q: &Fields) -> Result<Vec<String>, RegistryError> {
    let registry = console.authority().registry();
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    let name = q.get("name");
    if !name.is_empty() {
        sets.push(
            registry
                .lookup(&AgentLookup::NamePrefix(name.into()))?
                .into_iter()
                .collect(),
        );
    }
    let owner = q.get("owner");
    if !owner.is_empty() {
        sets.push(
            registry
                .lookup(&AgentLookup::Owner(owner.into()))?
                .into_iter()
                .collect(),
        );
    }
    match q.get("active") {
        "yes" => sets.push(
            registry
                .lookup(&AgentLookup::Active(true))?
                .into_iter()
                .collect(),
        ),
        "no" => sets.push(
            registry
                .lookup(&AgentLookup::Active(false))?
                .into_iter()
                .collect(),
        ),
        _ => {}
    }
    if sets.is_empty() {
        let mut all: BTreeSet<String> = registry
            .lookup(&AgentLookup::Active(true))?
            .into_iter()
            .collect();
        all.extend(registry.lookup(&AgentLookup::Active(false))?);
        return Ok(all.into_iter().collect());
    }
    let mut sets = sets.into_iter();
    let first = sets.next().unwrap_or_default();
    Ok(sets
        .fold(first, |acc, s| acc.intersection(&s).cloned().collect())
        .into_iter()
        .collect())
}

fn row(console: &Console, agent: &AgentRecord) -> Vec<String> {
    let level = console.risk_of(agent);
    let last = agent
        .clients
        .iter()
        .filter_map(|c| console.inner.activity.last(c))
        .max();
    vec![
        format!(
            "<a href=\"{}\">{}</a><br><code>{}</code>",
            escape(&format!("{PATH}/agents/{}", urlencode(&agent.id))),
            escape(&agent.name),
            escape(&agent.id)
        ),
        escape(agent.status.as_str()),
        escape(&owners(&agent.owners)),
        escape(&agent.sponsors.join(", ")),
        format!("<span class=\"risk-{0}\">{0}</span>", escape(&level)),
        last.map(html::time).unwrap_or_else(|| "none seen".into()),
    ]
}

/// Owners as text: people by id, groups marked.
pub(super) fn owners(owners: &[Principal]) -> String {
    owners
        .iter()
        .map(|o| match o {
            Principal::Person(id) => id.clone(),
            Principal::Group(id) => format!("group {id}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A path segment, percent-encoded.
pub(super) fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn filters(q: &Fields) -> String {
    let selected = |v: &str| {
        if q.get("active") == v {
            " selected"
        } else {
            ""
        }
    };
    format!(
        "<form method=\"get\" action=\"{PATH}/\" id=\"filters\">\
<label>Name starts with <input name=\"name\" value=\"{}\"></label>\
<label>Owner <input name=\"owner\" value=\"{}\"></label>\
<label>Status <select name=\"active\"><option value=\"\">any</option>\
<option value=\"yes\"{}>active</option><option value=\"no\"{}>not active</option></select></label>\
<button type=\"submit\">Filter</button></form>",
        escape(q.get("name")),
        escape(q.get("owner")),
        selected("yes"),
        selected("no"),
    )
}

fn pager(q: &Fields, page: usize, pages: usize) -> String {
    let link = |p: usize, label: &str, rel: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("name", q.get("name"))
            .append_pair("owner", q.get("owner"))
            .append_pair("active", q.get("active"))
            .append_pair("page", &p.to_string())
            .finish();
        format!(
            "<a rel=\"{rel}\" href=\"{}\">{label}</a>",
            escape(&format!("{PATH}/?{query}"))
        )
    };
    let mut out = String::from("<p class=\"pager\">");
    if page > 1 {
        out.push_str(&link(page - 1, "Previous page", "prev"));
    }
    if page < pages {
        out.push_str(&link(page + 1, "Next page", "next"));
    }
    out.push_str("</p>");
    out
}
