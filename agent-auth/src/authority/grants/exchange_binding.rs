//! Refresh tokens issued by a token exchange (RFC 8693 section 2.2.1:
//! `refresh_token` is OPTIONAL): the grant family remembers what the exchange
//! decided beyond its [`GrantFacts`](crate::authority::GrantFacts), so that a
//! refresh issues the same token again: the same `act` chain (section 4.1),
//! and never more scope or audience than the exchange granted.

use crate::authority::model::FamilyRecord;
use crate::authority::store::Table;
use crate::authority::{Authority, OAuthError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The extension table of the bindings, keyed by grant family id.
const BINDINGS: Table = Table::Extension("exchange_bindings");

/// What a family created by a token exchange carries besides its facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct ExchangeBinding {
    /// Claims every access token of the family carries (`act`).
    pub(super) access_claims: Map<String, Value>,
    /// The family of the subject token, when it was a refresh token of this
    /// authority: the exchanged grant dies with it.
    pub(super) parent_family: Option<String>,
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
