//! The authorization model as OpenFGA's JSON API spells it (schema 1.1).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// An authorization model: types, their relations and the conditions they use.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuthorizationModel {
    /// Model id, when the model came from a store.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Schema version, `"1.1"`.
    pub schema_version: String,
    /// The type definitions, in declaration order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub type_definitions: Vec<TypeDefinition>,
    /// The conditions, by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub conditions: IndexMap<String, Condition>,
}

/// One type and its relations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TypeDefinition {
    /// The type name, e.g. `document`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Relation name to rewrite rule, in declaration order.
    #[serde(default)]
    pub relations: IndexMap<String, Userset>,
    /// Type restrictions of the directly assignable relations.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// Type metadata: the type restrictions of each relation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metadata {
    /// Relation name to its metadata.
    #[serde(default)]
    pub relations: IndexMap<String, RelationMetadata>,
    /// Module name (schema 1.2 only; kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Source information (schema 1.2 only; kept for round trips).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_info: Option<serde_json::Value>,
}

/// The metadata of one relation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RelationMetadata {
    /// The user types that may be written directly for this relation.
    #[serde(default)]
    pub directly_related_user_types: Vec<RelationReference>,
    /// Module name (schema 1.2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Source information (schema 1.2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_info: Option<serde_json::Value>,
}

/// A type restriction: `user`, `user:*`, `group#member`, optionally `with condition`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct RelationReference {
    /// The user type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The userset relation (`group#member`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// Present for the public wildcard `type:*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard: Option<Wildcard>,
    /// The condition a tuple of this kind must carry, empty for none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
}

impl RelationReference {
    /// A plain type restriction (`user`).
    pub fn direct(type_name: &str) -> Self {
        Self {
            type_name: type_name.to_owned(),
            ..Self::default()
        }
    }

    /// Whether this is the wildcard restriction `type:*`.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard.is_some()
    }
}

/// The JSON marker `{}` of a wildcard restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Wildcard {}

/// The JSON marker `{}` of a direct assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DirectMarker {}

/// A relation rewrite rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Userset {
    /// Direct assignment (`[user, group#member]`).
    #[serde(rename = "this")]
    This(DirectMarker),
    /// Another relation of the same object.
    #[serde(rename = "computedUserset")]
    ComputedUserset(ObjectRelation),
    /// `relation from tupleset`.
    #[serde(rename = "tupleToUserset")]
    TupleToUserset(TupleToUserset),
    /// `a or b or ...`.
    #[serde(rename = "union")]
    Union(Usersets),
    /// `a and b and ...`.
    #[serde(rename = "intersection")]
    Intersection(Usersets),
    /// `base but not subtract`.
    #[serde(rename = "difference")]
    Difference(Difference),
}

impl Userset {
    /// A computed userset rewrite to `relation`.
    pub fn computed(relation: &str) -> Self {
        Self::ComputedUserset(ObjectRelation {
            object: String::new(),
            relation: relation.to_owned(),
        })
    }
}

/// An object and relation reference inside a rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ObjectRelation {
    /// Unused in schema 1.1 rewrites; kept for round trips.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object: String,
    /// The relation name.
    #[serde(default)]
    pub relation: String,
}

/// `computed_userset from tupleset`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TupleToUserset {
    /// The relation whose tuples lead to the parent objects.
    pub tupleset: ObjectRelation,
    /// The relation evaluated on each parent object.
    #[serde(rename = "computedUserset")]
    pub computed_userset: ObjectRelation,
}

/// The children of a union or intersection.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Usersets {
    /// The operands, in order.
    #[serde(default)]
    pub child: Vec<Userset>,
}

/// `base but not subtract`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// What is granted.
    pub base: Box<Userset>,
    /// What is taken away.
    pub subtract: Box<Userset>,
}

/// A named CEL condition with typed parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Condition {
    /// Condition name.
    pub name: String,
    /// The CEL expression.
    pub expression: String,
    /// Parameter name to type.
    #[serde(default)]
    pub parameters: IndexMap<String, ConditionParamType>,
    /// Module metadata (schema 1.2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// The type of a condition parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionParamType {
    /// The type name.
    pub type_name: ParamTypeName,
    /// Element type of `list<T>` and `map<T>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generic_types: Vec<ConditionParamType>,
}

/// The OpenFGA condition parameter types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum ParamTypeName {
    #[serde(rename = "TYPE_NAME_ANY")]
    Any,
    #[serde(rename = "TYPE_NAME_BOOL")]
    Bool,
    #[serde(rename = "TYPE_NAME_STRING")]
    String,
    #[serde(rename = "TYPE_NAME_INT")]
    Int,
    #[serde(rename = "TYPE_NAME_UINT")]
    Uint,
    #[serde(rename = "TYPE_NAME_DOUBLE")]
    Double,
    #[serde(rename = "TYPE_NAME_DURATION")]
    Duration,
    #[serde(rename = "TYPE_NAME_TIMESTAMP")]
    Timestamp,
    #[serde(rename = "TYPE_NAME_MAP")]
    Map,
    #[serde(rename = "TYPE_NAME_LIST")]
    List,
    #[serde(rename = "TYPE_NAME_IPADDRESS")]
    Ipaddress,
}

impl ParamTypeName {
    /// The DSL keyword of the type.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Bool => "bool",
            Self::String => "string",
            Self::Int => "int",
            Self::Uint => "uint",
            Self::Double => "double",
            Self::Duration => "duration",
            Self::Timestamp => "timestamp",
            Self::Map => "map",
            Self::List => "list",
            Self::Ipaddress => "ipaddress",
        }
    }

    /// The type for a DSL keyword.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Some(match word {
            "any" => Self::Any,
            "bool" => Self::Bool,
            "string" => Self::String,
            "int" => Self::Int,
            "uint" => Self::Uint,
            "double" => Self::Double,
            "duration" => Self::Duration,
            "timestamp" => Self::Timestamp,
            "map" => Self::Map,
            "list" => Self::List,
            "ipaddress" => Self::Ipaddress,
            _ => return None,
        })
    }
}

impl AuthorizationModel {
    /// The definition of `type_name`.
    pub fn type_definition(&self, type_name: &str) -> Option<&TypeDefinition> {
        self.type_definitions
            .iter()
            .find(|t| t.type_name == type_name)
    }

    /// Parses the OpenFGA JSON form (no semantic validation; see [`crate::model::validate`]).
    pub fn from_json(json: &str) -> Result<Self, crate::Error> {
        serde_json::from_str(json).map_err(|e| crate::Error::InvalidModelJson(e.to_string()))
    }

    /// Serializes to the OpenFGA JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl TypeDefinition {
    /// The type restrictions of `relation` (empty when it is not directly assignable).
    pub fn directly_related(&self, relation: &str) -> &[RelationReference] {
        self.metadata
            .as_ref()
            .and_then(|m| m.relations.get(relation))
            .map(|r| r.directly_related_user_types.as_slice())
            .unwrap_or(&[])
    }
}
