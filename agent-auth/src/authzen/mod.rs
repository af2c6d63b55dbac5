//! The OpenID AuthZEN Authorization API 1.0: the wire model a policy decision
//! point (PDP) and its policy enforcement points (PEPs) share.
//!
//! - [`Subject`], [`Resource`], [`Action`] and a context (AuthZEN 1.0
//!   section 5, the information model);
//! - [`EvaluationRequest`] and [`Decision`] (section 6, Access Evaluation API);
//! - [`EvaluationsRequest`], [`Semantic`] and [`EvaluationsResponse`]
//!   (section 7, Access Evaluations API);
//! - [`SubjectSearch`], [`ResourceSearch`], [`ActionSearch`] and
//!   [`SearchResponse`] (section 8, Search APIs);
//! - [`PdpMetadata`] (section 9, PDP metadata);
//! - [`parse`]: the strict readers of request bodies, with a typed
//!   [`RequestError`] for every malformed input;
//! - [`DecisionPoint`]: what a PEP calls, in process or, with the `http`
//!   feature, over HTTP through [`RemotePdp`].
//!
//! ```
//! use agent_auth::authzen::{parse, Decision};
//!
//! let request = parse::evaluation(br#"{
//!     "subject": {"type": "user", "id": "alice"},
//!     "action": {"name": "read"},
//!     "resource": {"type": "record", "id": "record-1"}
//! }"#)?;
//! assert_eq!(request.subject.id, "alice");
//! let answer = serde_json::to_value(Decision::permit())?;
//! assert_eq!(answer, serde_json::json!({"decision": true}));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decision;
mod decision_point;
mod entity;
mod error;
mod evaluation;
mod metadata;
pub mod parse;
#[cfg(feature = "http")]
mod remote;
mod search;

pub use decision::Decision;
pub use decision_point::{DecisionPoint, PdpError};
pub use entity::{Action, Properties, Resource, Subject};
pub use error::RequestError;
pub use evaluation::{
    EvaluationItem, EvaluationRequest, EvaluationsRequest, EvaluationsResponse, Semantic,
};
pub use metadata::{PdpMetadata, paths};
#[cfg(feature = "http")]
pub use remote::{BearerSource, RemotePdp};
pub use search::{
    ActionSearch, PageInfo, PageRequest, ResourceSearch, SearchResponse, SubjectSearch,
};
