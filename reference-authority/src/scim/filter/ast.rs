//! The filter's syntax tree (RFC 7644 section 3.4.2.2) and attribute paths.

use std::fmt;

/// An attribute path: `[URI ":"] ATTRNAME ["." subAttr]` (RFC 7644 section 3.4.2.2,
/// and section 3.10 for the fully qualified form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URI prefix, if the path is fully qualified.
    pub uri: Option<String>,
    /// The attribute name (case-insensitive, RFC 7643 section 2.1).
    pub name: String,
    /// The sub-attribute name, if any.
    pub sub: Option<String>,
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        write!(f, "{}", self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator (RFC 7644 section 3.4.2.2, table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains (strings).
    Co,
    /// Starts with (strings).
    Sw,
    /// Ends with (strings).
    Ew,
    /// Greater than.
    Gt,
    /// Less than.
    Lt,
    /// Greater than or equal.
    Ge,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    /// The operator of a keyword, case-insensitively.
    pub fn from_keyword(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "lt" => CompareOp::Lt,
            "ge" => CompareOp::Ge,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// A comparison value: `false / null / true / number / string`.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string (escapes decoded).
    String(String),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op value`.
    Compare {
        /// The attribute.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The value.
        value: CompValue,
    },
    /// `attrPath pr`.
    Present(AttrPath),
    /// `a and b`.
    And(Box<Filter>, Box<Filter>),
    /// `a or b`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`.
    Not(Box<Filter>),
    /// `attrPath[valFilter]`: some value of the multi-valued attribute matches.
    ValuePath {
        /// The multi-valued attribute (no sub-attribute).
        path: AttrPath,
        /// The filter on each of its values (paths relative to the value).
        filter: Box<Filter>,
    },
}
