//! PDP metadata (AuthZEN 1.0 section 9) and the default endpoint paths.

use serde::{Deserialize, Serialize};

/// The default paths of the APIs (AuthZEN 1.0 sections 6 to 9).
pub mod paths {
    /// Access Evaluation API.
    pub const EVALUATION: &str = "/access/v1/evaluation";
    /// Access Evaluations API.
    pub const EVALUATIONS: &str = "/access/v1/evaluations";
    /// Subject Search API.
    pub const SEARCH_SUBJECT: &str = "/access/v1/search/subject";
    /// Resource Search API.
    pub const SEARCH_RESOURCE: &str = "/access/v1/search/resource";
    /// Action Search API.
    pub const SEARCH_ACTION: &str = "/access/v1/search/action";
    /// The well-known metadata path (section 9.2), inserted before the PDP's own path.
    pub const METADATA: &str = "/.well-known/authzen-configuration";
}

/// The metadata document (AuthZEN 1.0 section 9.1).
///
/// ```
/// use agent_auth::authzen::PdpMetadata;
/// let m = PdpMetadata::for_base("https://pdp.example");
/// assert_eq!(m.access_evaluation_endpoint, "https://pdp.example/access/v1/evaluation");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdpMetadata {
    /// `policy_decision_point`: the PDP's base URL.
    pub policy_decision_point: String,
    /// `access_evaluation_endpoint` (required).
    pub access_evaluation_endpoint: String,
    /// `access_evaluations_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_evaluations_endpoint: Option<String>,
    /// `search_subject_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_subject_endpoint: Option<String>,
    /// `search_resource_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_resource_endpoint: Option<String>,
    /// `search_action_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_action_endpoint: Option<String>,
    /// `capabilities`: URNs of supported capabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
}

impl PdpMetadata {
    /// The metadata of a PDP serving every API at its default path under `base`.
    pub fn for_base(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        let at = |path: &str| format!("{base}{path}");
        Self {
            policy_decision_point: base.to_owned(),
            access_evaluation_endpoint: at(paths::EVALUATION),
            access_evaluations_endpoint: Some(at(paths::EVALUATIONS)),
            search_subject_endpoint: Some(at(paths::SEARCH_SUBJECT)),
            search_resource_endpoint: Some(at(paths::SEARCH_RESOURCE)),
            search_action_endpoint: Some(at(paths::SEARCH_ACTION)),
            capabilities: Vec::new(),
        }
    }
}
