//! The actions themselves: the SET, notifications, the approval gate,
//! blocking, logout and rotation.

use super::gate::Gate;
use super::policy::Action;
use super::responder::Responder;
use crate::detection::finding::Subject;
use crate::detection::risk::{RiskChange, RiskLevel};
use crate::kill_switch::{LogoutRequest, Target};
use crate::notify::Notification;
use crate::registry::{Actor, AgentStatus, Principal};
use crate::signals::{Event, EventKind, RiskLevel as CaepLevel, SubjectId};
use std::collections::BTreeSet;

/// Who the detector acts as in the registry and the kill switch.
const ACTOR: &str = "threat-detection";

fn caep(level: RiskLevel) -> CaepLevel {
    match level {
        RiskLevel::Low => CaepLevel::Low,
        RiskLevel::Medium => CaepLevel::Medium,
        RiskLevel::High => CaepLevel::High,
    }
}

impl Responder {
    /// Queues and pushes a CAEP 1.0 section 3.8 `risk-level-change` SET. An
    /// agent is a robotic user (CAEP 1.0 section 1): principal `USER`, named
    /// by a complex subject whose `application` is its client id.
    pub(super) async fn signal(&self, change: &RiskChange) -> Vec<String> {
        let Some(t) = &self.signals else {
            return Vec::new();
        };
        let a = &self.authority;
        let subject = match &change.subject {
            Subject::Agent(agent) => {
                SubjectId::complex([("application", SubjectId::Opaque(agent.clone()))])
            }
            Subject::User(user) => SubjectId::iss_sub(a.issuer(), user),
        };
        let reason = change
            .findings
            .last()
            .map(|f| f.detector.as_str().to_owned());
        let event = Event::new(
            EventKind::RiskLevelChange {
                principal: "USER".into(),
                current_level: caep(change.to),
                previous_level: Some(caep(change.from)),
                risk_reason: reason,
            },
            change.time,
        )
        .reason_admin(format!("risk {} -> {}", change.from, change.to));
        let Some(txn) = crate::provider::crypto::random_value() else {
            return Vec::new();
        };
        match t.emit(&subject, &event, &txn) {
            Ok(queued) => {
                t.flush().await;
                queued.into_iter().map(|q| q.jti).collect()
            }
            Err(error) => {
                tracing::error!(%error, "risk-level-change SET not queued");
                Vec::new()
            }
        }
    }

    pub(super) async fn act(
        &self,
        action: Action,
        agent: &str,
        change: &RiskChange,
    ) -> Result<(), String> {
        let reason = format!("risk {}: {}", change.to, change.reasons().join("; "));
        match action {
            Action::Notify => self.notify_agent_risk(agent, change).await,
            Action::RequireApproval => {
                self.gates.raise(agent, Gate::Approval);
                Ok(())
            }
            Action::Block => {
                self.gates.raise(agent, Gate::Blocked);
                self.block(agent, &reason)
            }
            Action::Logout => {
                let kill = self.kill.as_ref().ok_or("no kill switch configured")?;
                kill.fire(
                    &LogoutRequest::new(Target::Agent(agent.to_owned()), reason)
                        .requested_by(ACTOR),
                )
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
            }
            Action::Rotate => {
                let kill = self.kill.as_ref().ok_or("no kill switch configured")?;
                kill.rotate_agent_secret(agent, &reason)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Suspends the agent's registry record, or disables its client.
    fn block(&self, agent: &str, reason: &str) -> Result<(), String> {
        let registry = self.authority.registry();
        match registry.agent_of_client(agent).map_err(|e| e.to_string())? {
            Some(record) if record.status == AgentStatus::Active => registry
                .suspend(&record.id, Some(reason), &Actor::system(ACTOR))
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Some(_) => Ok(()),
            None => self
                .authority
                .disable_client(agent)
                .map_err(|e| e.to_string()),
        }
    }

    /// Tells the agent's owners, the security team and the users it acted for.
    async fn notify_agent_risk(&self, agent: &str, change: &RiskChange) -> Result<(), String> {
        let mut recipients: BTreeSet<String> = self.policy.team().iter().cloned().collect();
        let record = self
            .authority
            .registry()
            .agent_of_client(agent)
            .map_err(|e| e.to_string())?;
        let name = record.as_ref().map_or(agent, |r| r.id.as_str()).to_owned();
        if let Some(r) = &record {
            for owner in &r.owners {
                if let Principal::Person(p) = owner {
                    recipients.insert(p.clone());
                }
            }
            recipients.extend(r.sponsors.iter().cloned());
        }
        recipients.extend(change.findings.iter().filter_map(|f| f.user.clone()));
        let text = format!(
            "The risk of agent {name} rose from {} to {}: {}",
            change.from,
            change.to,
            change.reasons().join("; ")
        );
        self.send(
            Notification::new(
                "agent_risk_changed",
                recipients.into_iter().collect(),
                text,
                change.time,
            )
            .subject(name)
            .detail("level", change.to.as_str()),
        )
        .await
    }

    pub(super) async fn notify_user_risk(
        &self,
        user: &str,
        change: &RiskChange,
    ) -> Result<(), String> {
        let mut recipients: BTreeSet<String> = self.policy.team().iter().cloned().collect();
        recipients.insert(user.to_owned());
        let text = format!(
            "Activity on behalf of {user} rose to risk {}: {}",
            change.to,
            change.reasons().join("; ")
        );
        self.send(
            Notification::new(
                "user_risk_changed",
                recipients.into_iter().collect(),
                text,
                change.time,
            )
            .subject(user.to_owned())
            .detail("level", change.to.as_str()),
        )
        .await
    }

    async fn send(&self, notification: Notification) -> Result<(), String> {
        let notifier = self
            .notifier
            .clone()
            .or_else(|| self.authority.registry().state().notifier())
            .ok_or("no notifier configured")?;
        notifier
            .notify(&notification)
            .await
            .map_err(|e| e.to_string())
    }
}
