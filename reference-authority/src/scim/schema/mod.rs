//! Schemas and resource types: attribute definitions (RFC 7643 section 7),
//! the schemas served (User, Enterprise User, Group, Agent) and path resolution.

mod attribute;
pub mod definitions;
mod resource_type;

pub use attribute::{AttrType, Attribute, Mutability, Returned, Uniqueness};
pub use definitions::Schema;
pub use resource_type::{Resolved, ResourceType};
