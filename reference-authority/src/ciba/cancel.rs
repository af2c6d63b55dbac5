//! Cancelling open requests when their person or client is logged out: a
//! pending request, or an approved one whose tokens were not issued yet,
//! becomes denied, so polling ends with `access_denied` (CIBA Core 1.0
//! section 11) and ping and push clients are told.

use super::CibaOp;
use super::record::{self, RequestRecord, State};
use agent_auth::audit::{AuditAction, Outcome};

impl CibaOp {
    /// Cancels every open request that `pick(client_id, user_id)` selects.
    /// Returns the approval ids of the requests cancelled.
    pub async fn cancel_requests(
        &self,
        pick: impl Fn(&str, &str) -> bool,
        reason: &str,
    ) -> Vec<String> {
        let store = self.authority.store();
        let Ok(all) = store.scan(record::REQUESTS) else {
            return Vec::new();
        };
        let now = self.authority.now();
        let mut cancelled = Vec::new();
        for (key, bytes) in all {
            let Ok(rec) = serde_json::from_slice::<RequestRecord>(&bytes) else {
                continue;
            };
            if !pick(&rec.client_id, &rec.user_id) {
                continue;
            }
            let changed = record::update::<RequestRecord, Option<RequestRecord>>(
                store.as_ref(),
                record::REQUESTS,
                &key,
                |cur| match cur {
                    Some(mut r)
                        if matches!(r.state, State::Pending | State::Approved { .. })
                            && now < r.expires =>
                    {
                        r.state = State::Denied { decided: now };
                        (Some(r.clone()), Some(r))
                    }
                    _ => (None, None),
                },
            );
            let Ok(Some(rec)) = changed else {
                continue;
            };
            self.authority
                .audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                    e.agent(rec.client_id.clone())
                        .user(rec.user_id.clone())
                        .reason("cancelled by logout")
                        .detail("logout_reason", reason.to_owned())
                        .detail("approval_id", rec.approval_id.clone())
                });
            cancelled.push(rec.approval_id.clone());
            self.deliver(rec).await;
        }
        cancelled
    }
}
