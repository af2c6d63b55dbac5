//! What the directory keeps: people (the authority's users, with their place
//! in the organization) and groups.

use crate::registry::RecordMeta;
use serde::{Deserialize, Serialize};

/// An email address of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Email {
    /// The address.
    pub value: String,
    /// Its kind (`work`, `home`, ...), as SCIM names it.
    pub kind: Option<String>,
    /// Whether it is the primary address.
    pub primary: bool,
}

impl Email {
    /// A work address, primary.
    pub fn work(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            kind: Some("work".into()),
            primary: true,
        }
    }

    /// An address of this kind.
    pub fn new(value: impl Into<String>, kind: Option<String>, primary: bool) -> Self {
        Self {
            value: value.into(),
            kind,
            primary,
        }
    }
}

/// A person: one authority user with their place in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PersonRecord {
    /// The authority user id (the key).
    pub user_id: String,
    /// Whether the person is active (an inactive person's authority user is disabled).
    pub active: bool,
    /// The name to show.
    pub display_name: Option<String>,
    /// Email addresses.
    pub emails: Vec<Email>,
    /// Department.
    pub department: Option<String>,
    /// Their manager, another person (authority user id).
    pub manager: Option<String>,
    /// An identifier from the provisioning system (SCIM `externalId`).
    pub external_id: Option<String>,
    /// Creation, last change, version.
    pub meta: RecordMeta,
}

/// A group of people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupRecord {
    /// Unique id.
    pub id: String,
    /// The name to show.
    pub display_name: String,
    /// Members: authority user ids of people in the directory.
    pub members: Vec<String>,
    /// An identifier from the provisioning system (SCIM `externalId`).
    pub external_id: Option<String>,
    /// Creation, last change, version.
    pub meta: RecordMeta,
}
