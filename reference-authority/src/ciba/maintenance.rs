//! The OP's share of [`Authority::purge_expired`]: spent request-object `jti`s
//! whose `exp` (plus the clock leeway) has passed, since such an object is
//! refused for its `exp` from then on (CIBA Core 1.0 section 7.1.1), and
//! `user_code` failure counts that are neither locking nor remembered any more,
//! and authentication requests an hour past their expiry with their approval
//! links.

use super::lockout::Failures;
use super::record::{self, APPROVALS, REQUEST_JTIS, REQUESTS, RequestRecord, USER_CODE_FAILURES};
use crate::{Authority, StoreError};

/// How long a request's record outlives its expiry, so that a late poll still
/// gets `expired_token` (CIBA Core 1.0 section 11) rather than `invalid_grant`.
pub const REQUEST_RETENTION_SECS: i64 = 3600;

/// Registered with [`Authority::register_purge`] by [`super::CibaOp::install`].
pub(super) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let now = authority.now();
    let store = authority.store().as_ref();
    let jtis = record::purge::<i64>(store, REQUEST_JTIS, |until| *until <= now)?;
    let failures = record::purge::<Failures>(store, USER_CODE_FAILURES, |f| f.forgotten(now))?;
    let requests = record::purge::<RequestRecord>(store, REQUESTS, |r| {
        r.expires.saturating_add(REQUEST_RETENTION_SECS) <= now
    })?;
    // A request is stored before its approval link, so a link whose request is
    // gone is dead, never one being written.
    let approvals = record::purge::<String>(store, APPROVALS, |request_key| {
        matches!(store.get(REQUESTS, request_key), Ok(None))
    })?;
    Ok(jtis + failures + requests + approvals)
}
