//! The evaluation semantics of a batch (AuthZEN 1.0 section 7.1.2).

use super::pdp::Pdp;
use agent_auth::authzen::{
    Decision, EvaluationRequest, EvaluationsResponse, RequestError, Semantic,
};

impl Pdp {
    /// Runs resolved entries in order under `semantic`: `execute_all` answers
    /// every entry; `deny_on_first_deny` and `permit_on_first_permit` stop
    /// after the first deny or permit, so the answer may be shorter than the
    /// request. An entry that could not be read is a deny whose context
    /// carries the error (certification scenario C.3.4.1).
    pub async fn run_batch(
        &self,
        semantic: Semantic,
        items: Vec<Result<EvaluationRequest, RequestError>>,
    ) -> EvaluationsResponse {
        let mut evaluations = Vec::with_capacity(items.len());
        for item in items {
            let decision = match item {
                Ok(request) => self.evaluate(&request).await,
                Err(e) => Decision::deny().with_reason(format!("invalid evaluation: {e}")),
            };
            let stop = semantic.stops_after(decision.decision);
            evaluations.push(decision);
            if stop {
                break;
            }
        }
        EvaluationsResponse { evaluations }
    }
}
