//! The grant behind each ID token the authority issues, so that an ID token
//! presented back (as an RFC 8693 subject token) stands for what its grant
//! holds, never for more: an ID token carries no `scope` of its own.

use super::crypto::handle_key;
use super::model::{FamilyRecord, GrantFacts};
use super::store::Table;
use super::{Authority, StoreError};
use serde::{Deserialize, Serialize};

/// ID token ids (digested) and the grant each was issued under.
const ID_TOKEN_GRANTS: Table = Table::Extension("id_token_grants");

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenGrant {
    facts: GrantFacts,
    /// The grant family, when the ID token came with one: revoking the
    /// family takes the ID token's grant along.
    family: Option<String>,
    expires: i64,
}

impl Authority {
    /// Records the grant behind an ID token (by its `jti`).
    pub(crate) fn record_id_token_grant(
        &self,
        jti: &str,
        facts: &GrantFacts,
        family: Option<&str>,
        expires: i64,
    ) -> Result<(), StoreError> {
        self.tables().put(
            ID_TOKEN_GRANTS,
            &handle_key(jti),
            &IdTokenGrant {
                facts: facts.clone(),
                family: family.map(str::to_owned),
                expires,
            },
        )
    }

    /// The grant behind an ID token this authority issued to `client_id`,
    /// by the token's `jti`, while the ID token has not expired and its grant
    /// family (if any) is not revoked.
    pub(crate) fn id_token_grant(&self, jti: &str, client_id: &str) -> Option<GrantFacts> {
        let record = self
            .tables()
            .get::<IdTokenGrant>(ID_TOKEN_GRANTS, &handle_key(jti))
            .ok()??;
        if record.expires <= self.now() || record.facts.client_id != client_id {
            return None;
        }
        if let Some(family) = &record.family {
            let live = self
                .tables()
                .get::<FamilyRecord>(Table::Families, family)
                .ok()
                .flatten()
                .is_some_and(|f| !f.revoked);
            if !live {
                return None;
            }
        }
        Some(record.facts)
    }
}

/// Removes the records of expired ID tokens; part of
/// [`Authority::purge_expired`].
pub(crate) fn purge(authority: &Authority) -> Result<usize, StoreError> {
    let now = authority.now();
    super::store::purge_json::<IdTokenGrant>(authority.store().as_ref(), ID_TOKEN_GRANTS, |r| {
        r.expires <= now
    })
}
