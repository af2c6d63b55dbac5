//! Use after logout or revocation. Rule: a token whose `jti` the audit
//! stream reported revoked (RFC 7009 revocation, logout, the kill switch's
//! `jtis`) is presented again, whatever the outcome: a refused presentation
//! still shows someone holds a token that should be gone.

use super::token_memory::TokenMemory;
use crate::detection::observation::{Activity, Observation};

pub(crate) fn check(obs: &Observation<'_>, memory: &TokenMemory) -> Option<String> {
    if !matches!(obs.activity, Activity::Access | Activity::Token) {
        return None;
    }
    let revoked = memory.revoked_at(obs.jti?)?;
    (obs.time >= revoked).then(|| {
        format!(
            "a token revoked {} s earlier was presented",
            obs.time - revoked
        )
    })
}
