//! Groups: create, read, replace, delete; membership.

use super::model::GroupRecord;
use super::spec::GroupSpec;
use super::{Directory, DirectoryError, check_version, store};
use crate::notify::Notification;
use crate::registry::{Actor, Principal, RecordMeta, RegistryEvent};

impl Directory<'_> {
    /// Creates a group. Every member must be a person of the directory.
    pub fn create_group(
        &self,
        spec: GroupSpec,
        actor: &Actor,
    ) -> Result<GroupRecord, DirectoryError> {
        let id = spec.id.clone();
        let result = (|| {
            let _write = self.authority.registry().state().lock();
            if spec.id.trim().is_empty() {
                return Err(DirectoryError::Invalid {
                    field: "id",
                    problem: "empty",
                });
            }
            if store::group(self.authority, &spec.id)?.is_some() {
                return Err(DirectoryError::GroupExists(spec.id));
            }
            let members = self.checked_members(spec.members)?;
            let now = self.authority.now();
            let group = GroupRecord {
                id: spec.id,
                display_name: spec.display_name,
                members,
                external_id: spec.external_id,
                meta: RecordMeta::new(now, actor),
            };
            store::save_group(self.authority, &group)?;
            self.changed(
                "group_created",
                &group.id,
                actor,
                RegistryEvent::GroupCreated {
                    group_id: group.id.clone(),
                    version: group.meta.version,
                    actor: actor.clone(),
                    time: now,
                },
            );
            Ok(group)
        })();
        self.audited("group_created", &id, actor, result)
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Result<Option<GroupRecord>, DirectoryError> {
        store::group(self.authority, id)
    }

    /// Every group, in id order.
    pub fn groups(&self) -> Result<Vec<GroupRecord>, DirectoryError> {
        let mut all: Vec<GroupRecord> = store::all(self.authority, store::GROUPS)?;
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    /// The ids of the groups `user_id` is a member of, in id order.
    pub fn groups_of(&self, user_id: &str) -> Result<Vec<String>, DirectoryError> {
        Ok(self
            .groups()?
            .into_iter()
            .filter(|g| g.members.iter().any(|m| m == user_id))
            .map(|g| g.id)
            .collect())
    }

    /// Replaces a group's name, external id and members (SCIM `PUT`). With
    /// `if_match`, refused unless the stored version is that one. Agents the
    /// group owns that are left without an active owner are suspended and
    /// their sponsors notified.
    pub async fn replace_group(
        &self,
        spec: GroupSpec,
        if_match: Option<u64>,
        actor: &Actor,
    ) -> Result<GroupRecord, DirectoryError> {
        let id = spec.id.clone();
        let result = (|| {
            let _write = self.authority.registry().state().lock();
            let mut group = store::group(self.authority, &spec.id)?
                .ok_or_else(|| DirectoryError::UnknownGroup(spec.id.clone()))?;
            check_version(if_match, group.meta.version)?;
            group.members = self.checked_members(spec.members)?;
            group.display_name = spec.display_name;
            group.external_id = spec.external_id;
            let now = self.authority.now();
            group.meta.touch(now, actor);
            store::save_group(self.authority, &group)?;
            self.changed(
                "group_updated",
                &group.id,
                actor,
                RegistryEvent::GroupUpdated {
                    group_id: group.id.clone(),
                    version: group.meta.version,
                    actor: actor.clone(),
                    time: now,
                },
            );
            let notes = self.reassess_group(&group.id, actor)?;
            Ok((group, notes))
        })();
        let (group, notes) = self.audited("group_updated", &id, actor, result)?;
        self.authority.registry().deliver(notes).await;
        Ok(group)
    }

    /// Deletes a group. Agents it owned that are left without an active owner
    /// are suspended and their sponsors notified.
    pub async fn delete_group(&self, id: &str, actor: &Actor) -> Result<(), DirectoryError> {
        let result = (|| {
            let _write = self.authority.registry().state().lock();
            if store::group(self.authority, id)?.is_none() {
                return Err(DirectoryError::UnknownGroup(id.to_owned()));
            }
            store::delete(self.authority, store::GROUPS, id)?;
            self.changed(
                "group_deleted",
                id,
                actor,
                RegistryEvent::GroupDeleted {
                    group_id: id.to_owned(),
                    actor: actor.clone(),
                    time: self.authority.now(),
                },
            );
            self.reassess_group(id, actor)
        })();
        let notes = self.audited("group_deleted", id, actor, result)?;
        self.authority.registry().deliver(notes).await;
        Ok(())
    }

    fn reassess_group(&self, id: &str, actor: &Actor) -> Result<Vec<Notification>, DirectoryError> {
        let registry = self.authority.registry();
        let owned = registry.owned_by(&Principal::Group(id.to_owned()))?;
        Ok(registry.reassess(&owned, "owner_group_changed", actor)?)
    }

    /// Members must be people of the directory; duplicates are dropped.
    fn checked_members(&self, members: Vec<String>) -> Result<Vec<String>, DirectoryError> {
        let mut out: Vec<String> = Vec::with_capacity(members.len());
        for member in members {
            if store::person(self.authority, &member)?.is_none() {
                return Err(DirectoryError::UnknownPerson(member));
            }
            if !out.contains(&member) {
                out.push(member);
            }
        }
        Ok(out)
    }
}
