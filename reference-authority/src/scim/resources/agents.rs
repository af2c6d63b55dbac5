//! `Agent` resources (draft-abbey-scim-agent-extension-00 section 5.1,
//! draft-wzdk-scim-agent-resource-00) over the agent registry. An agent
//! registered over SCIM starts STAGED; `active` follows the registry's
//! lifecycle (true activates, which needs an active owner, an active sponsor
//! and a linked OAuth client; false suspends).

use super::fields::{items, reference, text, value_of, with};
use crate::Authority;
use crate::registry::{
    Actor, AgentPatch, AgentRecord, AgentSource, AgentSpec, AgentStatus, AgentType, Principal,
    Protocol,
};
use crate::registry::{AgentLookup, AgentProfile, ApplicationLink};
use crate::scim::filter::{CompValue, CompareOp, get_ci, parse_time};
use crate::scim::plan::IndexTerm;
use crate::scim::store::{ResourceStore, Stored};
use crate::scim::{Caller, ScimError, ScimType, new_id};
use serde_json::{Map, Value, json};

/// The registry's agents as SCIM Agents (tombstones are gone: 404).
#[derive(Debug, Clone)]
pub struct Agents {
    authority: Authority,
    base: String,
}

fn type_name(t: &AgentType) -> String {
    match t {
        AgentType::Assistant => "assistant".into(),
        AgentType::Autonomous => "autonomous".into(),
        AgentType::Workflow => "workflow".into(),
        AgentType::Other(s) => s.clone(),
    }
}

fn agent_type(name: &str) -> AgentType {
    match name.to_ascii_lowercase().as_str() {
        "assistant" => AgentType::Assistant,
        "autonomous" => AgentType::Autonomous,
        "workflow" => AgentType::Workflow,
        _ => AgentType::Other(name.to_owned()),
    }
}

/// The draft's canonical protocol names (section 5.1.4, `protocols.type`).
fn protocol_name(p: &Protocol) -> String {
    match p {
        Protocol::Mcp => "MCP-Server".into(),
        Protocol::A2a => "A2A".into(),
        Protocol::Other(s) => s.clone(),
    }
}

fn protocol(name: &str) -> Protocol {
    if name.eq_ignore_ascii_case("MCP-Server") {
        Protocol::Mcp
    } else if name.eq_ignore_ascii_case("A2A") {
        Protocol::A2a
    } else {
        Protocol::Other(name.to_owned())
    }
}

fn actor(caller: &Caller) -> Actor {
    Actor::client(caller.client_id.clone())
}

impl Agents {
    /// Agents of `authority`'s registry; `base` is the SCIM base URL.
    pub fn new(authority: &Authority, base: impl Into<String>) -> Self {
        Self {
            authority: authority.clone(),
            base: base.into(),
        }
    }

    fn render(&self, r: &AgentRecord) -> Stored {
        let mut a = Map::new();
        a.insert("name".into(), r.name.clone().into());
        if let Some(d) = &r.description {
            a.insert("description".into(), d.clone().into());
        }
        a.insert("agentType".into(), type_name(&r.agent_type).into());
        a.insert("active".into(), (r.status == AgentStatus::Active).into());
        if !r.owners.is_empty() {
            let owners = r
                .owners
                .iter()
                .map(|o| match o {
                    Principal::Person(id) => {
                        with(reference(&self.base, "/Users", id), "type", "User")
                    }
                    Principal::Group(id) => {
                        with(reference(&self.base, "/Groups", id), "type", "Group")
                    }
                })
                .collect();
            a.insert("owners".into(), Value::Array(owners));
        }
        if let Some(p) = &r.parent {
            a.insert("parent".into(), reference(&self.base, "/Agents", p));
        }
        if !r.protocols.is_empty() {
            let list = r
                .protocols
                .iter()
                .map(|p| {
                    let name = protocol_name(p);
                    match r.profile.specifications.get(&name) {
                        Some(url) => json!({"type": name, "specificationUrl": url}),
                        None => json!({"type": name}),
                    }
                })
                .collect();
            a.insert("protocols".into(), Value::Array(list));
        }
        render_profile(&r.profile, &mut a);
        if let Some(x) = &r.external_id {
            a.insert("externalId".into(), x.clone().into());
        }
        Stored {
            id: r.id.clone(),
            version: r.meta.version,
            created: r.meta.created,
            last_modified: r.meta.updated,
            attributes: a,
        }
    }

    /// Owners as principals: `type` says which, else the directory does.
    fn owners(&self, attrs: &Map<String, Value>) -> Result<Vec<Principal>, ScimError> {
        let directory = self.authority.directory();
        let mut out = Vec::new();
        for o in items(attrs, "owners") {
            let id = value_of(o)
                .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "an owner has no `value`"))?;
            let principal = match get_ci(o, "type").and_then(Value::as_str) {
                Some(t) if t.eq_ignore_ascii_case("User") => Principal::Person(id),
                Some(t) if t.eq_ignore_ascii_case("Group") => Principal::Group(id),
                Some(_) => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "an owner is a User or a Group",
                    ));
                }
                None if directory.person(&id)?.is_some() => Principal::Person(id),
                None => Principal::Group(id),
            };
            out.push(principal);
        }
        Ok(out)
    }

    fn patch(&self, attrs: &Map<String, Value>) -> Result<AgentPatch, ScimError> {
        let name = text(attrs, "name")
            .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "`name` is required"))?;
        let protocols = items(attrs, "protocols")
            .iter()
            .filter_map(|p| get_ci(p, "type").and_then(Value::as_str).map(protocol))
            .collect();
        Ok(AgentPatch::new()
            .profile(profile(attrs))
            .name(name)
            .description(text(attrs, "description"))
            .agent_type(text(attrs, "agentType").map_or(AgentType::Autonomous, |t| agent_type(&t)))
            .parent(attrs.get("parent").and_then(value_of))
            .protocols(protocols)
            .owners(self.owners(attrs)?)
            .external_id(text(attrs, "externalId")))
    }

    fn live(&self, id: &str) -> Result<AgentRecord, ScimError> {
        self.authority
            .registry()
            .agent(id)?
            .filter(|r| r.status != AgentStatus::Deleted)
            .ok_or_else(|| ScimError::not_found("no Agent has this id"))
    }
}

/// The draft attributes the registry keeps as the agent's profile.
fn profile(attrs: &Map<String, Value>) -> AgentProfile {
    let specifications = items(attrs, "protocols")
        .iter()
        .filter_map(|p| {
            let name = protocol_name(&protocol(get_ci(p, "type")?.as_str()?));
            let url = get_ci(p, "specificationUrl")?.as_str()?;
            Some((name, url.to_owned()))
        })
        .collect();
    let applications = items(attrs, "applications")
        .iter()
        .filter_map(|a| {
            Some(ApplicationLink {
                value: value_of(a)?,
                display: get_ci(a, "display")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect();
    AgentProfile {
        display_name: text(attrs, "displayName"),
        subject: text(attrs, "subject"),
        applications,
        specifications,
    }
}

/// Writes the profile's attributes (protocol specifications go with `protocols`).
fn render_profile(p: &AgentProfile, a: &mut Map<String, Value>) {
    if let Some(d) = &p.display_name {
        a.insert("displayName".into(), d.clone().into());
    }
    if let Some(s) = &p.subject {
        a.insert("subject".into(), s.clone().into());
    }
    if !p.applications.is_empty() {
        let list = p
            .applications
            .iter()
            .map(|app| match &app.display {
                Some(d) => json!({"value": app.value, "display": d}),
                None => json!({"value": app.value}),
            })
            .collect();
        a.insert("applications".into(), Value::Array(list));
    }
}

/// The registry lookup answering `term` (`Err`: the one id named), if any.
fn lookup_of(term: &IndexTerm) -> Option<Result<AgentLookup, String>> {
    let text = match &term.value {
        CompValue::String(s) => Some(s.clone()),
        _ => None,
    };
    Some(Ok(match (term.attribute, term.sub, term.op) {
        ("id", None, CompareOp::Eq) => return Some(Err(text?)),
        ("name", None, CompareOp::Eq) => AgentLookup::Name(text?),
        ("name", None, CompareOp::Sw) => AgentLookup::NamePrefix(text?),
        ("externalId", None, CompareOp::Eq) => AgentLookup::ExternalId(text?),
        ("owners", Some("value"), CompareOp::Eq) => AgentLookup::Owner(text?),
        ("active", None, CompareOp::Eq) => match term.value {
            CompValue::Bool(b) => AgentLookup::Active(b),
            _ => return None,
        },
        ("meta", Some("lastModified"), CompareOp::Gt | CompareOp::Ge) => {
            // Records keep whole seconds: every second at or after the one
            // holding the instant may be later than it.
            let nanos = parse_time(&text?)?;
            AgentLookup::UpdatedSince(i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?)
        }
        _ => return None,
    }))
}

fn wants_active(attrs: &Map<String, Value>) -> Option<bool> {
    attrs.get("active").and_then(Value::as_bool)
}

#[async_trait::async_trait]
impl ResourceStore for Agents {
    fn get(&self, id: &str) -> Result<Option<Stored>, ScimError> {
        Ok(self
            .authority
            .registry()
            .agent(id)?
            .filter(|r| r.status != AgentStatus::Deleted)
            .map(|r| self.render(&r)))
    }

    /// From the registry's attribute indexes: `name eq|sw`, `externalId eq`,
    /// `owners.value eq`, `active eq`, `meta.lastModified gt|ge`, `id eq`.
    fn candidates(&self, term: &IndexTerm) -> Result<Option<Vec<String>>, ScimError> {
        let Some(lookup) = lookup_of(term) else {
            return Ok(None);
        };
        Ok(Some(match lookup {
            Ok(lookup) => self.authority.registry().lookup(&lookup)?,
            Err(id) => vec![id],
        }))
    }

    fn list(&self) -> Result<Vec<Stored>, ScimError> {
        Ok(self
            .authority
            .registry()
            .agents()?
            .iter()
            .filter(|r| r.status != AgentStatus::Deleted)
            .map(|r| self.render(r))
            .collect())
    }

    /// Registers a STAGED agent. Asking for `active: true` at creation is
    /// refused before anything is written: activation needs a linked OAuth
    /// client, which an agent registered over SCIM does not have yet.
    async fn create(
        &self,
        caller: &Caller,
        attrs: Map<String, Value>,
    ) -> Result<Stored, ScimError> {
        if wants_active(&attrs) == Some(true) {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "an Agent registered over SCIM starts inactive (STAGED): activation needs a linked OAuth client and a sponsor",
            ));
        }
        let name = text(&attrs, "name")
            .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "`name` is required"))?;
        let mut spec = AgentSpec::new(new_id()?, name)
            .agent_type(text(&attrs, "agentType").map_or(AgentType::Autonomous, |t| agent_type(&t)))
            .source(AgentSource::Imported {
                from: format!("scim:{}", caller.client_id),
            });
        if let Some(d) = text(&attrs, "description") {
            spec = spec.description(d);
        }
        if let Some(p) = attrs.get("parent").and_then(value_of) {
            spec = spec.parent(p);
        }
        for p in items(&attrs, "protocols") {
            if let Some(t) = get_ci(p, "type").and_then(Value::as_str) {
                spec = spec.protocol(protocol(t));
            }
        }
        for owner in self.owners(&attrs)? {
            spec = spec.owner(owner);
        }
        if let Some(x) = text(&attrs, "externalId") {
            spec = spec.external_id(x);
        }
        spec = spec.profile(profile(&attrs));
        // One registry write: refused as a whole, or done.
        let record = self.authority.registry().register(spec, &actor(caller))?;
        Ok(self.render(&record))
    }

    /// Changes the fields, then the lifecycle; if the lifecycle step is
    /// refused, the fields are put back (a refused request changes nothing).
    async fn replace(
        &self,
        caller: &Caller,
        id: &str,
        attrs: Map<String, Value>,
        expected: Option<u64>,
    ) -> Result<Stored, ScimError> {
        let registry = self.authority.registry();
        let before = self.live(id)?;
        if expected.is_some_and(|v| v != before.meta.version) {
            return Err(ScimError::precondition_failed());
        }
        let mut fields = attrs.clone();
        fields.remove("active");
        let mut current = self.render(&before).attributes;
        current.remove("active");
        let mut after = before.clone();
        if fields != current {
            after = registry.update(
                id,
                self.patch(&attrs)?,
                Some(before.meta.version),
                &actor(caller),
            )?;
        }
        let is_active = before.status == AgentStatus::Active;
        let transition = match wants_active(&attrs) {
            Some(true) if !is_active => Some(registry.activate(id, &actor(caller))),
            Some(false) if is_active => Some(registry.suspend(id, Some("scim"), &actor(caller))),
            _ => None,
        };
        match transition {
            Some(Ok(r)) => Ok(self.render(&r)),
            Some(Err(e)) => {
                if after.meta.version != before.meta.version {
                    let restore = self.patch(&self.render(&before).attributes)?;
                    registry.update(id, restore, Some(after.meta.version), &actor(caller))?;
                }
                Err(e.into())
            }
            None => Ok(self.render(&after)),
        }
    }

    /// Retires the agent (a tombstone stays in the registry as evidence): an
    /// ACTIVE agent is suspended first. The registry's lifecycle has no way
    /// from STAGED to DELETED, so deleting a STAGED agent is a 409.
    async fn delete(
        &self,
        caller: &Caller,
        id: &str,
        expected: Option<u64>,
    ) -> Result<(), ScimError> {
        let registry = self.authority.registry();
        let before = self.live(id)?;
        if expected.is_some_and(|v| v != before.meta.version) {
            return Err(ScimError::precondition_failed());
        }
        if before.status == AgentStatus::Active {
            registry.suspend(id, Some("scim delete"), &actor(caller))?;
        }
        registry.delete(id, &actor(caller))?;
        Ok(())
    }
}
