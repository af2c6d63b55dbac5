//! The schemas this server publishes: the attributes it stores and returns,
//! no more (RFC 7643 section 7: the `/Schemas` endpoint describes what the
//! service provider supports).

use super::attribute::{Attribute, Mutability, Returned, Uniqueness};

/// The core User schema (RFC 7643 section 4.1).
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The Enterprise User extension (RFC 7643 section 4.3).
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema (RFC 7643 section 4.2).
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Agent schema (draft-abbey-scim-agent-extension-00 section 5.1.4,
/// kept by draft-wzdk-scim-agent-resource-00).
pub const AGENT: &str = "urn:ietf:params:scim:schemas:core:2.0:Agent";

/// A schema: its URN, name and attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The URN.
    pub id: &'static str,
    /// A short name.
    pub name: &'static str,
    /// What it describes.
    pub description: &'static str,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// The attribute named `name`, case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

fn reference_value(types: &'static [&'static str], what: &'static str) -> Vec<Attribute> {
    vec![
        Attribute::string("value", what).case_exact(),
        Attribute::reference("$ref", types, "The URI of the referenced resource."),
        Attribute::string(
            "display",
            "A human-readable name of the referenced resource.",
        ),
    ]
}

/// The User schema as served.
pub fn user() -> Schema {
    Schema {
        id: USER,
        name: "User",
        description: "User Account",
        attributes: vec![
            // Immutable here: the authority's user names do not change.
            Attribute::string(
                "userName",
                "Unique identifier for the User, used to sign in.",
            )
            .required()
            .mutability(Mutability::Immutable)
            .uniqueness(Uniqueness::Server),
            Attribute::string("displayName", "The name of the User, suitable for display."),
            Attribute::boolean(
                "active",
                "The User's administrative status; false deactivates the person (and the agents they sponsor).",
            ),
            Attribute::complex(
                "emails",
                vec![
                    Attribute::string("value", "The email address."),
                    Attribute::string("type", "A label: work, home or other.")
                        .canonical(&["work", "home", "other"]),
                    Attribute::boolean("primary", "Whether this is the primary address."),
                ],
                "Email addresses of the User.",
            )
            .multi(),
            Attribute::complex(
                "groups",
                {
                    let mut subs = reference_value(&["Group"], "The id of the Group.");
                    for s in &mut subs {
                        s.mutability = Mutability::ReadOnly;
                    }
                    subs
                },
                "The Groups the User belongs to, maintained through the Groups endpoint.",
            )
            .multi()
            .mutability(Mutability::ReadOnly),
        ],
    }
}

/// The Enterprise User extension as served (`department`, `manager`).
pub fn enterprise_user() -> Schema {
    Schema {
        id: ENTERPRISE_USER,
        name: "EnterpriseUser",
        description: "Enterprise User",
        attributes: vec![
            Attribute::string("department", "The User's department."),
            Attribute::complex(
                "manager",
                vec![
                    Attribute::string("value", "The id of the manager's User resource.")
                        .case_exact(),
                    Attribute::reference(
                        "$ref",
                        &["User"],
                        "The URI of the manager's User resource.",
                    ),
                    Attribute::string("displayName", "The manager's display name.")
                        .mutability(Mutability::ReadOnly),
                ],
                "The User's manager.",
            ),
        ],
    }
}

/// The Group schema as served.
pub fn group() -> Schema {
    Schema {
        id: GROUP,
        name: "Group",
        description: "Group",
        attributes: vec![
            Attribute::string("displayName", "A human-readable name for the Group.").required(),
            Attribute::complex(
                "members",
                vec![
                    Attribute::string("value", "The id of the member.")
                        .case_exact()
                        .mutability(Mutability::Immutable),
                    Attribute::reference("$ref", &["User"], "The URI of the member.")
                        .mutability(Mutability::Immutable),
                    Attribute::string("type", "The member's resource type (people only).")
                        .canonical(&["User"])
                        .mutability(Mutability::Immutable),
                ],
                "The members of the Group.",
            )
            .multi(),
        ],
    }
}

/// The Agent schema as served (draft-abbey-scim-agent-extension-00 section 5.1.4;
/// draft-wzdk-scim-agent-resource-00 keeps the resource type and `owners`):
/// the attributes the agent registry keeps.
pub fn agent() -> Schema {
    Schema {
        id: AGENT,
        name: "Agent",
        description: "Agent identities",
        attributes: vec![
            // Section 5.1.4: `name` is the one REQUIRED attribute.
            Attribute::string("name", "The name of the Agent.")
                .required()
                .uniqueness(Uniqueness::Server),
            Attribute::string("displayName", "The name of the Agent, for display."),
            Attribute::string("description", "The description of the Agent."),
            Attribute::string(
                "subject",
                "The subject identifier the Agent is known by (in the tokens of the system it came from).",
            )
            .case_exact(),
            // The registry always knows the kind of an agent (default autonomous).
            Attribute::string("agentType", "The type of agent.")
                .required()
                .canonical(&["assistant", "autonomous", "workflow"]),
            Attribute::boolean(
                "active",
                "Whether the Agent may act (registry status ACTIVE); true activates, false suspends.",
            ),
            Attribute::complex(
                "owners",
                vec![
                    Attribute::string("value", "The id of the owning User or Group.")
                        .case_exact()
                        .required(),
                    Attribute::reference("$ref", &["User", "Group"], "The URI of the owner."),
                    Attribute::string("type", "The owner's resource type.")
                        .canonical(&["User", "Group"]),
                ],
                "The Users and Groups that own this Agent.",
            )
            .multi(),
            Attribute::complex(
                "parent",
                vec![
                    Attribute::string("value", "The id of the parent Agent.").case_exact(),
                    Attribute::reference("$ref", &["Agent"], "The URI of the parent Agent."),
                ],
                "The parent Agent in a hierarchy of agents.",
            ),
            Attribute::complex(
                "protocols",
                vec![
                    Attribute::string("type", "The protocol.").canonical(&[
                        "A2A",
                        "OpenAPI",
                        "MCP-Server",
                    ]),
                    Attribute::reference(
                        "specificationUrl",
                        &["external"],
                        "Where the protocol is specified for this Agent (an agent card, an OpenAPI document).",
                    ),
                ],
                "The protocols the Agent speaks.",
            )
            .multi(),
            Attribute::complex(
                "applications",
                vec![
                    Attribute::string("value", "The id of the agentic application.")
                        .case_exact()
                        .required(),
                    Attribute::string("display", "The application's name, for display."),
                ],
                "The agentic applications the Agent belongs to.",
            )
            .multi(),
        ],
    }
}

/// The common attributes of every resource (RFC 7643 section 3.1), for
/// filtering and sorting.
pub fn common() -> Vec<Attribute> {
    vec![
        Attribute::string("id", "The server's identifier of the resource.")
            .case_exact()
            .mutability(Mutability::ReadOnly)
            .returned(Returned::Always)
            .uniqueness(Uniqueness::Server),
        Attribute::string("externalId", "The client's identifier of the resource.").case_exact(),
        Attribute::complex(
            "meta",
            vec![
                Attribute::string("resourceType", "The resource type.")
                    .case_exact()
                    .mutability(Mutability::ReadOnly),
                Attribute::date_time("created", "When the resource was created.")
                    .mutability(Mutability::ReadOnly),
                Attribute::date_time("lastModified", "When the resource last changed.")
                    .mutability(Mutability::ReadOnly),
                Attribute::reference("location", &["uri"], "The resource's URI.")
                    .mutability(Mutability::ReadOnly),
                Attribute::string("version", "The resource's version (ETag).")
                    .case_exact()
                    .mutability(Mutability::ReadOnly),
            ],
            "Resource metadata.",
        )
        .mutability(Mutability::ReadOnly),
    ]
}
