//! The directory's and the registry's refusals as SCIM errors (RFC 7644
//! section 3.12). Their messages name identifiers only.

use crate::directory::DirectoryError;
use crate::registry::RegistryError;
use crate::scim::{ScimError, ScimType};

impl From<DirectoryError> for ScimError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::PersonExists(_) | DirectoryError::GroupExists(_) => {
                ScimError::bad(ScimType::Uniqueness, e.to_string())
            }
            DirectoryError::VersionMismatch { .. } => ScimError::precondition_failed(),
            DirectoryError::Store(_) => ScimError::internal("the directory storage failed"),
            DirectoryError::Registry(r) => r.into(),
            other => ScimError::bad(ScimType::InvalidValue, other.to_string()),
        }
    }
}

impl From<RegistryError> for ScimError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::AgentExists(_) => ScimError::bad(ScimType::Uniqueness, e.to_string()),
            RegistryError::VersionMismatch { .. } => ScimError::precondition_failed(),
            RegistryError::Deleted(_) => ScimError::not_found(e.to_string()),
            RegistryError::IllegalTransition { .. } => ScimError::status_only(409, e.to_string()),
            RegistryError::Store(_) => ScimError::internal("the registry storage failed"),
            other => ScimError::bad(ScimType::InvalidValue, other.to_string()),
        }
    }
}

impl From<crate::AuthorityError> for ScimError {
    fn from(_: crate::AuthorityError) -> Self {
        ScimError::internal("the authority refused a change it had to make")
    }
}
