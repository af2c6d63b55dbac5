//! Versions as ETags (RFC 7644 section 3.14): `W/"<version>"`, and the
//! `If-Match` / `If-None-Match` preconditions.

use super::ScimError;

/// The weak entity tag of a version.
///
/// ```
/// assert_eq!(reference_authority::scim::etag::of(7), "W/\"7\"");
/// ```
pub fn of(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// A parsed `If-Match` or `If-None-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `*`: any current version.
    Any,
    /// One of these versions.
    Versions(Vec<u64>),
}

/// Parses a list of entity tags (RFC 9110 section 13.1.1); weak and strong
/// forms of our tags compare equal (weak comparison). A tag that is not one
/// of ours can never match.
pub fn parse(header: &str) -> Result<Condition, ScimError> {
    if header.trim() == "*" {
        return Ok(Condition::Any);
    }
    let mut versions = Vec::new();
    for tag in header.split(',') {
        let tag = tag.trim();
        let opaque = tag.strip_prefix("W/").unwrap_or(tag);
        let inner = opaque
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .ok_or_else(|| {
                ScimError::bad(
                    super::ScimType::InvalidSyntax,
                    "a precondition header holds a malformed entity tag",
                )
            })?;
        if let Ok(v) = inner.parse() {
            versions.push(v);
        }
    }
    Ok(Condition::Versions(versions))
}

impl Condition {
    /// Whether the current `version` satisfies the condition.
    pub fn matches(&self, version: u64) -> bool {
        match self {
            Condition::Any => true,
            Condition::Versions(v) => v.contains(&version),
        }
    }

    /// For `If-Match`: the version the write must find, or 412 now if none can.
    pub fn required_version(&self, current: u64) -> Result<Option<u64>, ScimError> {
        if self.matches(current) {
            Ok(Some(current))
        } else {
            Err(ScimError::precondition_failed())
        }
    }
}
