//! Revocation at the authority: sessions, grant families (refresh tokens) and
//! every access token of the target, each followed by the in-process event
//! guards act on (`SessionEnded`, `GrantRevoked`, `AccessTokenRevoked`,
//! `UserLoggedOut`).

use super::Target;
use super::ledger;
use crate::provider::model::SessionRecord;
use crate::{Authority, AuthorityEvent, OAuthError, Table};
use std::collections::BTreeSet;

/// What was revoked at the authority.
#[derive(Debug, Default)]
pub(crate) struct Revoked {
    pub(crate) sessions: Vec<String>,
    pub(crate) grants: usize,
    pub(crate) access_tokens: Vec<String>,
    pub(crate) users: Vec<String>,
}

/// Revokes everything of `target`: its grant families (refresh tokens and
/// their access tokens), the SSO sessions it covers (so the user must log in
/// again, draft-parecki-oauth-global-token-revocation section 3.3), then
/// every access token the ledger knows, those of no family included. Only
/// what this call revoked is reported: a target logged out before yields
/// empty lists.
pub(crate) fn revoke(authority: &Authority, target: &Target) -> Result<Revoked, OAuthError> {
    // Tokens revoked before this call are not this call's to report.
    let live: Vec<(String, ledger::IssuedToken)> = ledger::live(authority, |t| {
        target.covers(&t.client_id, t.user_id.as_deref())
    })?
    .into_iter()
    .filter(|(jti, _)| !authority.is_access_token_revoked(jti))
    .collect();
    let mut users = BTreeSet::new();
    let mut grants = 0;
    for (id, f) in authority
        .tables()
        .scan::<crate::provider::model::FamilyRecord>(Table::Families)?
    {
        if target.covers(&f.facts.client_id, f.facts.user_id.as_deref())
            && !f.revoked
            && authority.revoke_family(&id, "kill_switch")?
        {
            if let Some(u) = &f.facts.user_id {
                users.insert(u.clone());
            }
            grants += 1;
        }
    }
    let mut sessions = Vec::new();
    for (key, record) in authority.tables().scan::<SessionRecord>(Table::Sessions)? {
        if target.ends_sessions_of(&record.user_id)
            && authority.tables().delete(Table::Sessions, &key)?
        {
            authority.session_ended(&record);
            users.insert(record.user_id.clone());
            sessions.push(record.sid.clone());
        }
    }
    let mut access_tokens = Vec::new();
    for (jti, t) in live {
        if let Some(u) = &t.user_id {
            users.insert(u.clone());
        }
        if !authority.is_access_token_revoked(&jti) {
            authority.revoke_access_token(&jti, t.exp)?;
        }
        access_tokens.push(jti);
    }
    if let Target::User(u) = target {
        users.insert(u.clone());
    }
    // A user whose every session and grant ended is logged out everywhere.
    for u in &users {
        if target.ends_sessions_of(u) {
            authority.emit(AuthorityEvent::UserLoggedOut {
                issuer: authority.issuer().to_owned(),
                user_id: u.clone(),
            });
        }
    }
    Ok(Revoked {
        sessions,
        grants,
        access_tokens,
        users: users.into_iter().collect(),
    })
}
