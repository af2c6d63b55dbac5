//! The detector as the in-process [`RiskProvider`]: a guard embedded with
//! the authority asks it directly, with no SET in between.

use super::detector::Detector;
use super::finding::Subject;
use agent_auth::risk::{RiskLevel, RiskProvider, RiskSubject, RiskUnavailable};

/// Answers the decayed level at `now` of the agent (by client id) or user
/// (by `sub`); a subject with no history is LOW, the detector's own level
/// for it, so the answer is never unknown. The detector scores one
/// authority's stream: the issuer is not compared.
#[async_trait::async_trait]
impl RiskProvider for Detector {
    async fn level(
        &self,
        subject: &RiskSubject<'_>,
        now: i64,
    ) -> Result<Option<RiskLevel>, RiskUnavailable> {
        let subject = match *subject {
            RiskSubject::Agent { client_id, .. } => Subject::Agent(client_id.to_owned()),
            RiskSubject::User { sub, .. } => Subject::User(sub.to_owned()),
            _ => return Ok(None),
        };
        Ok(Some(self.risk(&subject, now).level))
    }
}
