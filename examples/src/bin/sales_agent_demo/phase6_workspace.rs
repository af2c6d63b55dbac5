//! Phase 6: Sarah connects her Google account to Acme's vault (connected
//! accounts: code flow with PKCE at the Google stand-in, the demo playing
//! her sign-in and consent). The agent saves the proposal to Drive, mails
//! it and schedules the review in Calendar; each tool gets Sarah's Google
//! token from the vault through the credential layer and calls the
//! provider with it. Five minutes later the token is within the vault's
//! refresh margin, and the vault refreshes it at Google before use.

use crate::agent::step;
use crate::connected::{CONNECTION, GOOGLE_SCOPES};
use crate::phase3_crm::Session;
use crate::timeline::Timeline;
use crate::world::{AGENT, SARAH, TENANT, World};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::tool::{ToolCall, ToolError, ToolOutput, tool_fn};
use agent_auth_rig::{GuardedTool, Guards};
use reference_authority::audit_log::AuditQuery;
use serde_json::{Value, json};
use std::error::Error;
use token_vault_client::Accessor;

/// How far the vault's clock moves before the Calendar call: Google's
/// access tokens live 600 s, the vault refreshes 300-360 s before expiry.
const LATER: i64 = 300;

/// Sarah connects Google to the vault; returns the stored version.
async fn connect(w: &World) -> Result<u64, Box<dyn Error>> {
    let accessor = Accessor::trusted_system(TENANT, SARAH, AGENT);
    let url = w.connected.flow.start(&accessor, &GOOGLE_SCOPES)?;
    let back = crate::sarah::consent_at_google(w, &url).await?;
    Ok(w.connected.flow.complete(&back).await?)
}

/// A Google tool: `scope` from the vault, then the provider called with it
/// (its userinfo endpoint stands for the Drive, Gmail or Calendar API).
fn google_tool(
    w: &World,
    session: &Session,
    name: &str,
    description: &str,
    scope: &str,
) -> Result<GuardedTool, Box<dyn Error>> {
    let guards = Guards::new(w.audit_layer()).credential(w.credential_layer(
        session.refresh.as_ref(),
        CONNECTION,
        scope,
    )?);
    let userinfo = w.connected.userinfo.clone();
    let done = name.to_owned();
    let tool = tool_fn(move |call: ToolCall| {
        let (userinfo, done) = (userinfo.clone(), done.clone());
        async move {
            let credential = crate::vault_tools::credential(&call)?;
            let token = credential.token().expose_secret().to_owned();
            let from = credential.connection().to_owned();
            let me: Value = reqwest::Client::new()
                .get(&userinfo)
                .bearer_auth(token)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| ToolError::tool(format!("Google refused: {}", e.without_url())))?
                .json()
                .await
                .map_err(|_| ToolError::tool("Google answered no JSON"))?;
            Ok(ToolOutput::json(json!({
                "done": done,
                "google_account": me.get("email"),
                "credential_from": from,
            })))
        }
    });
    Ok(GuardedTool::new(
        name,
        description,
        json!({"type": "object", "properties": {}}),
        guards.wrap(tool),
        session.context.clone(),
    ))
}

/// Runs phase 6.
pub(crate) async fn run(
    w: &World,
    t: &mut Timeline,
    session: &Session,
) -> Result<(), Box<dyn Error>> {
    t.phase(
        6,
        "Drive, Gmail and Calendar through the vault's connected accounts",
    );
    w.vault_clock.set(w.clock.now());
    let version = connect(w).await?;
    t.record(
        6,
        "Sarah connects her Google account to the vault",
        "connected",
        format!(
            "scopes {}, stored as version {version}",
            GOOGLE_SCOPES.join(" ")
        ),
    );
    let tools = [
        ("save_to_drive", "Save the proposal to Drive", "drive.file"),
        ("send_email", "Mail the proposal", "gmail.send"),
        ("schedule_meeting", "Schedule the review", "calendar.events"),
    ]
    .into_iter()
    .map(|(name, description, scope)| google_tool(w, session, name, description, scope))
    .collect::<Result<Vec<_>, _>>()?;
    for (tool, label) in [
        ("save_to_drive", "Drive: save the Acme proposal"),
        ("send_email", "Gmail: send it to Jane Doe"),
    ] {
        let done = step(&tools, &w.tool_audit, label, tool, json!({})).await?;
        t.record(6, label, done.decision(), done.reason());
    }

    w.vault_clock.advance(LATER);
    let meeting = step(
        &tools,
        &w.tool_audit,
        "Schedule the proposal review",
        "schedule_meeting",
        json!({}),
    )
    .await?;
    t.record(
        6,
        "Calendar, five minutes later: schedule the review",
        meeting.decision(),
        meeting.reason(),
    );
    let refreshed = w
        .log
        .query(&AuditQuery::new().action(AuditAction::TokenRefreshed))?
        .into_iter()
        .filter(|e| {
            e.event.details.get("connection") == Some(&json!(CONNECTION))
                && e.event.outcome == Outcome::Success
        })
        .count();
    t.record(
        6,
        "the vault refreshes Sarah's Google token ahead of expiry",
        if refreshed > 0 { "refreshed" } else { "not refreshed" },
        format!(
            "{refreshed} token_refreshed at Google's token endpoint, before the Calendar call (access tokens live 600 s; the vault's margin is 300 s plus jitter)"
        ),
    );
    Ok(())
}
