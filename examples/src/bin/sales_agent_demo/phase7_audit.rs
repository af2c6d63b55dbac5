//! Phase 7: the security team reads the agent's audit trail from the
//! authority's tamper-evident audit log (RFC 6962 Merkle tree, signed
//! checkpoint) and checks each entry's inclusion proof against the signed
//! root.

use crate::timeline::Timeline;
use crate::world::{AGENT, World};
use agent_auth::audit::{AuditAction, Outcome};
use reference_authority::audit_log::{AuditQuery, Hash, verify_inclusion};
use std::collections::BTreeMap;
use std::error::Error;

/// Runs phase 7.
pub(crate) fn run(w: &World, t: &mut Timeline) -> Result<(), Box<dyn Error>> {
    t.phase(7, "The security team reads the agent's audit trail");
    let checkpoint = w.log.checkpoint();
    let body = w.log.verifier().open(&checkpoint)?;
    let size = w.log.size();
    t.record(
        7,
        "signed checkpoint of the authority's audit log",
        "verified",
        format!(
            "{} entries, origin {}",
            size,
            body.lines().next().unwrap_or("")
        ),
    );

    let root = w
        .log
        .root_at(size)
        .ok_or("the log has no root at its size")?;
    let trail = w.log.query(&AuditQuery::new().agent(AGENT))?;
    let mut proven = 0;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for entry in &trail {
        let leaf = Hash::leaf(&w.log.entry_bytes(entry.index)?);
        let proof = w.log.inclusion_proof(entry.index, size)?;
        verify_inclusion(entry.index, size, leaf, &proof, &root)?;
        proven += 1;
        let outcome = match entry.event.outcome {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            _ => "error",
        };
        let action = match &entry.event.action {
            AuditAction::Other(name) => name.clone(),
            known => serde_json::to_value(known)?
                .as_str()
                .unwrap_or("other")
                .to_owned(),
        };
        *counts.entry(format!("{action} {outcome}")).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    t.record(
        7,
        format!("the agent's trail ({AGENT}), each entry's inclusion proof"),
        if proven == trail.len() && proven > 0 {
            "verified"
        } else {
            "incomplete"
        },
        format!(
            "{proven} of {} entries proven: {}",
            trail.len(),
            summary.join(", ")
        ),
    );
    Ok(())
}
