//! Cancelling a client's open requests (an offboarded agent): each request
//! still pending, or approved but not yet redeemed, becomes denied, so that a
//! later poll gets `access_denied` (CIBA Core 1.0 section 11) and no tokens.

use super::record::{self, REQUESTS, RequestRecord, State};
use crate::{Authority, StoreError};
use agent_auth::audit::{AuditAction, Outcome};

/// Denies every open request of `client_id`; returns how many. Audited as
/// approval decisions denied with `reason`.
pub(crate) fn cancel_open_requests(
    authority: &Authority,
    client_id: &str,
    reason: &str,
) -> Result<usize, StoreError> {
    let store = authority.store().as_ref();
    let now = authority.now();
    let mut cancelled = 0;
    for (key, _) in store.scan(REQUESTS)? {
        let hit = record::update::<RequestRecord, Option<RequestRecord>>(
            store,
            REQUESTS,
            &key,
            |current| match current {
                Some(mut rec)
                    if rec.client_id == client_id
                        && matches!(rec.state, State::Pending | State::Approved { .. }) =>
                {
                    rec.state = State::Denied { decided: now };
                    (Some(rec.clone()), Some(rec))
                }
                _ => (None, None),
            },
        )?;
        if let Some(rec) = hit {
            cancelled += 1;
            authority.audit(AuditAction::ApprovalDecided, Outcome::Denied, |e| {
                e.agent(rec.client_id.clone())
                    .user(rec.user_id.clone())
                    .reason(reason.to_owned())
                    .detail("binding_message", rec.binding_message.clone())
            });
        }
    }
    Ok(cancelled)
}
