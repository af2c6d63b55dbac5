//! SCIM error responses (RFC 7644 section 3.12): an HTTP status, a `scimType`
//! for the 400 and 409 cases the RFC names, and a detail that never echoes
//! secrets or token bytes.

use serde_json::{Value, json};
use std::borrow::Cow;

/// The `urn:ietf:params:scim:api:messages:2.0:Error` schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` detail error keywords (RFC 7644 section 3.12, table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax is invalid or the filter names a bad attribute or comparison.
    InvalidFilter,
    /// The filter yields more results than the server will return.
    TooMany,
    /// A value conflicts with an existing resource (unique attribute).
    Uniqueness,
    /// A request tried to change an immutable or read-only attribute.
    Mutability,
    /// The request body or a parameter does not parse, or breaks the schema.
    InvalidSyntax,
    /// The PATCH `path` is invalid.
    InvalidPath,
    /// The PATCH `path` names no attribute of the resource.
    NoTarget,
    /// A required value is missing or a value is not compatible with its type.
    InvalidValue,
    /// The protocol version is not supported.
    InvalidVers,
    /// The request could reveal sensitive information (RFC 7644 section 7.5.2).
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }

    /// The HTTP status that goes with the keyword (409 for uniqueness, else 400).
    pub fn status(self) -> u16 {
        match self {
            ScimType::Uniqueness => 409,
            _ => 400,
        }
    }
}

/// A SCIM error: what the response body and status will be.
///
/// ```
/// use reference_authority::scim::{ScimError, ScimType};
/// let e = ScimError::bad(ScimType::InvalidFilter, "expected an operator after `userName`");
/// assert_eq!(e.status(), 400);
/// assert_eq!(e.to_json()["scimType"], "invalidFilter");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SCIM error {status}{}: {detail}", scim_type.map(|t| format!(" ({})", t.as_str())).unwrap_or_default())]
pub struct ScimError {
    status: u16,
    scim_type: Option<ScimType>,
    detail: Cow<'static, str>,
}

impl ScimError {
    /// A 400 (or 409 for `uniqueness`) with a `scimType`.
    pub fn bad(scim_type: ScimType, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: scim_type.status(),
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// An error with a status and no `scimType`.
    pub fn status_only(status: u16, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// 404: the resource or endpoint does not exist (RFC 7644 section 3.12).
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::status_only(404, detail)
    }

    /// 412: the `If-Match` version is not the current one (RFC 7644 section 3.14).
    pub fn precondition_failed() -> Self {
        Self::status_only(
            412,
            "the resource changed since the version given in If-Match",
        )
    }

    /// 501: the operation is not implemented.
    pub fn not_implemented(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::status_only(501, detail)
    }

    /// 500, for storage failures; the detail names no internals.
    pub fn internal(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::status_only(500, detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `scimType`, if any.
    pub fn scim_type(&self) -> Option<ScimType> {
        self.scim_type
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The error response body (RFC 7644 section 3.12); `status` is a string there.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(obj)) = (self.scim_type, body.as_object_mut()) {
            obj.insert("scimType".into(), t.as_str().into());
        }
        body
    }
}

impl From<crate::StoreError> for ScimError {
    fn from(_: crate::StoreError) -> Self {
        ScimError::internal("the directory storage failed")
    }
}
