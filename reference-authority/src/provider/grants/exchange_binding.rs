//! Refresh tokens issued by a token exchange (RFC 8693 section 2.2.1:
//! `refresh_token` is OPTIONAL): the grant family remembers what the exchange
//! decided beyond its [`GrantFacts`](crate::provider::GrantFacts), so that a
//! refresh issues the same token again: the same `act` chain (section 4.1),
//! and never more scope or audience than the exchange granted. A binding
//! lives as long as its family can still refresh: [`purge_dead`] removes it
//! once the family is revoked, past its last refresh token's expiry, or gone.

use crate::provider::model::FamilyRecord;
use crate::provider::store::Table;
use crate::provider::{Authority, OAuthError, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The extension table of the bindings, keyed by grant family id.
const BINDINGS: Table = Table::Extension("exchange_bindings");

/// How long a binding may wait for its family: it is written just before
/// the family's first token is issued, so one without a family younger than
/// this may belong to an exchange still under way.
const ORPHAN_GRACE_SECONDS: i64 = 300;

/// What a family created by a token exchange carries besides its facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct ExchangeBinding {
    /// Claims every access token of the family carries (`act`).
    pub(super) access_claims: Map<String, Value>,
    /// The family of the subject token, when it was a refresh token of this
    /// authority: the exchanged grant dies with it.
    pub(super) parent_family: Option<String>,
    /// When the binding was written (0 in records from before this field).
    #[serde(default)]
    pub(super) created: i64,
}

/// Records the binding of a new family, before its first token is issued.
pub(super) fn bind(
    authority: &Authority,
    family: &str,
    binding: &ExchangeBinding,
) -> Result<(), OAuthError> {
    Ok(authority.tables().put(BINDINGS, family, binding)?)
}

/// The binding of `family`, when a token exchange created it.
pub(super) fn binding_of(
    authority: &Authority,
    family: &str,
) -> Result<Option<ExchangeBinding>, OAuthError> {
    Ok(authority.tables().get(BINDINGS, family)?)
}

/// Whether the grant the exchange derived from is still live: a refresh of a
/// family whose parent was revoked revokes the family (the delegation ends
/// with the grant it came from).
pub(super) fn parent_alive(
    authority: &Authority,
    binding: &ExchangeBinding,
) -> Result<bool, OAuthError> {
    let Some(parent) = &binding.parent_family else {
        return Ok(true);
    };
    let family = authority
        .tables()
        .get::<FamilyRecord>(Table::Families, parent)?;
    Ok(family.is_some_and(|f| !f.revoked))
}

/// Removes the bindings no refresh can use any more: their family is revoked
/// (every refresh of it is refused first, RFC 9700 section 4.14.2), expired
/// (its last refresh token's expiry has passed), or gone, and for a family
/// never created, the binding is older than [`ORPHAN_GRACE_SECONDS`]. Part of
/// [`Authority::purge_expired`]; returns how many were removed.
pub(crate) fn purge_dead(authority: &Authority) -> Result<usize, StoreError> {
    let now = authority.now();
    let tables = authority.tables();
    let mut removed = 0;
    for (family, binding) in tables.scan::<ExchangeBinding>(BINDINGS)? {
        let dead = match tables.get::<FamilyRecord>(Table::Families, &family)? {
            Some(f) => f.revoked || f.expires <= now,
            None => binding.created + ORPHAN_GRACE_SECONDS <= now,
        };
        if dead && tables.delete(BINDINGS, &family)? {
            removed += 1;
        }
    }
    Ok(removed)
}
