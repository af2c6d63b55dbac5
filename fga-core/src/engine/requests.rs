//! Request and response types of the engine's calls.

use serde::{Deserialize, Serialize};

use crate::tuple::{Context, TupleKey};

/// A Check request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckRequest {
    /// `type:id` of the object.
    pub object: String,
    /// The relation.
    pub relation: String,
    /// The user (`type:id`, `type:*` or `type:id#relation`).
    pub user: String,
    /// Tuples that hold for this request only.
    #[serde(default)]
    pub contextual_tuples: Vec<TupleKey>,
    /// Condition parameters.
    #[serde(default)]
    pub context: Option<Context>,
}

impl CheckRequest {
    /// A request without contextual tuples or context.
    pub fn new(
        object: impl Into<String>,
        relation: impl Into<String>,
        user: impl Into<String>,
    ) -> Self {
        Self {
            object: object.into(),
            relation: relation.into(),
            user: user.into(),
            ..Self::default()
        }
    }
}

/// One item of a BatchCheck.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchCheckItem {
    /// Identifies the item's result.
    pub correlation_id: String,
    /// The check.
    pub request: CheckRequest,
}

/// The result of one BatchCheck item.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchCheckResult {
    /// The item's correlation id.
    pub correlation_id: String,
    /// Allowed, or the item's error.
    pub result: Result<bool, crate::Error>,
}

/// A ListObjects request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListObjectsRequest {
    /// The object type.
    #[serde(rename = "type")]
    pub object_type: String,
    /// The relation.
    pub relation: String,
    /// The user.
    pub user: String,
    /// Tuples that hold for this request only.
    #[serde(default)]
    pub contextual_tuples: Vec<TupleKey>,
    /// Condition parameters.
    #[serde(default)]
    pub context: Option<Context>,
    /// At most this many objects; `None` for all of them.
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The objects found; `truncated` says a limit cut the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListObjectsResponse {
    /// `type:id` of each object, sorted.
    pub objects: Vec<String>,
    /// Whether more objects exist than the limit allowed.
    pub truncated: bool,
}

/// A ListUsers request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListUsersRequest {
    /// `type:id` of the object.
    pub object: String,
    /// The relation.
    pub relation: String,
    /// User filters: `type` or `type#relation`.
    pub user_filters: Vec<String>,
    /// Tuples that hold for this request only.
    #[serde(default)]
    pub contextual_tuples: Vec<TupleKey>,
    /// Condition parameters.
    #[serde(default)]
    pub context: Option<Context>,
}
