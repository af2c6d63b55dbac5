//! The resource types served at `/scim/v2`: Users (with the Enterprise
//! extension), Groups and Agents.

use super::schema::{ResourceType, definitions};

/// `User` at `/Users` (RFC 7643 section 4.1), Enterprise extension optional.
pub fn user() -> ResourceType {
    ResourceType::new(
        "User",
        "/Users",
        "People of the directory",
        definitions::user(),
        vec![(definitions::enterprise_user(), false)],
    )
}

/// `Group` at `/Groups` (RFC 7643 section 4.2).
pub fn group() -> ResourceType {
    ResourceType::new(
        "Group",
        "/Groups",
        "Groups of people",
        definitions::group(),
        Vec::new(),
    )
}

/// `Agent` at `/Agents` (draft-abbey-scim-agent-extension-00 section 5.1.1,
/// draft-wzdk-scim-agent-resource-00).
pub fn agent() -> ResourceType {
    ResourceType::new(
        "Agent",
        "/Agents",
        "Agent identities",
        definitions::agent(),
        Vec::new(),
    )
}
