//! Cancelling open requests when their person or client is logged out or
//! offboarded: a pending request, or an approved one whose tokens were not
//! issued yet, becomes denied, so polling ends with `access_denied` (CIBA
//! Core 1.0 section 11) and ping and push clients are told.

use super::CibaOp;
use super::record::{self, RequestRecord, State};
use crate::{Authority, StoreError};
use agent_auth::audit::{AuditAction, Outcome};

impl CibaOp {
    /// Cancels every open request that `pick(client_id, user_id)` selects and
    /// tells ping and push clients. Returns the approval ids cancelled.
    pub async fn cancel_requests(
        &self,
        pick: impl Fn(&str, &str) -> bool,
        reason: &str,
    ) -> Vec<String> {
        let Ok(cancelled) = cancel_matching(&self.authority, pick, reason) else {
            return Vec::new();
        };
        let mut ids = Vec::with_capacity(cancelled.len());
        for rec in cancelled {
            ids.push(rec.approval_id.clone());
            self.deliver(rec).await;
        }
        ids
    }
}

/// Denies every open request of `client_id` (an offboarded agent); returns
/// how many. Clients learn it when they poll.
pub(crate) fn cancel_open_requests(
    authority: &Authority,
    client_id: &str,
    reason: &str,
) -> Result<usize, StoreError> {
    cancel_matching(authority, |client, _| client == client_id, reason).map(|c| c.len())
}

/// Denies every open, unexpired request `pick` selects, one atomic update
/// each, audited as an approval denied with `reason`; returns them.
fn cancel_matching(
    authority: &Authority,
    pick: impl Fn(&str, &str) -> bool,
    reason: &str,
) -> Result<Vec<RequestRecord>, StoreError> {
    let store = authority.store();
    let now = authority.now();
    let mut cancelled = Vec::new();
    for (key, bytes) in store.scan(record::REQUESTS)? {
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
        )?;
        let Some(rec) = changed else { continue };
        authority.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
            e.agent(rec.client_id.clone())
                .user(rec.user_id.clone())
                .reason("cancelled")
                .detail("cancel_reason", reason.to_owned())
                .detail("approval_id", rec.approval_id.clone())
        });
        cancelled.push(rec);
    }
    Ok(cancelled)
}
