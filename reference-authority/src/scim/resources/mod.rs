//! The backends of the served resource types: Users and Groups over the
//! directory, Agents over the agent registry (no second store of people or
//! agents), and [`JsonStore`] for extensions' own resource types.

mod agents;
mod fields;
mod groups;
mod json_store;
mod refusal;
mod users;

pub use agents::Agents;
pub use groups::Groups;
pub use json_store::JsonStore;
pub use users::Users;

use crate::Authority;
use crate::scim::schema::ResourceType;
use crate::scim::store::ResourceStore;
use crate::scim::{BASE_PATH, resource_types};
use std::sync::Arc;

/// The resource types with their stores, for [`Scim::for_authority`](crate::scim::Scim::for_authority).
pub fn default_stores(authority: &Authority) -> Vec<(ResourceType, Arc<dyn ResourceStore>)> {
    let base = authority.endpoint(BASE_PATH);
    vec![
        (
            resource_types::user(),
            Arc::new(Users::new(authority, base.clone())) as Arc<dyn ResourceStore>,
        ),
        (
            resource_types::group(),
            Arc::new(Groups::new(authority, base.clone())),
        ),
        (
            resource_types::agent(),
            Arc::new(Agents::new(authority, base)),
        ),
    ]
}
