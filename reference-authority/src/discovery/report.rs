//! The discovery report: discovered agents and unknown clients, and the scan
//! that makes it.

use super::Discovery;
use super::adopt::DiscoveryError;
use super::classify::{acts_like_agent, signals};
use crate::detection::RiskLevel;
use crate::provider::model::ClientRecord;
use crate::{Authority, Table};
use serde::Serialize;
use serde_json::Value;

/// A client that acts like an agent but has no agent record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DiscoveredAgent {
    /// Its OAuth client id.
    pub client_id: String,
    /// Its registered display name.
    pub name: Option<String>,
    /// Why it looks like an agent, one sentence each.
    pub evidence: Vec<String>,
    /// 0-100.
    pub risk_score: u32,
    /// The score as a level (HIGH from 60, MEDIUM from 30).
    pub risk: RiskLevel,
    /// Who should own it: the person who registered it (the client
    /// metadata `registered_by`), else the user who most often delegated to it.
    pub suggested_owner: Option<String>,
    /// When the stream first and last showed it.
    pub first_seen: Option<i64>,
    /// See `first_seen`.
    pub last_seen: Option<i64>,
}

/// A client id whose tokens were presented at guarded resources but which
/// the authority does not know (another issuer's client, a forged or
/// leftover token).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UnknownClient {
    /// The client id the tokens named.
    pub client_id: String,
    /// How many presentations.
    pub presentations: u64,
    /// At which resource servers, with how many each.
    pub resource_servers: Vec<(String, u64)>,
    /// When first and last seen.
    pub first_seen: i64,
    /// See `first_seen`.
    pub last_seen: i64,
}

/// What a scan found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DiscoveryReport {
    /// Unregistered agents, highest risk first.
    pub discovered: Vec<DiscoveredAgent>,
    /// Unknown clients, most presentations first.
    pub unknown_clients: Vec<UnknownClient>,
}

impl Discovery {
    /// Lists the authority's clients that act like agents and are linked to
    /// no agent record, and the client ids the stream shows that the
    /// authority does not know.
    pub fn scan(&self, authority: &Authority) -> Result<DiscoveryReport, DiscoveryError> {
        let clients: Vec<(String, ClientRecord)> = authority
            .tables()
            .scan(Table::Clients)
            .map_err(|e| DiscoveryError::Step {
                step: "clients",
                reason: e.to_string(),
            })?;
        let registry = authority.registry();
        let evidence = self.evidence();
        let mut report = DiscoveryReport::default();
        for (_, record) in &clients {
            let linked = registry.agent_of_client(&record.client_id)?.is_some();
            if linked {
                continue;
            }
            let ev = evidence.get(&record.client_id);
            let (found, score) = signals(&record.client_id, Some(record), ev);
            if !acts_like_agent(&found) {
                continue;
            }
            let registered_by = record
                .metadata
                .get("registered_by")
                .and_then(Value::as_str)
                .map(str::to_owned);
            report.discovered.push(DiscoveredAgent {
                client_id: record.client_id.clone(),
                name: record.name.clone(),
                evidence: found,
                risk_score: score,
                risk: match score {
                    60.. => RiskLevel::High,
                    30..=59 => RiskLevel::Medium,
                    _ => RiskLevel::Low,
                },
                suggested_owner: registered_by
                    .or_else(|| ev.and_then(|e| e.top_delegator().map(str::to_owned))),
                first_seen: ev.map(|e| e.first_seen),
                last_seen: ev.map(|e| e.last_seen),
            });
        }
        for (client_id, ev) in evidence.iter() {
            if ev.presentations == 0 || clients.iter().any(|(_, r)| &r.client_id == client_id) {
                continue;
            }
            report.unknown_clients.push(UnknownClient {
                client_id: client_id.clone(),
                presentations: ev.presentations,
                resource_servers: ev
                    .resource_servers
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                first_seen: ev.first_seen,
                last_seen: ev.last_seen,
            });
        }
        report.discovered.sort_by(|a, b| {
            b.risk_score
                .cmp(&a.risk_score)
                .then_with(|| a.client_id.cmp(&b.client_id))
        });
        report.unknown_clients.sort_by(|a, b| {
            b.presentations
                .cmp(&a.presentations)
                .then_with(|| a.client_id.cmp(&b.client_id))
        });
        Ok(report)
    }
}
