//! Building and signing Security Event Tokens (RFC 8417, SSF 1.0 section 4.1).

use super::event::Event;
use super::subject::SubjectId;
use crate::Authority;
use agent_auth::jose::{SigningKey, sign_compact};
use agent_auth::validate::{SecurityEvent, TokenKind};
use serde::Serialize;
use serde_json::{Map, Value};

/// A signed SET with the identifiers the outbox and the audit need.
#[derive(Clone)]
pub(crate) struct SignedSet {
    pub(crate) jti: String,
    pub(crate) compact: String,
}

/// What the SETs of one event about one subject share: everything but
/// `aud` and `jti`, built once for all the streams that take the event.
pub(crate) struct SetBody {
    iss: String,
    iat: i64,
    txn: String,
    sub_id: Value,
    events: Value,
}

/// A SET's claims, serialized in one pass.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
    jti: &'a str,
    aud: Audience<'a>,
    txn: &'a str,
    sub_id: &'a Value,
    events: &'a Value,
}

/// `aud`: a string for one audience, an array for several (RFC 7519
/// section 4.1.3).
#[derive(Serialize)]
#[serde(untagged)]
enum Audience<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl SetBody {
    /// The shared claims of `event` about `subject`: `iss` the authority
    /// (SSF 1.0 section 4.1.6), `iat` now, `txn` shared by the SETs of one
    /// cause (4.1.9), the subject in `sub_id` only (4.1.2, 3.1), one event
    /// in `events` (4.2.1), no `exp` (4.1.7).
    pub(crate) fn new(
        authority: &Authority,
        subject: &SubjectId,
        event: &Event,
        txn: &str,
    ) -> Self {
        let mut events = Map::new();
        events.insert(event.type_uri().into(), event.body());
        Self {
            iss: authority.issuer().to_owned(),
            iat: authority.now(),
            txn: txn.to_owned(),
            sub_id: subject.to_json(),
            events: Value::Object(events),
        }
    }

    /// Signs the SET of one stream with `key`: `typ` `secevent+jwt` (SSF
    /// 1.0 section 4.1.1), `aud` the stream's (4.1.8), a fresh `jti`.
    pub(crate) fn sign(&self, key: &SigningKey, aud: &[String]) -> Option<SignedSet> {
        let jti = crate::provider::crypto::random_value()?;
        let claims = Claims {
            iss: &self.iss,
            iat: self.iat,
            jti: &jti,
            aud: match aud {
                [one] => Audience::One(one),
                many => Audience::Many(many),
            },
            txn: &self.txn,
            sub_id: &self.sub_id,
            events: &self.events,
        };
        let token = sign_compact(key, SecurityEvent::PROFILE.mint_typ, &claims).ok()?;
        Some(SignedSet {
            jti,
            compact: token.expose_secret().to_owned(),
        })
    }
}

/// Signs one SET for one stream's audience with the authority's active key
/// (see [`SetBody`]).
pub(crate) fn sign(
    authority: &Authority,
    aud: &[String],
    subject: &SubjectId,
    event: &Event,
    txn: &str,
) -> Option<SignedSet> {
    SetBody::new(authority, subject, event, txn).sign(&authority.keys().active(), aud)
}
