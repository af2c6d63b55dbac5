//! What the SCIM agent resource drafts describe beyond the registry's own
//! fields (draft-wzdk-scim-agent-resource, draft-abbey-scim-agent-extension):
//! a display name, the subject the agent is known by, the agentic
//! applications it belongs to, and where each protocol it speaks is
//! specified. Kept as given; read by SCIM and by people, decided on by nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An agentic application an agent belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationLink {
    /// The application's identifier.
    pub value: String,
    /// Its name for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// The descriptive profile of an agent.
///
/// ```
/// use reference_authority::registry::{AgentProfile, ApplicationLink};
/// let profile = AgentProfile {
///     display_name: Some("Sales assistant".into()),
///     subject: Some("sales-agent@acme.example".into()),
///     applications: vec![ApplicationLink { value: "crm-suite".into(), display: None }],
///     ..AgentProfile::default()
/// };
/// assert!(profile.specifications.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentProfile {
    /// The name shown to people.
    pub display_name: Option<String>,
    /// The subject the agent is known by (for example in the tokens of the
    /// system it came from).
    pub subject: Option<String>,
    /// The agentic applications it belongs to.
    pub applications: Vec<ApplicationLink>,
    /// Protocol name (as SCIM spells it, `MCP-Server`, `A2A`) -> the URL
    /// of its specification for this agent (an agent card, an OpenAPI
    /// document).
    pub specifications: BTreeMap<String, String>,
}
