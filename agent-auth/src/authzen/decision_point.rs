//! What a policy enforcement point calls: an embedded PDP or a remote one.

use super::decision::Decision;
use super::error::RequestError;
use super::evaluation::{EvaluationRequest, EvaluationsRequest, EvaluationsResponse};

/// Why a PDP gave no decision. A PEP fails closed on every variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PdpError {
    /// The request was malformed.
    #[error("invalid AuthZEN request: {0}")]
    Request(#[from] RequestError),
    /// The PDP refused the caller or the request (HTTP status).
    #[error("the PDP refused the request (HTTP {status})")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// The PDP could not be reached or did not answer in time.
    #[error("the PDP is unavailable: {0}")]
    Unavailable(String),
    /// The PDP answered something that is not an AuthZEN response.
    #[error("the PDP answered an invalid response: {0}")]
    InvalidResponse(String),
    /// The PDP failed while deciding.
    #[error("the PDP failed: {0}")]
    Internal(String),
}

/// A policy decision point as a PEP sees it (AuthZEN 1.0 sections 6 and 7).
#[async_trait::async_trait]
pub trait DecisionPoint: Send + Sync + std::fmt::Debug {
    /// Answers one question.
    async fn evaluate(&self, request: &EvaluationRequest) -> Result<Decision, PdpError>;

    /// Answers a batch, in request order, under its semantic.
    async fn evaluations(
        &self,
        request: &EvaluationsRequest,
    ) -> Result<EvaluationsResponse, PdpError>;
}
