//! The ledger of issued access tokens: `jti`, client, user and expiry of
//! every access token the authority signs, grant family or not (client
//! credentials, token exchange and jwt-bearer tokens have none), so that a
//! logout can name and revoke each of them.

use crate::provider::model::GrantFacts;
use crate::store::{purge_json, put_json};
use crate::{Authority, StoreError, Table};
use serde::{Deserialize, Serialize};

/// The ledger table, keyed by `jti`.
pub(crate) const LEDGER: Table = Table::Extension("issued_access_tokens");

/// One issued access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IssuedToken {
    pub(crate) client_id: String,
    pub(crate) user_id: Option<String>,
    pub(crate) exp: i64,
}

/// Records a freshly signed access token (called by the token issuer).
pub(crate) fn record(
    authority: &Authority,
    jti: &str,
    facts: &GrantFacts,
    exp: i64,
) -> Result<(), StoreError> {
    put_json(
        authority.store().as_ref(),
        LEDGER,
        jti,
        &IssuedToken {
            client_id: facts.client_id.clone(),
            user_id: facts.user_id.clone(),
            exp,
        },
    )
}

/// The live tokens `pick` selects, as (`jti`, token).
pub(crate) fn live(
    authority: &Authority,
    pick: impl Fn(&IssuedToken) -> bool,
) -> Result<Vec<(String, IssuedToken)>, StoreError> {
    let now = authority.now();
    let mut out = Vec::new();
    for (jti, bytes) in authority.store().scan(LEDGER)? {
        let t: IssuedToken =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::Corrupt(LEDGER.name()))?;
        if t.exp > now && pick(&t) {
            out.push((jti, t));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Registers the ledger's purge (expired tokens) with the authority.
pub(crate) fn install(authority: &Authority) {
    authority.register_purge("issued_access_tokens", |a| {
        let now = a.now();
        purge_json::<IssuedToken>(a.store().as_ref(), LEDGER, |t| t.exp <= now)
    });
}
