//! `Group` resources over the directory's groups; members are Users.

use super::fields::{items, reference, text, value_of, with};
use crate::Authority;
use crate::directory::{GroupRecord, GroupSpec};
use crate::registry::Actor;
use crate::scim::filter::get_ci;
use crate::scim::store::{ResourceStore, Stored};
use crate::scim::{Caller, ScimError, ScimType, new_id};
use serde_json::{Map, Value};

/// The directory's groups as SCIM Groups.
#[derive(Debug, Clone)]
pub struct Groups {
    authority: Authority,
    base: String,
}

impl Groups {
    /// Groups of `authority`'s directory; `base` is the SCIM base URL.
    pub fn new(authority: &Authority, base: impl Into<String>) -> Self {
        Self {
            authority: authority.clone(),
            base: base.into(),
        }
    }

    fn render(&self, g: &GroupRecord) -> Stored {
        let mut a = Map::new();
        a.insert("displayName".into(), g.display_name.clone().into());
        if !g.members.is_empty() {
            let members = g
                .members
                .iter()
                .map(|m| with(reference(&self.base, "/Users", m), "type", "User"))
                .collect();
            a.insert("members".into(), Value::Array(members));
        }
        if let Some(x) = &g.external_id {
            a.insert("externalId".into(), x.clone().into());
        }
        Stored {
            id: g.id.clone(),
            version: g.meta.version,
            created: g.meta.created,
            last_modified: g.meta.updated,
            attributes: a,
        }
    }

    fn spec(id: &str, attrs: &Map<String, Value>) -> Result<GroupSpec, ScimError> {
        let name = text(attrs, "displayName")
            .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "`displayName` is required"))?;
        let mut spec = GroupSpec::new(id, name);
        for m in items(attrs, "members") {
            if get_ci(m, "type")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.eq_ignore_ascii_case("User"))
            {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "members are Users (groups do not nest)",
                ));
            }
            let v = value_of(m)
                .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "a member has no `value`"))?;
            spec = spec.member(v);
        }
        if let Some(x) = text(attrs, "externalId") {
            spec = spec.external_id(x);
        }
        Ok(spec)
    }
}

fn actor(caller: &Caller) -> Actor {
    Actor::client(caller.client_id.clone())
}

#[async_trait::async_trait]
impl ResourceStore for Groups {
    fn get(&self, id: &str) -> Result<Option<Stored>, ScimError> {
        Ok(self
            .authority
            .directory()
            .group(id)?
            .map(|g| self.render(&g)))
    }

    fn list(&self) -> Result<Vec<Stored>, ScimError> {
        Ok(self
            .authority
            .directory()
            .groups()?
            .iter()
            .map(|g| self.render(g))
            .collect())
    }

    async fn create(
        &self,
        caller: &Caller,
        attrs: Map<String, Value>,
    ) -> Result<Stored, ScimError> {
        let spec = Self::spec(&new_id()?, &attrs)?;
        let group = self
            .authority
            .directory()
            .create_group(spec, &actor(caller))?;
        Ok(self.render(&group))
    }

    async fn replace(
        &self,
        caller: &Caller,
        id: &str,
        attrs: Map<String, Value>,
        expected: Option<u64>,
    ) -> Result<Stored, ScimError> {
        let spec = Self::spec(id, &attrs)?;
        let group = self
            .authority
            .directory()
            .replace_group(spec, expected, &actor(caller))
            .await?;
        Ok(self.render(&group))
    }

    async fn delete(
        &self,
        caller: &Caller,
        id: &str,
        expected: Option<u64>,
    ) -> Result<(), ScimError> {
        let directory = self.authority.directory();
        let before = directory
            .group(id)?
            .ok_or_else(|| ScimError::not_found("no Group has this id"))?;
        if expected.is_some_and(|v| v != before.meta.version) {
            return Err(ScimError::precondition_failed());
        }
        directory.delete_group(id, &actor(caller)).await?;
        Ok(())
    }
}
