//! Attribute definitions (RFC 7643 section 7): type, plurality, mutability,
//! returnability, uniqueness, case exactness and sub-attributes.

use serde::Serialize;
use serde_json::{Value, json};

/// An attribute's data type (RFC 7643 section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` (RFC 3339 profile).
    DateTime,
    /// base64-encoded bytes.
    Binary,
    /// A URI reference.
    Reference,
    /// An object of sub-attributes.
    Complex,
}

/// Who may change an attribute (RFC 7643 section 7, `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// The server sets it; clients' values are ignored.
    ReadOnly,
    /// Clients may set and change it.
    ReadWrite,
    /// Set once at creation, never changed.
    Immutable,
    /// Written, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 section 7, `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always, even when `excludedAttributes` names it.
    Always,
    /// Never.
    Never,
    /// Unless excluded.
    Default,
    /// Only when `attributes` names it.
    Request,
}

/// How unique an attribute's value is (RFC 7643 section 7, `uniqueness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique among the resources of this server and type.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute of a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The name (matched case-insensitively, RFC 7643 section 2.1).
    pub name: &'static str,
    /// The data type.
    pub kind: AttrType,
    /// Whether the value is a JSON array.
    pub multi_valued: bool,
    /// Whether a resource must have it.
    pub required: bool,
    /// Whether string comparisons are case-sensitive.
    pub case_exact: bool,
    /// Who may change it.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// For references: the resource types referenced (`external`, `uri`, or names).
    pub reference_types: &'static [&'static str],
    /// Suggested values.
    pub canonical_values: &'static [&'static str],
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: Vec<Attribute>,
    /// What it means.
    pub description: &'static str,
}

impl Attribute {
    fn new(name: &'static str, kind: AttrType, description: &'static str) -> Self {
        Self {
            name,
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: &[],
            canonical_values: &[],
            sub_attributes: Vec::new(),
            description,
        }
    }

    /// A string attribute.
    pub fn string(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::String, description)
    }

    /// A boolean attribute.
    pub fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::Boolean, description)
    }

    /// A dateTime attribute.
    pub fn date_time(name: &'static str, description: &'static str) -> Self {
        Self::new(name, AttrType::DateTime, description)
    }

    /// A reference to resources of `types`.
    pub fn reference(
        name: &'static str,
        types: &'static [&'static str],
        description: &'static str,
    ) -> Self {
        let mut a = Self::new(name, AttrType::Reference, description);
        a.reference_types = types;
        a.case_exact = true;
        a
    }

    /// A complex attribute.
    pub fn complex(name: &'static str, subs: Vec<Attribute>, description: &'static str) -> Self {
        let mut a = Self::new(name, AttrType::Complex, description);
        a.sub_attributes = subs;
        a
    }

    /// Makes it multi-valued.
    #[must_use]
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Makes it required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Makes string comparisons case-sensitive.
    #[must_use]
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Sets the mutability.
    #[must_use]
    pub fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }

    /// Sets when it is returned.
    #[must_use]
    pub fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }

    /// Sets the uniqueness.
    #[must_use]
    pub fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }

    /// Sets the canonical values.
    #[must_use]
    pub fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    /// The sub-attribute named `name`, case-insensitively.
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The attribute's definition as the `/Schemas` endpoint shows it (RFC 7643 section 7).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        });
        if let Some(obj) = v.as_object_mut() {
            if self.kind == AttrType::Reference {
                obj.insert("referenceTypes".into(), json!(self.reference_types));
            }
            if !self.canonical_values.is_empty() {
                obj.insert("canonicalValues".into(), json!(self.canonical_values));
            }
            if self.kind == AttrType::Complex {
                obj.insert(
                    "subAttributes".into(),
                    Value::Array(self.sub_attributes.iter().map(Attribute::to_json).collect()),
                );
            }
        }
        v
    }
}
