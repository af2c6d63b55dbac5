//! Resource types (RFC 7643 section 6) and how an attribute path resolves
//! against a type's schema and extensions.

use super::attribute::Attribute;
use super::definitions::{self, Schema};
use crate::scim::filter::AttrPath;

/// A resource type: endpoint, core schema and extensions.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// The name (also its id).
    pub name: &'static str,
    /// The endpoint relative to the base URL, such as `/Users`.
    pub endpoint: &'static str,
    /// What it holds.
    pub description: &'static str,
    /// The core schema.
    pub schema: Schema,
    /// Extension schemas and whether each is required.
    pub extensions: Vec<(Schema, bool)>,
    /// The common attributes (id, externalId, meta).
    pub common: Vec<Attribute>,
}

/// Where an attribute path lands.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// The extension URN whose object holds the attribute, if not the core schema.
    pub extension: Option<&'static str>,
    /// The attribute.
    pub attribute: &'a Attribute,
    /// The sub-attribute, if the path names one.
    pub sub: Option<&'a Attribute>,
}

impl ResourceType {
    /// A resource type.
    pub fn new(
        name: &'static str,
        endpoint: &'static str,
        description: &'static str,
        schema: Schema,
        extensions: Vec<(Schema, bool)>,
    ) -> Self {
        Self {
            name,
            endpoint,
            description,
            schema,
            extensions,
            common: definitions::common(),
        }
    }

    /// The extension schema with this URN, case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .map(|(s, _)| s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Every schema URN of the type (core first).
    pub fn schema_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.schema.id).chain(self.extensions.iter().map(|(s, _)| s.id))
    }

    /// Resolves a path (RFC 7644 section 3.10: a URI prefix names the schema;
    /// without one, the core schema and the common attributes are searched).
    pub fn resolve(&self, path: &AttrPath) -> Option<Resolved<'_>> {
        let (extension, attribute) = match &path.uri {
            Some(uri) if uri.eq_ignore_ascii_case(self.schema.id) => {
                (None, self.core_attribute(&path.name)?)
            }
            Some(uri) => {
                let schema = self.extension(uri)?;
                (Some(schema.id), schema.attribute(&path.name)?)
            }
            None => (None, self.core_attribute(&path.name)?),
        };
        let sub = match &path.sub {
            Some(name) => Some(attribute.sub(name)?),
            None => None,
        };
        Some(Resolved {
            extension,
            attribute,
            sub,
        })
    }

    fn core_attribute(&self, name: &str) -> Option<&Attribute> {
        self.schema.attribute(name).or_else(|| {
            self.common
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
        })
    }
}
