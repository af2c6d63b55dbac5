//! Building and signing Security Event Tokens (RFC 8417, SSF 1.0 section 4.1).

use super::event::Event;
use super::subject::SubjectId;
use crate::Authority;
use agent_auth::jose::sign_compact;
use agent_auth::validate::{SecurityEvent, TokenKind};
use serde_json::{Map, Value};

/// A signed SET with the identifiers the outbox and the audit need.
#[derive(Clone)]
pub(crate) struct SignedSet {
    pub(crate) jti: String,
    pub(crate) compact: String,
}

/// Signs one SET for one stream's audience with the authority's active key:
/// `typ` `secevent+jwt` (SSF 1.0 section 4.1.1), `iss` the authority
/// (section 4.1.6), `aud` the stream's (4.1.8), the subject in `sub_id`
/// only (4.1.2, 3.1), no `exp` (4.1.7), `txn` shared by the SETs of one
/// cause (4.1.9), one event in `events` (4.2.1).
pub(crate) fn sign(
    authority: &Authority,
    aud: &[String],
    subject: &SubjectId,
    event: &Event,
    txn: &str,
) -> Option<SignedSet> {
    let jti = crate::provider::crypto::random_value()?;
    let mut claims = Map::new();
    claims.insert("iss".into(), authority.issuer().into());
    claims.insert("iat".into(), authority.now().into());
    claims.insert("jti".into(), jti.clone().into());
    claims.insert(
        "aud".into(),
        match aud {
            [one] => one.clone().into(),
            many => many.to_vec().into(),
        },
    );
    claims.insert("txn".into(), txn.into());
    claims.insert("sub_id".into(), subject.to_json());
    let mut events = Map::new();
    events.insert(event.type_uri().into(), event.body());
    claims.insert("events".into(), Value::Object(events));
    let key = authority.keys().active();
    let token = sign_compact(&key, SecurityEvent::PROFILE.mint_typ, &claims).ok()?;
    Some(SignedSet {
        jti,
        compact: token.expose_secret().to_owned(),
    })
}
