//! The ledger of issued access tokens: `jti`, client, user and expiry of
//! every access token the authority signs, grant family or not (client
//! credentials, token exchange and jwt-bearer tokens have none), so that a
//! logout can name and revoke each of them.
//!
//! Every record is committed before its token leaves the authority. The token
//! endpoint runs the grant inside [`deferred`] and then writes the records of
//! the tokens it issued with [`Store::put_async`](crate::Store::put_async),
//! awaiting their commit without blocking a thread (a database store commits
//! the records of concurrent requests together); anywhere else the record is
//! written at once.

use crate::provider::model::GrantFacts;
use crate::store::{purge_json, put_json};
use crate::{Authority, StoreError, Table};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    /// The records of the tokens issued inside [`deferred`], as (`jti`, JSON).
    static PENDING: RefCell<Vec<(String, Vec<u8>)>>;
}

/// The ledger table, keyed by `jti`.
pub(crate) const LEDGER: Table = Table::Extension("issued_access_tokens");

/// One issued access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IssuedToken {
    pub(crate) client_id: String,
    pub(crate) user_id: Option<String>,
    pub(crate) exp: i64,
}

/// Records a freshly signed access token (called by the token issuer): kept
/// for [`write_deferred`] inside [`deferred`], written at once elsewhere.
pub(crate) fn record(
    authority: &Authority,
    jti: &str,
    facts: &GrantFacts,
    exp: i64,
) -> Result<(), StoreError> {
    let token = IssuedToken {
        client_id: facts.client_id.clone(),
        user_id: facts.user_id.clone(),
        exp,
    };
    let bytes = serde_json::to_vec(&token).map_err(|_| StoreError::Corrupt(LEDGER.name()))?;
    let mut bytes = Some(bytes);
    let kept = PENDING.try_with(|pending| {
        if let Some(bytes) = bytes.take() {
            pending.borrow_mut().push((jti.to_owned(), bytes));
        }
    });
    match (kept, bytes) {
        (Ok(()), None) => Ok(()),
        _ => put_json(authority.store().as_ref(), LEDGER, jti, &token),
    }
}

/// Runs `work` keeping the records of the tokens it issues; returns its output
/// with them. The caller must [`write_deferred`] them before any token leaves.
pub(crate) async fn deferred<F: Future>(work: F) -> (F::Output, Vec<(String, Vec<u8>)>) {
    PENDING
        .scope(RefCell::new(Vec::new()), async move {
            let output = work.await;
            (output, PENDING.with(|pending| pending.take()))
        })
        .await
}

/// Writes the records [`deferred`] kept, awaiting their commit.
pub(crate) async fn write_deferred(
    authority: &Authority,
    records: Vec<(String, Vec<u8>)>,
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    authority.store().put_async(LEDGER, records).await
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
