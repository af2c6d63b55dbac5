//! The Search APIs (AuthZEN 1.0 section 8): which subjects, resources or
//! actions a decision would permit, one page at a time.

use super::entity::{Action, Properties, Resource, Subject};
use serde::{Deserialize, Serialize};

/// `page` of a search request (AuthZEN 1.0 section 8.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageRequest {
    /// `token`: the `next_token` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `limit`: at most this many results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `page` of a search response: `next_token` is empty on the last page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageInfo {
    /// The token of the next page; empty when there is none.
    pub next_token: String,
    /// Results in this response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// Results over all pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
}

/// Subject Search (AuthZEN 1.0 section 8.4): the subjects of `subject_type`
/// that may do `action` on `resource`. A `subject.id` in the request is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectSearch {
    /// `subject.type`.
    pub subject_type: String,
    /// `action`.
    pub action: Action,
    /// `resource`.
    pub resource: Resource,
    /// `context`.
    pub context: Properties,
    /// `page`.
    pub page: PageRequest,
}

/// Resource Search (AuthZEN 1.0 section 8.5): the resources of
/// `resource_type` that `subject` may do `action` on. A `resource.id` is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSearch {
    /// `subject`.
    pub subject: Subject,
    /// `action`.
    pub action: Action,
    /// `resource.type`.
    pub resource_type: String,
    /// `context`.
    pub context: Properties,
    /// `page`.
    pub page: PageRequest,
}

/// Action Search (AuthZEN 1.0 section 8.6): the actions `subject` may do on
/// `resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSearch {
    /// `subject`.
    pub subject: Subject,
    /// `resource`.
    pub resource: Resource,
    /// `context`.
    pub context: Properties,
    /// `page`.
    pub page: PageRequest,
}

/// A page of search results.
///
/// ```
/// use agent_auth::authzen::{PageInfo, SearchResponse, Subject};
/// let page = SearchResponse {
///     results: vec![Subject::new("user", "alice")],
///     page: Some(PageInfo { next_token: String::new(), count: Some(1), total: Some(1) }),
/// };
/// let json = serde_json::to_value(&page)?;
/// assert_eq!(json["results"][0]["id"], "alice");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResponse<T> {
    /// The matches of this page.
    pub results: Vec<T>,
    /// Paging state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageInfo>,
}
