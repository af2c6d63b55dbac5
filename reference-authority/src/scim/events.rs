//! SCIM provisioning events (RFC 9967): one per change, built in process as a
//! Security Event Token payload (RFC 8417) for a transmitter to sign and
//! deliver, and sent to in-process subscribers.

use agent_auth::events::AuthorityEvent;
use serde_json::{Value, json};

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
    /// The event type URI (the notice form for create, put and patch: the
    /// payload names the changed attributes, never their values).
    pub fn uri(self) -> &'static str {
        match self {
            EventKind::Create => "urn:ietf:params:scim:event:prov:create:notice",
            EventKind::Put => "urn:ietf:params:scim:event:prov:put:notice",
            EventKind::Patch => "urn:ietf:params:scim:event:prov:patch:notice",
            EventKind::Delete => "urn:ietf:params:scim:event:prov:delete",
            EventKind::Activate => "urn:ietf:params:scim:event:prov:activate",
            EventKind::Deactivate => "urn:ietf:params:scim:event:prov:deactivate",
        }
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
    /// The SET claims (RFC 8417 section 2.2; subject as RFC 9967's `scim`
    /// subject identifier format), with `jti` and `iss` supplied by the
    /// transmitter that signs it.
    ///
    /// ```
    /// use reference_authority::scim::{EventKind, ScimEvent};
    /// let e = ScimEvent {
    ///     kind: EventKind::Deactivate, resource_type: "User", path: "/Users/42".into(),
    ///     id: "42".into(), external_id: None, attributes: vec![], actor: "hr".into(),
    ///     time: 1_700_000_000, txn: "t1".into(),
    /// };
    /// let set = e.set_payload("https://idp.example/scim/v2", "jti-1");
    /// assert!(set["events"]["urn:ietf:params:scim:event:prov:deactivate"].is_object());
    /// assert_eq!(set["sub_id"]["uri"], "/Users/42");
    /// ```
    pub fn set_payload(&self, issuer: &str, jti: &str) -> Value {
        let mut sub_id = json!({"format": "scim", "uri": self.path});
        if let (Some(ext), Some(o)) = (&self.external_id, sub_id.as_object_mut()) {
            o.insert("externalId".into(), ext.clone().into());
        }
        let body = match self.kind {
            EventKind::Create | EventKind::Put | EventKind::Patch => {
                json!({"attributes": self.attributes})
            }
            _ => json!({}),
        };
        json!({
            "iss": issuer,
            "jti": jti,
            "iat": self.time,
            "txn": self.txn,
            "sub_id": sub_id,
            "events": { self.kind.uri(): body },
        })
    }
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
    for key in keys {
        match (before.get(key), after.get(key)) {
            (Some(Value::Object(a)), Some(Value::Object(b))) if key.starts_with("urn:") => {
                for n in changed_attributes(a, b) {
                    names.push(format!("{key}:{n}"));
                }
            }
            (a, b) if a != b => names.push(key.clone()),
            _ => {}
        }
    }
    names
}
