//! Why a Security Event Token was refused, with its RFC 8935 section 2.3
//! error code. Messages name the failed check, never token bytes.

use super::{Refusal, SubjectError};
use crate::validate::ValidationError;

/// A SET was refused; nothing of it took effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// The SET failed its token profile (`typ: secevent+jwt`, signature,
    /// issuer, audience, no `sub`, no `exp`, `events` of objects).
    #[error("invalid security event token: {0}")]
    Token(#[source] ValidationError),
    /// The SET is stale, from the future, or already received.
    #[error("{0}")]
    NotFresh(#[source] Refusal),
    /// An event type the stream did not ask for (SSF 1.0 section 8.1.1:
    /// a transmitter delivers only events requested and supported).
    #[error("event type not requested by this receiver")]
    EventNotRequested,
    /// The event names no subject (neither `sub_id` nor the event's `subject`).
    #[error("the event names no subject")]
    NoSubject,
    /// The subject identifier is malformed or of an unsupported format.
    #[error("subject: {0}")]
    Subject(#[source] SubjectError),
    /// The subject belongs to an issuer this transmitter does not speak for.
    #[error("the transmitter may not speak for subjects of this issuer")]
    SubjectOutOfScope,
    /// `event_timestamp` is not a NumericDate, or is in the future.
    #[error("`event_timestamp` is not a NumericDate in the past")]
    EventTimestamp,
    /// A verification event answers no verification this receiver asked for.
    #[error("verification event with an unknown `state`")]
    UnexpectedVerification,
}

impl SetError {
    /// The RFC 8935 section 2.3 / IANA "Security Event Token Error Codes"
    /// value: `invalid_request`, `invalid_key`, `invalid_issuer`,
    /// `invalid_audience` or `access_denied`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Token(e) => match e {
                ValidationError::WrongIssuer => "invalid_issuer",
                ValidationError::WrongAudience => "invalid_audience",
                ValidationError::UnknownKey
                | ValidationError::InvalidSignature
                | ValidationError::KeyAlgorithmMismatch(_)
                | ValidationError::AmbiguousKey
                | ValidationError::AlgorithmNotAllowed(_)
                | ValidationError::KeysUnavailable => "invalid_key",
                _ => "invalid_request",
            },
            Self::SubjectOutOfScope => "access_denied",
            _ => "invalid_request",
        }
    }

    /// The HTTP status of a push answer: 403 for `access_denied` (RFC 8935
    /// section 2.3 lets 401/403 carry authorization failures), 400 otherwise.
    pub fn status(&self) -> u16 {
        if self.code() == "access_denied" {
            403
        } else {
            400
        }
    }

    /// Whether the SET was already received: a poll receiver acknowledges it
    /// again, since the transmitter did not see the first acknowledgement.
    pub fn is_replay(&self) -> bool {
        matches!(self, Self::NotFresh(Refusal::Replayed))
    }
}
