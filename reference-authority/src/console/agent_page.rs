//! One agent: its record, entitlements, dependency map, live access tokens,
//! approvals, and its audit timeline with each entry's inclusion proof
//! checked against the log's current root (RFC 9162 section 2.1.3.2).

use super::access::Admin;
use super::html::{self, escape};
use super::inventory::{owners, urlencode};
use super::{Console, PATH};
use crate::audit_log::{AuditQuery, Hash, LogEntry, verify_inclusion};
use crate::governance::agents::label;
use crate::registry::{AgentRecord, GrantOrigin};
use agent_auth::audit::AuditAction;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// How far back the timeline looks.
const TIMELINE_WINDOW: i64 = 30 * 86_400;
/// Entries shown, newest first.
const TIMELINE_LEN: usize = 50;

/// `GET /console/agents/{id}`.
pub(super) async fn page(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let registry = console.authority().registry();
    let agent = match find(&console, &id) {
        Ok(agent) => agent,
        Err(refused) => return *refused,
    };
    let dependencies = registry
        .dependencies(&id)
        .map(|d| {
            vec![
                ("Resources", d.resources.into_iter().collect::<Vec<_>>()),
                ("Scopes", d.scopes.into_iter().collect()),
                (
                    "Managed connections",
                    d.managed_connections.into_iter().collect(),
                ),
                (
                    "Vault connections",
                    d.vault_connections.into_iter().collect(),
                ),
                (
                    "FGA relations",
                    d.fga_relations
                        .into_iter()
                        .map(|(o, r)| format!("{r} on {o}"))
                        .collect(),
                ),
                ("Acts for", d.delegated_users.into_iter().collect()),
            ]
        })
        .unwrap_or_default();
    let timeline = timeline(&console, &agent);
    let tokens = tokens(&console, &agent);
    html::render(&console, &headers, &admin, &agent.name, |_| {
        format!(
            "{summary}<h2>Entitlements</h2>{entitlements}<h2>Dependency map</h2>{deps}\
<h2>Live access tokens</h2>{tokens}<h2>Approvals</h2>{approvals}\
<h2>Audit timeline</h2>{proof}{timeline}\
<p><a class=\"danger\" href=\"{logout}\">Kill switch: log this agent out everywhere</a></p>",
            summary = summary(&console, &agent),
            entitlements = entitlements(&agent),
            deps = html::table(
                "dependencies",
                &["Kind", "Reached"],
                dependencies
                    .into_iter()
                    .map(|(k, v)| vec![escape(k), escape(&v.join(", "))]),
            ),
            approvals = html::table(
                "approvals",
                &["Time", "Event", "Outcome", "User", "Detail"],
                timeline
                    .entries
                    .iter()
                    .filter(|(e, _)| {
                        matches!(
                            e.event.action,
                            AuditAction::ApprovalRequested | AuditAction::ApprovalDecided
                        )
                    })
                    .map(|(e, _)| event_cells(e)),
            ),
            proof = html::notice(
                if timeline.all_proven { "ok" } else { "error" },
                &timeline.status
            ),
            timeline = html::table(
                "timeline",
                &[
                    "Time",
                    "Event",
                    "Outcome",
                    "User",
                    "Detail",
                    "Entry",
                    "Inclusion proof"
                ],
                timeline.entries.iter().map(|(e, ok)| {
                    let mut cells = event_cells(e);
                    cells.push(e.index.to_string());
                    cells.push(if *ok {
                        "verified".into()
                    } else {
                        "<strong class=\"error\">FAILED</strong>".into()
                    });
                    cells
                }),
            ),
            logout = escape(&format!("{PATH}/agents/{}/logout", urlencode(&agent.id))),
        )
    })
}

fn summary(console: &Console, agent: &AgentRecord) -> String {
    let rows = [
        ("Id", agent.id.clone()),
        ("Status", agent.status.as_str().to_owned()),
        ("Purpose", agent.purpose.clone().unwrap_or_default()),
        ("Owners", owners(&agent.owners)),
        ("Sponsors", agent.sponsors.join(", ")),
        ("OAuth clients", agent.clients.join(", ")),
        (
            "Business unit",
            agent.business_unit.clone().unwrap_or_default(),
        ),
        ("Source", format!("{:?}", agent.source)),
        ("Risk", console.risk_of(agent)),
        ("Created", html::time(agent.meta.created)),
        ("Updated", html::time(agent.meta.updated)),
    ];
    html::table(
        "summary",
        &["Attribute", "Value"],
        rows.into_iter().map(|(k, v)| vec![escape(k), escape(&v)]),
    )
}

fn entitlements(agent: &AgentRecord) -> String {
    html::table(
        "entitlements",
        &["Entitlement", "Origin", "Granted", "Expires"],
        agent.entitlements.iter().map(|g| {
            let origin = match &g.origin {
                GrantOrigin::Direct => "direct".to_owned(),
                GrantOrigin::Template(t) => format!("template {t}"),
                GrantOrigin::JustInTime(r) => format!("just in time ({r})"),
            };
            vec![
                escape(&label(&g.entitlement)),
                escape(&origin),
                html::time(g.granted),
                g.expires
                    .map(html::time)
                    .unwrap_or_else(|| "until revoked".into()),
            ]
        }),
    )
}

/// Live (unexpired, unrevoked) access tokens of the agent's clients: `jti`,
/// user, expiry. The token itself is never stored, so it cannot be shown.
fn tokens(console: &Console, agent: &AgentRecord) -> String {
    let authority = console.authority();
    let live =
        crate::kill_switch::ledger::live(authority, |t| agent.clients.contains(&t.client_id))
            .unwrap_or_default()
            .into_iter()
            .filter(|(jti, _)| !authority.is_access_token_revoked(jti));
    html::table(
        "tokens",
        &["jti", "Client", "User", "Expires"],
        live.map(|(jti, t)| {
            vec![
                format!("<code>{}</code>", escape(&jti)),
                escape(&t.client_id),
                escape(t.user_id.as_deref().unwrap_or("(itself)")),
                html::time(t.exp),
            ]
        }),
    )
}

fn event_cells(e: &LogEntry) -> Vec<String> {
    let ev = &e.event;
    let mut detail = ev.target.clone().unwrap_or_default();
    if let Some(reason) = &ev.reason {
        if !detail.is_empty() {
            detail.push_str(": ");
        }
        detail.push_str(reason);
    }
    vec![
        html::time(ev.time),
        escape(&format!("{:?}", ev.action)),
        escape(&format!("{:?}", ev.outcome)),
        escape(ev.user.as_deref().unwrap_or("")),
        escape(&detail),
    ]
}

/// The newest entries of the agent's clients, each with its proof result.
struct Timeline {
    entries: Vec<(LogEntry, bool)>,
    all_proven: bool,
    status: String,
}

fn timeline(console: &Console, agent: &AgentRecord) -> Timeline {
    let log = &console.inner.log;
    let size = log.size();
    let root = log.root();
    let since = console.authority().now() - TIMELINE_WINDOW;
    let mut entries: Vec<LogEntry> = Vec::new();
    for client in &agent.clients {
        if let Ok(found) = log.query(&AuditQuery::new().agent(client.clone()).since(since)) {
            entries.extend(found);
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.index));
    entries.truncate(TIMELINE_LEN);
    let entries: Vec<(LogEntry, bool)> = entries
        .into_iter()
        .map(|e| {
            let ok = proven(log, &e, size, &root);
            (e, ok)
        })
        .collect();
    let all_proven = entries.iter().all(|(_, ok)| *ok);
    let status = format!(
        "{} of {} entries shown proven included in the log of {size} entries (root {})",
        entries.iter().filter(|(_, ok)| *ok).count(),
        entries.len(),
        root.to_hex()
    );
    Timeline {
        entries,
        all_proven,
        status,
    }
}

/// Whether the stored bytes of `entry` hash to a leaf the log proves is at
/// its index under `root`.
fn proven(log: &crate::audit_log::AuditLog, entry: &LogEntry, size: u64, root: &Hash) -> bool {
    let Ok(bytes) = log.entry_bytes(entry.index) else {
        return false;
    };
    let Ok(proof) = log.inclusion_proof(entry.index, size) else {
        return false;
    };
    verify_inclusion(entry.index, size, Hash::leaf(&bytes), &proof, root).is_ok()
}

/// The agent `id`, or the refusal page to answer (boxed: a response is
/// large next to the record).
pub(super) fn find(console: &Console, id: &str) -> Result<AgentRecord, Box<Response>> {
    match console.authority().registry().agent(id) {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(Box::new(html::refused(
            StatusCode::NOT_FOUND,
            "no such agent",
        ))),
        Err(e) => Err(Box::new(html::refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            &e.to_string(),
        ))),
    }
}
