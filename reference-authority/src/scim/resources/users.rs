//! `User` resources over the directory: one person per authority user. The
//! user name is the authority user's; `active=false` deactivates the person
//! (their user is disabled and the registry moves or suspends the agents
//! they sponsor, see [`Directory::set_active`](crate::directory::Directory::set_active)).

use super::fields::{items, reference, text, value_of, with};
use crate::Authority;
use crate::UserSpec;
use crate::directory::{Email, PersonPatch, PersonRecord};
use crate::registry::Actor;
use crate::scim::filter::get_ci;
use crate::scim::schema::definitions::ENTERPRISE_USER;
use crate::scim::store::{ResourceStore, Stored};
use crate::scim::{Caller, ScimError, ScimType, new_id};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The directory's people as SCIM Users.
#[derive(Debug, Clone)]
pub struct Users {
    authority: Authority,
    base: String,
}

impl Users {
    /// Users of `authority`'s directory; `base` is the SCIM base URL.
    pub fn new(authority: &Authority, base: impl Into<String>) -> Self {
        Self {
            authority: authority.clone(),
            base: base.into(),
        }
    }

    fn render(&self, p: &PersonRecord, groups: &[(String, String)]) -> Result<Stored, ScimError> {
        let user = self
            .authority
            .user(&p.user_id)?
            .ok_or_else(|| ScimError::internal("a person has no authority user"))?;
        let mut a = Map::new();
        a.insert("userName".into(), user.username.into());
        a.insert("active".into(), p.active.into());
        if let Some(d) = &p.display_name {
            a.insert("displayName".into(), d.clone().into());
        }
        if !p.emails.is_empty() {
            let emails = p
                .emails
                .iter()
                .map(|e| {
                    let v = json!({"value": e.value, "primary": e.primary});
                    match &e.kind {
                        Some(k) => with(v, "type", k.clone()),
                        None => v,
                    }
                })
                .collect();
            a.insert("emails".into(), Value::Array(emails));
        }
        if let Some(x) = &p.external_id {
            a.insert("externalId".into(), x.clone().into());
        }
        let mut ext = Map::new();
        if let Some(d) = &p.department {
            ext.insert("department".into(), d.clone().into());
        }
        if let Some(m) = &p.manager {
            ext.insert("manager".into(), reference(&self.base, "/Users", m));
        }
        if !ext.is_empty() {
            a.insert(ENTERPRISE_USER.into(), Value::Object(ext));
        }
        if !groups.is_empty() {
            let list = groups
                .iter()
                .map(|(id, name)| {
                    with(
                        reference(&self.base, "/Groups", id),
                        "display",
                        name.clone(),
                    )
                })
                .collect();
            a.insert("groups".into(), Value::Array(list));
        }
        Ok(Stored {
            id: p.user_id.clone(),
            version: p.meta.version,
            created: p.meta.created,
            last_modified: p.meta.updated,
            attributes: a,
        })
    }

    fn groups_of(&self, user_id: &str) -> Result<Vec<(String, String)>, ScimError> {
        Ok(self
            .authority
            .directory()
            .groups()?
            .into_iter()
            .filter(|g| g.members.iter().any(|m| m == user_id))
            .map(|g| (g.id, g.display_name))
            .collect())
    }

    /// The directory fields of validated attributes (every field set, so a
    /// PUT clears what it leaves out).
    fn fields(
        &self,
        attrs: &Map<String, Value>,
        self_id: Option<&str>,
    ) -> Result<PersonPatch, ScimError> {
        let emails = items(attrs, "emails")
            .iter()
            .filter_map(|e| {
                Some(Email::new(
                    value_of(e)?,
                    get_ci(e, "type").and_then(Value::as_str).map(str::to_owned),
                    get_ci(e, "primary")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                ))
            })
            .collect();
        let ext = attrs.get(ENTERPRISE_USER);
        let department = ext
            .and_then(|e| get_ci(e, "department"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let manager = ext.and_then(|e| get_ci(e, "manager")).and_then(value_of);
        if let Some(m) = &manager
            && (Some(m.as_str()) == self_id || self.authority.directory().person(m)?.is_none())
        {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "the manager is not another User of the directory",
            ));
        }
        let mut patch = PersonPatch::new()
            .emails(emails)
            .department(department)
            .manager(manager)
            .external_id(text(attrs, "externalId"));
        patch = match text(attrs, "displayName") {
            Some(d) => patch.display_name(d),
            None => patch.clear_display_name(),
        };
        Ok(patch)
    }
}

fn wants_active(attrs: &Map<String, Value>) -> bool {
    attrs.get("active").and_then(Value::as_bool).unwrap_or(true)
}

fn actor(caller: &Caller) -> Actor {
    Actor::client(caller.client_id.clone())
}

#[async_trait::async_trait]
impl ResourceStore for Users {
    fn get(&self, id: &str) -> Result<Option<Stored>, ScimError> {
        match self.authority.directory().person(id)? {
            Some(p) => Ok(Some(self.render(&p, &self.groups_of(id)?)?)),
            None => Ok(None),
        }
    }

    fn list(&self) -> Result<Vec<Stored>, ScimError> {
        let directory = self.authority.directory();
        let mut membership: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for g in directory.groups()? {
            for m in &g.members {
                membership
                    .entry(m.clone())
                    .or_default()
                    .push((g.id.clone(), g.display_name.clone()));
            }
        }
        directory
            .people()?
            .iter()
            .map(|p| self.render(p, membership.get(&p.user_id).map_or(&[], Vec::as_slice)))
            .collect()
    }

    /// A person for the authority user named `userName`: an existing user
    /// that is not yet in the directory is adopted, else a user (without a
    /// password) is registered.
    async fn create(
        &self,
        caller: &Caller,
        attrs: Map<String, Value>,
    ) -> Result<Stored, ScimError> {
        let name = text(&attrs, "userName")
            .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "`userName` is required"))?;
        let directory = self.authority.directory();
        let fields = self.fields(&attrs, None)?;
        let user_id = match self.authority.user_by_name(&name)? {
            Some(user) if directory.person(&user.id)?.is_some() => {
                return Err(ScimError::bad(
                    ScimType::Uniqueness,
                    "another User has this `userName`",
                ));
            }
            Some(user) => user.id,
            None => {
                let id = new_id()?;
                self.authority
                    .register_user(UserSpec::new(name).id(id.clone()))?;
                id
            }
        };
        let person = directory.create_person(&user_id, fields, &actor(caller))?;
        if person.active != wants_active(&attrs) {
            directory
                .set_active(
                    &user_id,
                    wants_active(&attrs),
                    Some(person.meta.version),
                    &actor(caller),
                )
                .await?;
        }
        self.get(&user_id)?
            .ok_or_else(|| ScimError::internal("the new User vanished"))
    }

    async fn replace(
        &self,
        caller: &Caller,
        id: &str,
        attrs: Map<String, Value>,
        expected: Option<u64>,
    ) -> Result<Stored, ScimError> {
        let directory = self.authority.directory();
        let before = directory
            .person(id)?
            .ok_or_else(|| ScimError::not_found("no User has this id"))?;
        if expected.is_some_and(|v| v != before.meta.version) {
            return Err(ScimError::precondition_failed());
        }
        let fields = self.fields(&attrs, Some(id))?;
        let mut version = before.meta.version;
        let current = self.render(&before, &[])?;
        let mut wanted = attrs.clone();
        wanted.insert("active".into(), before.active.into());
        wanted.remove("groups");
        let mut now = current.attributes.clone();
        now.remove("groups");
        if wanted != now {
            version = directory
                .update_person(id, fields, Some(version), &actor(caller))?
                .meta
                .version;
        }
        if before.active != wants_active(&attrs) {
            directory
                .set_active(id, wants_active(&attrs), Some(version), &actor(caller))
                .await?;
        }
        self.get(id)?
            .ok_or_else(|| ScimError::not_found("no User has this id"))
    }

    /// Removes the person from the directory (after the deactivation
    /// cascade); the authority user stays, disabled, and is adopted again by
    /// a later create with the same `userName`.
    async fn delete(
        &self,
        caller: &Caller,
        id: &str,
        expected: Option<u64>,
    ) -> Result<(), ScimError> {
        let directory = self.authority.directory();
        let before = directory
            .person(id)?
            .ok_or_else(|| ScimError::not_found("no User has this id"))?;
        if expected.is_some_and(|v| v != before.meta.version) {
            return Err(ScimError::precondition_failed());
        }
        directory.delete_person(id, &actor(caller)).await?;
        Ok(())
    }
}
