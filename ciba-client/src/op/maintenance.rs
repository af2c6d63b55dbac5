//! The OP's share of [`Authority::purge_expired`]: spent request-object `jti`s
//! whose `exp` (plus the clock leeway) has passed, since such an object is
//! refused for its `exp` from then on (CIBA Core 1.0 section 7.1.1), and
//! `user_code` failure counts that are neither locking nor remembered any more.

use super::lockout::Failures;
use super::record::{self, REQUEST_JTIS, USER_CODE_FAILURES};
use agent_auth::authority::{Authority, StoreError};

/// Registered with [`Authority::register_purge`] by [`super::CibaOp::install`].
pub(super) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let now = authority.now();
    let store = authority.store().as_ref();
    let jtis = record::purge::<i64>(store, REQUEST_JTIS, |until| *until <= now)?;
    let failures = record::purge::<Failures>(store, USER_CODE_FAILURES, |f| f.forgotten(now))?;
    Ok(jtis + failures)
}
