//! The entities of a request (AuthZEN 1.0 section 5): subject, resource, action.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Free-form attributes of an entity, or a request's context.
pub type Properties = Map<String, Value>;

/// Who asks (AuthZEN 1.0 section 5.1): `type` and `id` are required.
///
/// ```
/// use agent_auth::authzen::Subject;
/// let bob = Subject::new("user", "bob").with_property("role", "admin");
/// assert_eq!(bob.property("role"), Some(&"admin".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `id`, unique within the type.
    pub id: String,
    /// `properties`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Properties,
}

/// What is accessed (AuthZEN 1.0 section 5.2): `type` and `id` are required.
///
/// ```
/// use agent_auth::authzen::Resource;
/// let record = Resource::new("record", "record-2").with_property("status", "archived");
/// assert_eq!(record.id, "record-2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `id`, unique within the type.
    pub id: String,
    /// `properties`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Properties,
}

/// What is done (AuthZEN 1.0 section 5.3): `name` is required.
///
/// ```
/// use agent_auth::authzen::Action;
/// let delete = Action::new("delete").with_property("soft", true);
/// assert_eq!(delete.property("soft"), Some(&true.into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// `name`.
    pub name: String,
    /// `properties`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Properties,
}

macro_rules! typed_entity {
    ($t:ident) => {
        impl $t {
            /// An entity of this type and id, without properties.
            pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
                Self {
                    kind: kind.into(),
                    id: id.into(),
                    properties: Map::new(),
                }
            }

            /// Adds a property.
            #[must_use]
            pub fn with_property(
                mut self,
                name: impl Into<String>,
                value: impl Into<Value>,
            ) -> Self {
                self.properties.insert(name.into(), value.into());
                self
            }

            /// A property by name.
            pub fn property(&self, name: &str) -> Option<&Value> {
                self.properties.get(name)
            }
        }
    };
}

typed_entity!(Subject);
typed_entity!(Resource);

impl Action {
    /// An action of this name, without properties.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            properties: Map::new(),
        }
    }

    /// Adds a property.
    #[must_use]
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.properties.insert(name.into(), value.into());
        self
    }

    /// A property by name.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties.get(name)
    }
}
