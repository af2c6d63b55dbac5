//! Finding agents by the attributes directory clients filter on (name,
//! external id, owner, activity, last change) through the registry's
//! indexes, so that a lookup costs what it finds, not the size of the
//! registry.

use super::Registry;
use super::error::RegistryError;

/// A question the registry's attribute indexes answer.
///
/// String keys are compared [folded](fold), so an answer holds every agent
/// whose value is equal (or a prefix) under exact comparison and under
/// case-insensitive comparison: a caller that needs one of the two checks the
/// values of the agents found again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentLookup {
    /// The name is this one.
    Name(String),
    /// The name starts with this.
    NamePrefix(String),
    /// The external id (the provisioning client's identifier) is this one.
    ExternalId(String),
    /// A person or group with this id owns the agent directly.
    Owner(String),
    /// The agent is ACTIVE (`true`), or STAGED or INACTIVE (`false`).
    Active(bool),
    /// The record changed at or after this second (for synchronization).
    UpdatedSince(i64),
}

impl Registry<'_> {
    /// The ids of the agents (tombstones left out) that may answer `lookup`,
    /// in id order (the order of [`Registry::agents`]).
    ///
    /// ```
    /// use reference_authority::registry::{Actor, AgentLookup, AgentSpec};
    /// use reference_authority::Authority;
    ///
    /// let authority = Authority::builder("https://idp.example").build()?;
    /// let registry = authority.registry();
    /// registry.register(AgentSpec::new("a1", "Sales Agent"), &Actor::user("admin"))?;
    /// registry.register(AgentSpec::new("a2", "Support agent"), &Actor::user("admin"))?;
    /// assert_eq!(registry.lookup(&AgentLookup::NamePrefix("sales".into()))?, ["a1"]);
    /// assert_eq!(registry.lookup(&AgentLookup::Active(false))?, ["a1", "a2"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup(&self, lookup: &AgentLookup) -> Result<Vec<String>, RegistryError> {
        self.state()
            .read(self.authority, |i| i.attributes.find(lookup))
    }
}

/// The key a string is indexed under: each character lowercased on its own,
/// and the final sigma read as sigma. The map works character by character,
/// so strings equal (or a prefix) exactly or under `str::to_lowercase` have
/// equal (or prefix) keys.
///
/// ```
/// use reference_authority::registry::fold;
/// assert_eq!(fold("Sales-Agent"), "sales-agent");
/// assert_eq!(fold("ΟΔΟΣ"), fold("οδος"));
/// ```
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}
