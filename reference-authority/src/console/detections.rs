//! Detections and the responses they caused, read from the audit log (the
//! one record of both): risk changes, anomalies, and each response taken.

use super::Console;
use super::access::Admin;
use super::html::{self, escape};
use crate::audit_log::{AuditQuery, LogEntry};
use agent_auth::audit::AuditAction;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

/// How far back the page looks.
const WINDOW: i64 = 30 * 86_400;
/// Entries shown, newest first.
const SHOWN: usize = 200;

/// `GET /console/detections`.
pub(super) async fn page(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
) -> Response {
    let since = console.authority().now() - WINDOW;
    let mut entries: Vec<LogEntry> = Vec::new();
    for action in [
        AuditAction::RiskChanged,
        AuditAction::Other("anomaly_detected".into()),
        AuditAction::Other("detection_response".into()),
    ] {
        if let Ok(found) = console
            .inner
            .log
            .query(&AuditQuery::new().action(action).since(since))
        {
            entries.extend(found);
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.index));
    entries.truncate(SHOWN);
    html::render(
        &console,
        &headers,
        &admin,
        "Detections and responses",
        |_| {
            html::table(
                "detections",
                &["Time", "Agent", "Event", "Detail", "Reason"],
                entries.iter().map(|e| {
                    let ev = &e.event;
                    let kind = match &ev.action {
                        AuditAction::RiskChanged => "risk changed".to_owned(),
                        AuditAction::Other(name) => name.replace('_', " "),
                        other => format!("{other:?}"),
                    };
                    let detail = ["from", "to", "detector", "response"]
                        .iter()
                        .filter_map(|k| {
                            ev.details
                                .get(*k)
                                .and_then(|v| v.as_str())
                                .map(|v| format!("{k} {v}"))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    vec![
                        html::time(ev.time),
                        escape(ev.agent.as_deref().unwrap_or("")),
                        escape(&kind),
                        escape(&detail),
                        escape(ev.reason.as_deref().unwrap_or("")),
                    ]
                }),
            )
        },
    )
}
