//! What to register, and what to change: builders for the registry's writes.

use super::model::{AgentSource, AgentType, Principal, Protocol};
use super::profile::AgentProfile;

/// An agent to register. It starts STAGED.
///
/// ```
/// use reference_authority::registry::{AgentSpec, AgentType, Principal, Protocol};
///
/// let spec = AgentSpec::new("sales-agent-prod-001", "Sales agent")
///     .agent_type(AgentType::Assistant)
///     .purpose("Prepares proposals for the sales team")
///     .protocol(Protocol::Mcp)
///     .owner(Principal::Person("sarah".into()))
///     .sponsor("sarah")
///     .client("sales-agent");
/// # let _ = spec;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSpec {
    pub(crate) id: String,
    pub(crate) fields: AgentPatch,
    pub(crate) agent_type: AgentType,
    pub(crate) source: AgentSource,
    pub(crate) clients: Vec<String>,
}

impl AgentSpec {
    /// An agent with this unique id and display name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            fields: AgentPatch::new().name(name),
            agent_type: AgentType::Autonomous,
            source: AgentSource::Manual,
            clients: Vec::new(),
        }
    }

    /// Its kind (default [`AgentType::Autonomous`]).
    #[must_use]
    pub fn agent_type(mut self, agent_type: AgentType) -> Self {
        self.agent_type = agent_type;
        self
    }

    /// How it came into the registry (default [`AgentSource::Manual`]).
    #[must_use]
    pub fn source(mut self, source: AgentSource) -> Self {
        self.source = source;
        self
    }

    /// Links an OAuth client registered at the authority.
    #[must_use]
    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.clients.push(client_id.into());
        self
    }

    /// What it is.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.fields = self.fields.description(Some(text.into()));
        self
    }

    /// The use case it serves.
    #[must_use]
    pub fn purpose(mut self, text: impl Into<String>) -> Self {
        self.fields = self.fields.purpose(Some(text.into()));
        self
    }

    /// Its parent agent.
    #[must_use]
    pub fn parent(mut self, agent_id: impl Into<String>) -> Self {
        self.fields = self.fields.parent(Some(agent_id.into()));
        self
    }

    /// Adds a protocol it speaks.
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.fields
            .protocols
            .get_or_insert_with(Vec::new)
            .push(protocol);
        self
    }

    /// Adds an owner.
    #[must_use]
    pub fn owner(mut self, owner: Principal) -> Self {
        self.fields.owners.get_or_insert_with(Vec::new).push(owner);
        self
    }

    /// Adds a sponsor (an authority user id in the directory).
    #[must_use]
    pub fn sponsor(mut self, user_id: impl Into<String>) -> Self {
        self.fields
            .sponsors
            .get_or_insert_with(Vec::new)
            .push(user_id.into());
        self
    }

    /// The business unit.
    #[must_use]
    pub fn business_unit(mut self, unit: impl Into<String>) -> Self {
        self.fields = self.fields.business_unit(Some(unit.into()));
        self
    }

    /// An identifier from the system it came from (SCIM `externalId`).
    #[must_use]
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.fields = self.fields.external_id(Some(id.into()));
        self
    }

    /// Sets the profile (display name, subject, applications, protocol
    /// specifications).
    #[must_use]
    pub fn profile(mut self, profile: AgentProfile) -> Self {
        self.fields = self.fields.profile(profile);
        self
    }
}

/// A change to an agent's descriptive and accountability fields: each field
/// set here replaces the stored one; fields left alone stay. Status, clients
/// and entitlements change through their own operations.
///
/// ```
/// use reference_authority::registry::{AgentPatch, Principal};
///
/// let patch = AgentPatch::new()
///     .purpose(Some("Renewals only".into()))
///     .owners(vec![Principal::Group("sales-ops".into())]);
/// # let _ = patch;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentPatch {
    pub(crate) name: Option<String>,
    pub(crate) description: Option<Option<String>>,
    pub(crate) purpose: Option<Option<String>>,
    pub(crate) agent_type: Option<AgentType>,
    pub(crate) parent: Option<Option<String>>,
    pub(crate) protocols: Option<Vec<Protocol>>,
    pub(crate) owners: Option<Vec<Principal>>,
    pub(crate) sponsors: Option<Vec<String>>,
    pub(crate) business_unit: Option<Option<String>>,
    pub(crate) external_id: Option<Option<String>>,
    pub(crate) profile: Option<AgentProfile>,
}

impl AgentPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the display name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Replaces (or clears) the description.
    #[must_use]
    pub fn description(mut self, text: Option<String>) -> Self {
        self.description = Some(text);
        self
    }

    /// Replaces (or clears) the purpose.
    #[must_use]
    pub fn purpose(mut self, text: Option<String>) -> Self {
        self.purpose = Some(text);
        self
    }

    /// Replaces the kind.
    #[must_use]
    pub fn agent_type(mut self, agent_type: AgentType) -> Self {
        self.agent_type = Some(agent_type);
        self
    }

    /// Replaces (or clears) the parent agent.
    #[must_use]
    pub fn parent(mut self, agent_id: Option<String>) -> Self {
        self.parent = Some(agent_id);
        self
    }

    /// Replaces the protocols.
    #[must_use]
    pub fn protocols(mut self, protocols: Vec<Protocol>) -> Self {
        self.protocols = Some(protocols);
        self
    }

    /// Replaces the owners.
    #[must_use]
    pub fn owners(mut self, owners: Vec<Principal>) -> Self {
        self.owners = Some(owners);
        self
    }

    /// Replaces the sponsors.
    #[must_use]
    pub fn sponsors(mut self, user_ids: Vec<String>) -> Self {
        self.sponsors = Some(user_ids);
        self
    }

    /// Replaces (or clears) the business unit.
    #[must_use]
    pub fn business_unit(mut self, unit: Option<String>) -> Self {
        self.business_unit = Some(unit);
        self
    }

    /// Replaces (or clears) the external id.
    #[must_use]
    pub fn external_id(mut self, id: Option<String>) -> Self {
        self.external_id = Some(id);
        self
    }

    /// Replaces the profile (display name, subject, applications, protocol
    /// specifications).
    #[must_use]
    pub fn profile(mut self, profile: AgentProfile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// The names of the fields this patch sets.
    pub(crate) fn field_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let mut add = |set: bool, name| {
            if set {
                names.push(name);
            }
        };
        add(self.name.is_some(), "name");
        add(self.description.is_some(), "description");
        add(self.purpose.is_some(), "purpose");
        add(self.agent_type.is_some(), "agent_type");
        add(self.parent.is_some(), "parent");
        add(self.protocols.is_some(), "protocols");
        add(self.owners.is_some(), "owners");
        add(self.sponsors.is_some(), "sponsors");
        add(self.business_unit.is_some(), "business_unit");
        add(self.external_id.is_some(), "external_id");
        add(self.profile.is_some(), "profile");
        names
    }
}
