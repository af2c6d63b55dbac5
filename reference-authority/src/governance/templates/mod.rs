//! Role templates: named bundles of entitlements. Provisioning an agent from
//! a template links it (as Cedar's template-linked policies do: the link is
//! kept, not a copy), so changing the template changes every linked agent.
//!
//! - `template`: the bundle, its stored record, what a change did;
//! - `define`: defining, reading, removing;
//! - `link`: provisioning and unlinking agents;
//! - `change`: changing a template and propagating it;
//! - `records`: storage;
//! - `error`: why something was refused.

mod change;
mod define;
mod error;
mod link;
mod records;
mod template;

pub use error::TemplateError;
pub use template::{RoleTemplate, TemplateChange};
