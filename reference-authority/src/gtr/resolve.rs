//! From a revocation request body to a user of the authority
//! (draft-parecki-oauth-global-token-revocation-06 section 3.2).

use super::caller::{Caller, Refusal};
use crate::provider::model::{LinkRecord, UserRecord};
use crate::signals::{SubjectError, SubjectId};
use crate::{Authority, Table};
use serde_json::Value;

/// The subject identifier formats the endpoint resolves.
pub const SUBJECT_FORMATS: [&str; 5] = ["iss_sub", "opaque", "email", "account", "phone_number"];

/// Reads the body: a JSON object whose one subject member is `sub_id` (the
/// draft's name) or `subject` (as some callers send it), never both.
pub(crate) fn subject_of(body: &[u8]) -> Result<SubjectId, Refusal> {
    let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(body) else {
        return Err(Refusal::BadRequest("the body is not a JSON object"));
    };
    let raw = match (members.get("sub_id"), members.get("subject")) {
        (Some(s), None) | (None, Some(s)) => s,
        (Some(_), Some(_)) => return Err(Refusal::BadRequest("both `sub_id` and `subject`")),
        (None, None) => return Err(Refusal::BadRequest("`sub_id` is required")),
    };
    SubjectId::from_json(raw).map_err(|e| match e {
        SubjectError::UnsupportedFormat => {
            Refusal::BadRequest("the subject identifier format is not supported")
        }
        _ => Refusal::BadRequest("malformed subject identifier"),
    })
}

/// The user the subject names, as far as the caller may see: a client of the
/// authority sees every user; an identity provider only those who log in
/// through its connection. Anyone else is "not found" (section 3.4.2, 404),
/// so a caller learns nothing of users outside its reach (section 7.2).
pub(crate) fn user_of(
    authority: &Authority,
    caller: &Caller,
    subject: &SubjectId,
) -> Result<String, Refusal> {
    let store_err = |_| Refusal::Unavailable;
    let links = || -> Result<Vec<(String, String)>, Refusal> {
        Ok(authority
            .tables()
            .scan::<LinkRecord>(Table::Links)
            .map_err(store_err)?
            .into_iter()
            .map(|(k, l)| (k, l.user_id))
            .collect())
    };
    let by_claim = |name: &str, value: &str| -> Result<Option<String>, Refusal> {
        Ok(authority
            .tables()
            .scan::<UserRecord>(Table::Users)
            .map_err(store_err)?
            .into_iter()
            .find(|(_, u)| {
                u.claims
                    .get(name)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(value))
            })
            .map(|(id, _)| id))
    };
    let found = match (subject, caller) {
        (SubjectId::IssSub { iss, sub }, _) if iss == authority.issuer() => Some(sub.clone()),
        (SubjectId::IssSub { iss, sub }, Caller::Idp { issuer, connection }) if iss == issuer => {
            let key = format!("{connection}\u{1f}{sub}");
            links()?
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, u)| u)
        }
        (SubjectId::IssSub { .. }, _) => None,
        (SubjectId::Opaque(id), _) => Some(id.clone()),
        (SubjectId::Email(email), _) => by_claim("email", email)?,
        (SubjectId::PhoneNumber(p), _) => by_claim("phone_number", p)?,
        (SubjectId::Account(uri), _) => {
            // RFC 7565: `acct:userpart@host`; the user part is the login name.
            let name = uri
                .trim_start_matches("acct:")
                .rsplit_once('@')
                .map(|(u, _)| u.to_owned());
            match name {
                Some(n) => authority
                    .user_by_name(&n)
                    .map_err(|_| Refusal::Unavailable)?
                    .map(|u| u.id),
                None => None,
            }
        }
        _ => {
            return Err(Refusal::BadRequest(
                "the subject identifier format is not supported",
            ));
        }
    };
    let user = match found {
        Some(id) => authority
            .user(&id)
            .map_err(|_| Refusal::Unavailable)?
            .map(|u| u.id),
        None => None,
    }
    .ok_or(Refusal::UnknownSubject)?;
    if let Caller::Idp { connection, .. } = caller {
        let prefix = format!("{connection}\u{1f}");
        let reachable = links()?
            .iter()
            .any(|(k, u)| k.starts_with(&prefix) && *u == user);
        if !reachable {
            return Err(Refusal::UnknownSubject);
        }
    }
    Ok(user)
}
