//! The body of a Global Token Revocation request
//! (draft-parecki-oauth-global-token-revocation section 3): a JSON object
//! naming one subject by an RFC 9493 identifier in `sub_id` (Okta sends the
//! same member as `subject`).

use super::{Subject, SubjectError};

/// Why a Global Token Revocation request body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GtrRequestError {
    /// The body is not a JSON object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// Both `sub_id` and `subject` are present: two subjects, possibly different.
    #[error("both `sub_id` and `subject`")]
    TwoSubjects,
    /// No subject.
    #[error("`sub_id` is required")]
    NoSubject,
    /// The subject identifier is malformed or unsupported (section 3.1:
    /// an unsupported format is answered 422).
    #[error("{0}")]
    Subject(#[source] SubjectError),
}

/// Reads the subject of a Global Token Revocation request body.
///
/// ```
/// use agent_auth::signals::{Subject, gtr_subject};
/// let body = br#"{"sub_id": {"format": "opaque", "id": "sarah"}}"#;
/// assert_eq!(gtr_subject(body), Ok(Subject::Opaque("sarah".into())));
/// ```
pub fn gtr_subject(body: &[u8]) -> Result<Subject, GtrRequestError> {
    let Ok(serde_json::Value::Object(members)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return Err(GtrRequestError::NotAnObject);
    };
    let sub_id = match (members.get("sub_id"), members.get("subject")) {
        (Some(s), None) | (None, Some(s)) => s,
        (Some(_), Some(_)) => return Err(GtrRequestError::TwoSubjects),
        (None, None) => return Err(GtrRequestError::NoSubject),
    };
    Subject::from_sub_id(sub_id).map_err(GtrRequestError::Subject)
}
