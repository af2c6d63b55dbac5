//! People: create, read, change, activate and deactivate, delete.

use super::model::PersonRecord;
use super::spec::PersonPatch;
use super::{Directory, DirectoryError, check_version, store};
use crate::registry::{Actor, RecordMeta, RegistryEvent};
use std::collections::HashSet;

impl Directory<'_> {
    /// Adds the authority user `user_id` to the directory, active unless the
    /// user is disabled.
    pub fn create_person(
        &self,
        user_id: &str,
        fields: PersonPatch,
        actor: &Actor,
    ) -> Result<PersonRecord, DirectoryError> {
        let result = self.create_person_inner(user_id, fields, actor);
        self.audited("person_created", user_id, actor, result)
    }

    fn create_person_inner(
        &self,
        user_id: &str,
        fields: PersonPatch,
        actor: &Actor,
    ) -> Result<PersonRecord, DirectoryError> {
        let _write = self.authority.registry().state().lock();
        let user = self
            .authority
            .user(user_id)?
            .ok_or_else(|| DirectoryError::UnknownUser(user_id.to_owned()))?;
        if store::person(self.authority, user_id)?.is_some() {
            return Err(DirectoryError::PersonExists(user_id.to_owned()));
        }
        let now = self.authority.now();
        let mut person = PersonRecord {
            user_id: user_id.to_owned(),
            active: !user.disabled,
            display_name: None,
            emails: Vec::new(),
            department: None,
            manager: None,
            external_id: None,
            meta: RecordMeta::new(now, actor),
        };
        self.apply(&mut person, fields)?;
        store::save_person(self.authority, &person)?;
        self.changed(
            "person_created",
            user_id,
            actor,
            RegistryEvent::PersonCreated {
                user_id: user_id.to_owned(),
                version: person.meta.version,
                actor: actor.clone(),
                time: now,
            },
        );
        Ok(person)
    }

    /// A person by authority user id.
    pub fn person(&self, user_id: &str) -> Result<Option<PersonRecord>, DirectoryError> {
        store::person(self.authority, user_id)
    }

    /// Every person, in id order.
    pub fn people(&self) -> Result<Vec<PersonRecord>, DirectoryError> {
        let mut all: Vec<PersonRecord> = store::all(self.authority, store::PEOPLE)?;
        all.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        Ok(all)
    }

    /// Whether `user_id` is a person of the directory who is active and whose
    /// authority user is enabled: the test every owner and sponsor must pass.
    pub fn is_active(&self, user_id: &str) -> Result<bool, DirectoryError> {
        let Some(person) = store::person(self.authority, user_id)? else {
            return Ok(false);
        };
        Ok(person.active && self.authority.user(user_id)?.is_some_and(|u| !u.disabled))
    }

    /// Changes a person's attributes. With `if_match`, refused unless the
    /// stored version is that one.
    pub fn update_person(
        &self,
        user_id: &str,
        fields: PersonPatch,
        if_match: Option<u64>,
        actor: &Actor,
    ) -> Result<PersonRecord, DirectoryError> {
        let result = (|| {
            let _write = self.authority.registry().state().lock();
            let mut person = store::person(self.authority, user_id)?
                .ok_or_else(|| DirectoryError::UnknownPerson(user_id.to_owned()))?;
            check_version(if_match, person.meta.version)?;
            self.apply(&mut person, fields)?;
            let now = self.authority.now();
            person.meta.touch(now, actor);
            store::save_person(self.authority, &person)?;
            self.changed(
                "person_updated",
                user_id,
                actor,
                RegistryEvent::PersonUpdated {
                    user_id: user_id.to_owned(),
                    version: person.meta.version,
                    actor: actor.clone(),
                    time: now,
                },
            );
            Ok(person)
        })();
        self.audited("person_updated", user_id, actor, result)
    }

    /// Activates or deactivates a person. Deactivating disables their
    /// authority user ([`Authority::disable_user`](crate::Authority::disable_user):
    /// sessions end, grants are revoked) and then holds the registry's
    /// accountability invariant: each agent they sponsor is sponsored by their
    /// manager instead, or, with no active manager, the agents left without an
    /// active sponsor or owner are suspended (INACTIVE) and their owners are
    /// notified. Activating enables the user again; suspended agents stay
    /// suspended until someone activates them.
    ///
    /// Deactivating an inactive person runs the cascade again (it is idempotent).
    pub async fn set_active(
        &self,
        user_id: &str,
        active: bool,
        if_match: Option<u64>,
        actor: &Actor,
    ) -> Result<PersonRecord, DirectoryError> {
        let kind = if active {
            "person_activated"
        } else {
            "person_deactivated"
        };
        let result = self.set_active_locked(user_id, active, if_match, actor);
        let (person, notifications) = self.audited(kind, user_id, actor, result)?;
        self.authority.registry().deliver(notifications).await;
        Ok(person)
    }

    fn set_active_locked(
        &self,
        user_id: &str,
        active: bool,
        if_match: Option<u64>,
        actor: &Actor,
    ) -> Result<(PersonRecord, Vec<crate::notify::Notification>), DirectoryError> {
        let _write = self.authority.registry().state().lock();
        let mut person = store::person(self.authority, user_id)?
            .ok_or_else(|| DirectoryError::UnknownPerson(user_id.to_owned()))?;
        check_version(if_match, person.meta.version)?;
        let changed = person.active != active;
        if changed {
            let now = self.authority.now();
            person.active = active;
            person.meta.touch(now, actor);
            // The user first: should the record's write fail, the person
            // stays active in the directory but can no longer act.
            self.authority.set_user_disabled(user_id, !active)?;
            store::save_person(self.authority, &person)?;
            self.changed(
                if active {
                    "person_activated"
                } else {
                    "person_deactivated"
                },
                user_id,
                actor,
                RegistryEvent::PersonStatusChanged {
                    user_id: user_id.to_owned(),
                    version: person.meta.version,
                    active,
                    actor: actor.clone(),
                    time: now,
                },
            );
        }
        let notifications = if active {
            Vec::new()
        } else {
            let groups = self.groups_of(user_id)?;
            self.authority.registry().person_left(
                user_id,
                person.manager.as_deref(),
                &groups,
                actor,
            )?
        };
        Ok((person, notifications))
    }

    /// Removes a person from the directory and from its groups, after the
    /// deactivation cascade of [`set_active`](Self::set_active) (their
    /// authority user stays, disabled). Agents keep naming them as evidence,
    /// but a removed person is never an active owner or sponsor.
    pub async fn delete_person(&self, user_id: &str, actor: &Actor) -> Result<(), DirectoryError> {
        let result = (|| {
            let _write = self.authority.registry().state().lock();
            let person = store::person(self.authority, user_id)?
                .ok_or_else(|| DirectoryError::UnknownPerson(user_id.to_owned()))?;
            if person.active {
                self.authority.set_user_disabled(user_id, true)?;
            }
            let now = self.authority.now();
            let groups = self.groups_of(user_id)?;
            for group_id in &groups {
                if let Some(mut group) = store::group(self.authority, group_id)? {
                    group.members.retain(|m| m != user_id);
                    group.meta.touch(now, actor);
                    store::save_group(self.authority, &group)?;
                    self.changed(
                        "group_updated",
                        group_id,
                        actor,
                        RegistryEvent::GroupUpdated {
                            group_id: group_id.clone(),
                            version: group.meta.version,
                            actor: actor.clone(),
                            time: now,
                        },
                    );
                }
            }
            store::delete(self.authority, store::PEOPLE, user_id)?;
            self.changed(
                "person_deleted",
                user_id,
                actor,
                RegistryEvent::PersonDeleted {
                    user_id: user_id.to_owned(),
                    actor: actor.clone(),
                    time: now,
                },
            );
            Ok(self.authority.registry().person_left(
                user_id,
                person.manager.as_deref(),
                &groups,
                actor,
            )?)
        })();
        let notifications = self.audited("person_deleted", user_id, actor, result)?;
        self.authority.registry().deliver(notifications).await;
        Ok(())
    }

    /// Applies `fields` to `person`, checking the manager.
    fn apply(&self, person: &mut PersonRecord, fields: PersonPatch) -> Result<(), DirectoryError> {
        if let Some(Some(manager)) = &fields.manager {
            self.check_manager(&person.user_id, manager)?;
        }
        if let Some(v) = fields.display_name {
            person.display_name = v;
        }
        if let Some(v) = fields.emails {
            if v.iter().any(|e| e.value.trim().is_empty()) {
                return Err(DirectoryError::Invalid {
                    field: "emails",
                    problem: "an address is empty",
                });
            }
            person.emails = v;
        }
        if let Some(v) = fields.department {
            person.department = v;
        }
        if let Some(v) = fields.manager {
            person.manager = v;
        }
        if let Some(v) = fields.external_id {
            person.external_id = v;
        }
        Ok(())
    }

    /// The manager must be a person of the directory, and not `user_id`
    /// or anyone `user_id` manages (the chain never loops).
    fn check_manager(&self, user_id: &str, manager: &str) -> Result<(), DirectoryError> {
        let mut seen = HashSet::new();
        let mut next = Some(manager.to_owned());
        while let Some(current) = next {
            if current == user_id {
                return Err(DirectoryError::ManagerCycle(user_id.to_owned()));
            }
            if !seen.insert(current.clone()) {
                break;
            }
            let record = store::person(self.authority, &current)?;
            if current == manager && record.is_none() {
                return Err(DirectoryError::UnknownPerson(manager.to_owned()));
            }
            next = record.and_then(|p| p.manager);
        }
        Ok(())
    }
}
