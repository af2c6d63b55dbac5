//! The backends of the served resource types.

mod json_store;

pub use json_store::JsonStore;

use crate::Authority;
use crate::provider::store::Table;
use crate::scim::resource_types;
use crate::scim::schema::ResourceType;
use crate::scim::store::ResourceStore;
use std::sync::Arc;

/// The resource types with their stores, for [`Scim::for_authority`](crate::scim::Scim::for_authority).
pub fn default_stores(authority: &Authority) -> Vec<(ResourceType, Arc<dyn ResourceStore>)> {
    let json = |name: &'static str| -> Arc<dyn ResourceStore> {
        Arc::new(JsonStore::new(
            Arc::clone(authority.store()),
            Table::Extension(name),
            Arc::clone(authority.clock()),
        ))
    };
    vec![
        (resource_types::user(), json("scim_users")),
        (resource_types::group(), json("scim_groups")),
        (resource_types::agent(), json("scim_agents")),
    ]
}
