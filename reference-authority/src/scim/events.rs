//! SCIM provisioning events (RFC 9967): one per change, sent to in-process
//! subscribers and to the authority's event source, from which the SSF
//! transmitter (`signals`) signs and delivers them as Security Event Tokens.

use agent_auth::events::AuthorityEvent;
use serde_json::Value;

/// What happened to a resource (RFC 9967 provisioning events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// Created (POST).
    Create,
    /// Replaced (PUT).
    Put,
    /// Modified (PATCH).
    Patch,
    /// Deleted.
    Delete,
    /// `active` became true.
    Activate,
    /// `active` became false.
    Deactivate,
}

impl EventKind {
    /// Every kind, in the order of RFC 9967 section 2.4.
    pub const ALL: [EventKind; 6] = [
        EventKind::Create,
        EventKind::Put,
        EventKind::Patch,
        EventKind::Delete,
        EventKind::Activate,
        EventKind::Deactivate,
    ];

    /// The event type URI (the notice form for create, put and patch: the
    /// payload names the changed attributes, never their values).
    pub const fn uri(self) -> &'static str {
        match self {
            EventKind::Create => "urn:ietf:params:scim:event:prov:create:notice",
            EventKind::Put => "urn:ietf:params:scim:event:prov:put:notice",
            EventKind::Patch => "urn:ietf:params:scim:event:prov:patch:notice",
            EventKind::Delete => "urn:ietf:params:scim:event:prov:delete",
            EventKind::Activate => "urn:ietf:params:scim:event:prov:activate",
            EventKind::Deactivate => "urn:ietf:params:scim:event:prov:deactivate",
        }
    }

    /// The kind whose [`uri`](Self::uri) is `uri`.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.uri() == uri)
    }

    /// Whether the event is a notice (create, put, patch): its payload
    /// lists the names of the attributes that changed (RFC 9967 section 2.4).
    pub fn is_notice(self) -> bool {
        matches!(self, EventKind::Create | EventKind::Put | EventKind::Patch)
    }
}

/// One provisioning event. Identifiers and attribute names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimEvent {
    /// What happened.
    pub kind: EventKind,
    /// The resource type (`User`, `Group`, `Agent`).
    pub resource_type: &'static str,
    /// The resource's path relative to the SCIM base, such as `/Users/42`.
    pub path: String,
    /// The resource id.
    pub id: String,
    /// The client's `externalId`, if any.
    pub external_id: Option<String>,
    /// The attributes that changed (create, put, patch).
    pub attributes: Vec<String>,
    /// Who asked (the OAuth client of the SCIM request).
    pub actor: String,
    /// When, seconds since the epoch.
    pub time: i64,
    /// Groups the events of one request (a bulk request or a PATCH that also
    /// deactivates).
    pub txn: String,
}

impl ScimEvent {
    /// The event as the authority's [`EventSource`](agent_auth::events::EventSource)
    /// carries it, for subscribers such as the SSF transmitter.
    pub fn authority_event(&self, issuer: &str) -> AuthorityEvent {
        AuthorityEvent::Provisioned {
            issuer: issuer.to_owned(),
            event: self.kind.uri(),
            resource_type: self.resource_type,
            path: self.path.clone(),
            id: self.id.clone(),
            external_id: self.external_id.clone(),
            attributes: self.attributes.clone(),
            txn: self.txn.clone(),
            time: self.time,
        }
    }
}

/// The top-level attribute names whose values differ between two versions,
/// in the PATCH path form (`urn:...:department` for extension attributes).
pub(crate) fn changed_attributes(
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let mut names = Vec::new();
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let none = serde_json::Map::new();
    for key in keys {
        let (a, b) = (before.get(key), after.get(key));
        match (object_or_empty(a, &none), object_or_empty(b, &none)) {
            (Some(x), Some(y)) if key.starts_with("urn:") => {
                for n in changed_attributes(x, y) {
                    names.push(format!("{key}:{n}"));
                }
            }
            _ if a != b => names.push(key.clone()),
            _ => {}
        }
    }
    names
}

/// An object's members, or `empty` when absent: an extension present on one
/// side only is compared attribute by attribute with nothing.
fn object_or_empty<'a>(
    value: Option<&'a Value>,
    empty: &'a serde_json::Map<String, Value>,
) -> Option<&'a serde_json::Map<String, Value>> {
    match value {
        Some(Value::Object(m)) => Some(m),
        None => Some(empty),
        Some(_) => None,
    }
}
