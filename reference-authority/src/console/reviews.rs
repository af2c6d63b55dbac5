//! The signed-in reviewer's inbox: open review items they may decide, each
//! certified or revoked with a reason (audited by governance).

use super::access::Admin;
use super::form::posted;
use super::html::{self, escape};
use super::inventory::urlencode;
use super::{Console, PATH};
use crate::governance::agents::label;
use crate::governance::reviews::ReviewDecision;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// `GET /console/reviews`.
pub(super) async fn page(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
) -> Response {
    show(&console, &admin, &headers, None, StatusCode::OK)
}

fn show(
    console: &Console,
    admin: &Admin,
    headers: &HeaderMap,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let inbox = match console.governance().review_inbox(&admin.user) {
        Ok(inbox) => inbox,
        Err(e) => return html::refused(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let mut page = html::render(console, headers, admin, "Reviews", |token| {
        let rows = inbox.iter().map(|i| {
            vec![
                escape(&i.campaign),
                format!(
                    "<a href=\"{}\">{}</a>",
                    escape(&format!("{PATH}/agents/{}", urlencode(&i.item.agent))),
                    escape(&i.item.agent)
                ),
                escape(&label(&i.item.entitlement)),
                html::time(i.deadline),
                format!(
                    "<form method=\"post\" action=\"{PATH}/reviews/decide\">{}\
<input type=\"hidden\" name=\"campaign\" value=\"{}\"><input type=\"hidden\" name=\"item\" value=\"{}\">\
<label>Reason <input name=\"reason\" required></label>\
<button type=\"submit\" name=\"decision\" value=\"certify\">Certify</button>\
<button type=\"submit\" name=\"decision\" value=\"revoke\" class=\"danger\">Revoke</button></form>",
                    html::token_field(token),
                    escape(&i.campaign),
                    escape(&i.item.id)
                ),
            ]
        });
        format!(
            "{}<p>Items of open campaigns waiting for your decision.</p>{}",
            notice.unwrap_or_default(),
            html::table(
                "inbox",
                &["Campaign", "Agent", "Entitlement", "Deadline", "Decision"],
                rows
            )
        )
    });
    *page.status_mut() = status;
    page
}

/// `POST /console/reviews/decide`.
pub(super) async fn decide(
    State(console): State<Console>,
    admin: Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = match posted(&console, &headers, &body) {
        Ok(f) => f,
        Err(refused) => return *refused,
    };
    let decision = match f.get("decision") {
        "certify" => ReviewDecision::Certify,
        "revoke" => ReviewDecision::Revoke,
        _ => {
            let n = html::notice("error", "choose certify or revoke");
            return show(&console, &admin, &headers, Some(n), StatusCode::BAD_REQUEST);
        }
    };
    if f.get("reason").is_empty() {
        let n = html::notice("error", "a decision needs a reason");
        return show(&console, &admin, &headers, Some(n), StatusCode::BAD_REQUEST);
    }
    match console
        .governance()
        .decide_review(
            f.get("campaign"),
            f.get("item"),
            &admin.user,
            decision,
            f.get("reason"),
        )
        .await
    {
        Ok(item) => {
            let outcome = item
                .decision
                .map(|d| format!("{:?}", d.outcome))
                .unwrap_or_default();
            let n = html::notice(
                "ok",
                &format!("{outcome}: {} of {}.", label(&item.entitlement), item.agent),
            );
            show(&console, &admin, &headers, Some(n), StatusCode::OK)
        }
        Err(e) => {
            let n = html::notice("error", &format!("Not decided: {e}"));
            show(&console, &admin, &headers, Some(n), StatusCode::BAD_REQUEST)
        }
    }
}
