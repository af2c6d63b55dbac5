//! Single use of JWT ids (RFC 7523 section 3, item 7): one mechanism for every
//! assertion the authority accepts (client assertions, ID-JAGs).
//!
//! A validator accepts a JWT until `exp + leeway`, so its `jti` is kept as
//! long: a `jti` forgotten at `exp` could be replayed during the leeway.

use super::Authority;
use super::StoreError;
use super::store::Table;

/// The table of ID-JAG ids seen (draft-ietf-oauth-identity-assertion-authz-grant
/// section 4.4.1).
pub(crate) const ID_JAG_JTI: Table = Table::Extension("id_jag_jti");

/// Marks the `jti` of an assertion from `issuer` spent until `exp + leeway`,
/// atomically: of two concurrent uses, one is refused. Returns whether it was
/// fresh (never seen, or seen so long ago that no validator accepts it any
/// more). Call it last, once every other check passed, so that a refused
/// request consumes nothing.
pub(crate) fn spend_jti(
    authority: &Authority,
    table: Table,
    issuer: &str,
    jti: &str,
    exp: i64,
    leeway: i64,
) -> Result<bool, StoreError> {
    let now = authority.now();
    let until = exp.saturating_add(leeway.max(0));
    let key = format!("{issuer}\u{1f}{jti}");
    authority
        .tables()
        .update::<i64, bool>(table, &key, |seen| match seen {
            Some(kept) if kept > now => (None, false),
            _ => (Some(until), true),
        })
}

/// Removes the ids no validator would accept any more; part of
/// [`Authority::purge_expired`].
pub(crate) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let now = authority.now();
    let mut removed = 0;
    for table in [Table::AssertionJti, ID_JAG_JTI] {
        removed += super::store::purge_json::<i64>(authority.store().as_ref(), table, |until| {
            *until <= now
        })?;
    }
    Ok(removed)
}
