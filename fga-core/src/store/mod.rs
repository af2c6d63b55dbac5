//! Tuple storage: interned strings and indexes both ways.

mod exact;
pub(crate) mod index;
mod interner;
mod packed;
mod symbols;
mod table;

use serde::{Deserialize, Serialize};

/// A filter for [`crate::Engine::read`]: every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadFilter {
    /// `type:id`, or `type:` for every object of a type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The relation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// The user, as written in the tuple.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}
