//! Phase 8: the agent reads CRM records 500 times in ten minutes (the CRM
//! server's clock is moved through the ten minutes). mcp-guard records each
//! decision in the authority's audit log; the detection engine following
//! the log raises the agent's risk; the responder carries out the response
//! policy: the security team and Sarah are told, the agent is blocked and
//! the kill switch logs it out everywhere (the guard refuses its token, the
//! vault wipes the tokens it held for Sarah). The evidence is in the log.

use crate::agent::step;
use crate::phase3_crm::Session;
use crate::timeline::Timeline;
use crate::world::{AGENT, World};
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::audit_log::AuditQuery;
use reference_authority::detection::{ResponseReport, RiskLevel, Subject};
use serde_json::json;
use std::error::Error;

/// How many reads the agent attempts, and over how many seconds.
const READS: i64 = 500;
const SECONDS: i64 = 600;

/// The agent reads the CRM record once, at `time` on the CRM server's clock.
async fn read(w: &World, session: &Session, time: i64) -> Result<bool, Box<dyn Error>> {
    w.crm_clock.set(time);
    let read = step(
        &session.tools,
        &w.tool_audit,
        "Export every CRM record",
        "read_resource",
        json!({"uri": "crm://contacts/acme-corp"}),
    )
    .await?;
    Ok(read.decision() == "allowed")
}

/// mcp-guard's last decision, from the audit log: its reason when it
/// refused (a refused token names no agent: the guard did not accept it).
fn guard_refusal(w: &World) -> Result<String, Box<dyn Error>> {
    let decisions = w
        .log
        .query(&AuditQuery::new().action(AuditAction::AuthorizationDecision))?;
    let last = decisions.last().ok_or("mcp-guard decided nothing")?;
    Ok(match last.event.outcome {
        Outcome::Success => "allowed".to_owned(),
        _ => last
            .event
            .reason
            .clone()
            .unwrap_or_else(|| "refused".to_owned()),
    })
}

/// Runs phase 8.
pub(crate) async fn run(
    w: &World,
    t: &mut Timeline,
    session: &Session,
) -> Result<(), Box<dyn Error>> {
    t.phase(
        8,
        "500 records in ten minutes: risk HIGH, blocked, logged out",
    );
    let start = w.clock.now();
    let before = w.control.detector.agent_level(AGENT, start);
    let mut served = 0;
    let mut responses: Vec<ResponseReport> = Vec::new();
    // The agent sets out to read 500 times and stops at its first refusal.
    for i in 0..READS {
        if !read(w, session, start + i * SECONDS / READS).await? {
            break;
        }
        served += 1;
        // The control point's loop: the responder acts on what the detector found.
        responses.extend(w.control.responder.process_pending().await);
    }
    let refusal = guard_refusal(w)?;
    t.record(
        8,
        format!(
            "{READS} CRM reads in {} minutes through mcp-guard",
            SECONDS / 60
        ),
        if served < READS { "cut off" } else { "served" },
        format!(
            "{served} served, then mcp-guard refused read {}: {refusal}",
            served + 1
        ),
    );

    let agent = Subject::Agent(AGENT.to_owned());
    let high = responses
        .iter()
        .find(|r| r.change.subject == agent && r.change.to == RiskLevel::High)
        .ok_or("the agent's risk never reached HIGH")?;
    t.record(
        8,
        "detection engine: the agent's risk",
        "high",
        format!(
            "{} -> {} (score {}): {}",
            before.as_str(),
            high.change.to.as_str(),
            high.change.score.round(),
            high.change.reasons().join("; ")
        ),
    );
    let actions: Vec<String> = high
        .actions
        .iter()
        .map(|(action, result)| match result {
            Ok(()) => format!("{} done", action.as_str()),
            Err(e) => format!("{} failed: {e}", action.as_str()),
        })
        .collect();
    t.record(
        8,
        "response policy for HIGH",
        if high.actions.iter().all(|(_, r)| r.is_ok()) {
            "carried out"
        } else {
            "incomplete"
        },
        actions.join(", "),
    );

    let after = read(w, session, start + SECONDS).await?;
    t.record(
        8,
        "after the logout: the agent's token at mcp-guard",
        if after { "allowed" } else { "denied" },
        guard_refusal(w)?,
    );
    let salesforce = step(
        &session.tools,
        &w.tool_audit,
        "Move the Acme renewal to closed",
        "update_opportunity",
        json!({"stage": "closed"}),
    )
    .await?;
    t.record(
        8,
        "after the logout: Sarah's Salesforce token from the vault",
        salesforce.decision(),
        salesforce.reason(),
    );

    for note in w.control.inbox.sent() {
        t.record(
            8,
            format!("notification `{}`", note.topic),
            "sent",
            format!("to {}: {}", note.recipients.join(", "), note.text),
        );
    }

    let count = |action: AuditAction| -> Result<usize, Box<dyn Error>> {
        Ok(w.log.query(&AuditQuery::new().action(action))?.len())
    };
    t.record(
        8,
        "evidence in the authority's audit log",
        "kept",
        format!(
            "{} risk change, {} logout, {} revocation entries; log size {}",
            count(AuditAction::RiskChanged)?,
            count(AuditAction::Logout)?,
            count(AuditAction::TokenRevoked)?,
            w.log.size()
        ),
    );
    Ok(())
}
