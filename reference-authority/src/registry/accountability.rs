//! The accountability invariant: no ACTIVE agent without an active owner and
//! an active human sponsor. Checked on activation and on every change to
//! owners and sponsors; held when people leave (sponsorship moves to their
//! manager, or the agent is suspended and its owners are told).

use super::Registry;
use super::error::RegistryError;
use super::events::{AgentChange, RegistryEvent};
use super::model::{Actor, AgentRecord, AgentStatus, Principal};
use crate::directory::DirectoryError;
use crate::notify::Notification;
use agent_auth::audit::{AuditAction, Outcome};
use std::collections::BTreeSet;

impl Registry<'_> {
    /// Whether `user_id` is an active person of the directory.
    pub(crate) fn person_active(&self, user_id: &str) -> Result<bool, RegistryError> {
        self.authority
            .directory()
            .is_active(user_id)
            .map_err(directory_error)
    }

    /// Whether an owner is active: an active person, or a group with an active member.
    pub(crate) fn owner_active(&self, owner: &Principal) -> Result<bool, RegistryError> {
        match owner {
            Principal::Person(id) => self.person_active(id),
            Principal::Group(id) => {
                let Some(group) = self
                    .authority
                    .directory()
                    .group(id)
                    .map_err(directory_error)?
                else {
                    return Ok(false);
                };
                for member in &group.members {
                    if self.person_active(member)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }

    /// The invariant an ACTIVE agent must meet.
    pub(crate) fn check_accountable(&self, agent: &AgentRecord) -> Result<(), RegistryError> {
        let mut owner = false;
        for o in &agent.owners {
            if self.owner_active(o)? {
                owner = true;
                break;
            }
        }
        if !owner {
            return Err(RegistryError::NoActiveOwner(agent.id.clone()));
        }
        let mut sponsor = false;
        for s in &agent.sponsors {
            if self.person_active(s)? {
                sponsor = true;
                break;
            }
        }
        if !sponsor {
            return Err(RegistryError::NoActiveSponsor(agent.id.clone()));
        }
        Ok(())
    }

    /// Owners and sponsors must name people and groups of the directory.
    pub(crate) fn check_known(
        &self,
        owners: &[Principal],
        sponsors: &[String],
    ) -> Result<(), RegistryError> {
        let directory = self.authority.directory();
        for owner in owners {
            match owner {
                Principal::Person(id) => {
                    if directory.person(id).map_err(directory_error)?.is_none() {
                        return Err(RegistryError::UnknownPerson(id.clone()));
                    }
                }
                Principal::Group(id) => {
                    if directory.group(id).map_err(directory_error)?.is_none() {
                        return Err(RegistryError::UnknownGroup(id.clone()));
                    }
                }
            }
        }
        for sponsor in sponsors {
            if directory
                .person(sponsor)
                .map_err(directory_error)?
                .is_none()
            {
                return Err(RegistryError::UnknownPerson(sponsor.clone()));
            }
        }
        Ok(())
    }

    /// After `user_id` stopped being active (deactivated or removed): their
    /// sponsorships move to `manager` when that manager is active; then every
    /// agent they sponsored or owned (directly or through `groups`) is
    /// re-checked. Call with the write lock held; returns the notifications
    /// to deliver once it is released.
    pub(crate) fn person_left(
        &self,
        user_id: &str,
        manager: Option<&str>,
        groups: &[String],
        actor: &Actor,
    ) -> Result<Vec<Notification>, RegistryError> {
        let manager = match manager {
            Some(m) if self.person_active(m)? => Some(m.to_owned()),
            _ => None,
        };
        let sponsored = self.sponsored_by(user_id)?;
        if let Some(manager) = &manager {
            for id in &sponsored {
                self.move_sponsor(id, user_id, manager, actor)?;
            }
        }
        let mut affected: BTreeSet<String> = sponsored.into_iter().collect();
        affected.extend(self.owned_by(&Principal::Person(user_id.to_owned()))?);
        for group in groups {
            affected.extend(self.owned_by(&Principal::Group(group.clone()))?);
        }
        let affected: Vec<String> = affected.into_iter().collect();
        self.reassess(&affected, "accountable_person_left", actor)
    }

    fn move_sponsor(
        &self,
        agent_id: &str,
        from: &str,
        to: &str,
        actor: &Actor,
    ) -> Result<(), RegistryError> {
        let Some(before) = self.agent(agent_id)? else {
            return Ok(());
        };
        if before.status == AgentStatus::Deleted || !before.sponsors.iter().any(|s| s == from) {
            return Ok(());
        }
        let mut after = before.clone();
        after.sponsors.retain(|s| s != from);
        if !after.sponsors.iter().any(|s| s == to) {
            after.sponsors.push(to.to_owned());
        }
        let now = self.authority.now();
        after.meta.touch(now, actor);
        let event = RegistryEvent::AgentUpdated {
            agent_id: agent_id.to_owned(),
            version: after.meta.version,
            change: AgentChange::SponsorMoved {
                from: from.to_owned(),
                to: to.to_owned(),
            },
            actor: actor.clone(),
            time: now,
        };
        self.commit(Some(&before), &after, "sponsor_moved", actor, event)
    }

    /// Suspends each ACTIVE agent of `agent_ids` that no longer meets the
    /// invariant, and prepares a notification to its active owners (or, with
    /// none, its active sponsors). Call with the write lock held.
    pub(crate) fn reassess(
        &self,
        agent_ids: &[String],
        cause: &str,
        actor: &Actor,
    ) -> Result<Vec<Notification>, RegistryError> {
        let mut notes = Vec::new();
        for id in agent_ids {
            let Some(agent) = self.agent(id)? else {
                continue;
            };
            if agent.status != AgentStatus::Active {
                continue;
            }
            let Err(violation) = self.check_accountable(&agent) else {
                continue;
            };
            let reason = match violation {
                RegistryError::NoActiveOwner(_) => "no_active_owner",
                RegistryError::NoActiveSponsor(_) => "no_active_sponsor",
                other => return Err(other),
            };
            self.transition_locked(id, AgentStatus::Inactive, actor, Some(reason))?;
            notes.push(self.suspension_notice(&agent, reason, cause)?);
        }
        Ok(notes)
    }

    fn suspension_notice(
        &self,
        agent: &AgentRecord,
        reason: &str,
        cause: &str,
    ) -> Result<Notification, RegistryError> {
        let directory = self.authority.directory();
        let mut recipients = BTreeSet::new();
        for owner in &agent.owners {
            match owner {
                Principal::Person(id) => {
                    if self.person_active(id)? {
                        recipients.insert(id.clone());
                    }
                }
                Principal::Group(g) => {
                    if let Some(group) = directory.group(g).map_err(directory_error)? {
                        for m in &group.members {
                            if self.person_active(m)? {
                                recipients.insert(m.clone());
                            }
                        }
                    }
                }
            }
        }
        if recipients.is_empty() {
            for s in &agent.sponsors {
                if self.person_active(s)? {
                    recipients.insert(s.clone());
                }
            }
        }
        let mut emails = Vec::new();
        for r in &recipients {
            if let Some(p) = directory.person(r).map_err(directory_error)? {
                emails.extend(p.emails.into_iter().map(|e| e.value));
            }
        }
        let text = format!(
            "Agent {} ({}) was suspended: {}.",
            agent.name,
            agent.id,
            reason.replace('_', " ")
        );
        Ok(Notification::new(
            "agent_suspended",
            recipients.into_iter().collect(),
            text,
            self.authority.now(),
        )
        .subject(agent.id.clone())
        .emails(emails)
        .detail("reason", reason.to_owned())
        .detail("cause", cause.to_owned()))
    }

    /// Delivers notifications through the configured notifier (outside the
    /// write lock); each delivery, or failure, is audited.
    pub(crate) async fn deliver(&self, notifications: Vec<Notification>) {
        if notifications.is_empty() {
            return;
        }
        let notifier = self.state().notifier();
        for note in notifications {
            let outcome = match &notifier {
                Some(n) => match n.notify(&note).await {
                    Ok(()) => (Outcome::Success, None),
                    Err(e) => (Outcome::Error, Some(e.to_string())),
                },
                None => (Outcome::Error, Some("no notifier configured".to_owned())),
            };
            self.authority
                .audit(AuditAction::Other("notification".into()), outcome.0, |e| {
                    let e = e
                        .detail("topic", note.topic.clone())
                        .detail("recipients", note.recipients.join(" "));
                    let e = match &note.subject {
                        Some(s) => e.agent(s.clone()),
                        None => e,
                    };
                    match &outcome.1 {
                        Some(r) => e.reason(r.clone()),
                        None => e,
                    }
                });
        }
    }
}

/// A directory failure met on the registry's way.
fn directory_error(e: DirectoryError) -> RegistryError {
    match e {
        DirectoryError::Store(s) => RegistryError::Store(s),
        DirectoryError::Authority(a) => RegistryError::Authority(a),
        DirectoryError::Registry(r) => r,
        DirectoryError::UnknownPerson(p) | DirectoryError::UnknownUser(p) => {
            RegistryError::UnknownPerson(p)
        }
        DirectoryError::UnknownGroup(g) => RegistryError::UnknownGroup(g),
        _ => RegistryError::Invalid {
            field: "directory",
            problem: "unexpected directory failure",
        },
    }
}
