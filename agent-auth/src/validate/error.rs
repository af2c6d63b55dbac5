//! Why a token was refused.

use crate::jose::Algorithm;
use crate::jose::json::JsonProblem;

/// A token failed validation. Messages name the check that failed; they never
/// contain the token or its signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The token is larger than the configured cap; nothing of it was parsed.
    #[error("token of {size} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Size of the token.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The token is not a well-formed compact JWS/JWT.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The signature part is empty: an unsecured JWS (RFC 7519 section 6) is
    /// never accepted, whatever `alg` says.
    #[error("signature is empty")]
    EmptySignature,
    /// A protected header member has another JSON type than RFC 7515 section
    /// 4.1 gives it.
    #[error("header member `{member}` is not {expected}")]
    InvalidHeaderMember {
        /// The member, for example `kid`.
        member: &'static str,
        /// What it must be, for example "a string".
        expected: &'static str,
    },
    /// The header says `cty: JWT`: the payload would be a nested JWT (RFC 7519
    /// section 7.2 step 8), which is never unwrapped here.
    #[error("nested JWT (`cty` is `JWT`) is not accepted")]
    NestedJwt,
    /// A JSON object in the token repeats a member name (see `jose::json`).
    #[error("duplicate JSON member name in the token")]
    DuplicateMember,
    /// JSON in the token nests deeper than allowed.
    #[error("JSON in the token nests too deeply")]
    NestingTooDeep,
    /// `alg` is missing, `none`, or not an algorithm this crate implements.
    #[error("unsupported or missing `alg`")]
    UnsupportedAlgorithm,
    /// `alg` names an algorithm this validator does not allow.
    #[error("algorithm {0} is not allowed here")]
    AlgorithmNotAllowed(Algorithm),
    /// The header lists critical extensions (`crit`); none are understood (RFC 7515 section 4.1.11).
    #[error("unsupported critical header parameter")]
    CriticalHeader,
    /// `typ` is not the one of this token kind (RFC 8725 section 3.11).
    #[error("wrong token type: expected {expected}")]
    WrongType {
        /// What the profile expects.
        expected: &'static str,
    },
    /// No trusted key matches the token's `kid` and `alg`.
    #[error("no trusted key for this token")]
    UnknownKey,
    /// The token has no `kid` and several trusted keys could verify it.
    #[error("token has no `kid` and several keys match")]
    AmbiguousKey,
    /// The key named by `kid` is bound to another algorithm (RFC 8725 section 3.1).
    #[error("the key named by `kid` is not for {0}")]
    KeyAlgorithmMismatch(Algorithm),
    /// The signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// A claim the profile requires is absent.
    #[error("required claim `{0}` is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or form.
    #[error("claim `{0}` is malformed")]
    InvalidClaim(&'static str),
    /// `iss` is not the expected issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain the expected audience.
    #[error("wrong audience")]
    WrongAudience,
    /// `aud` lists a value that is neither an accepted nor an additionally
    /// trusted audience, in a kind where every audience must be trusted
    /// (OpenID Connect Core 1.0 section 3.1.3.7 step 3).
    #[error("`aud` lists an audience that is not trusted")]
    UntrustedAudience,
    /// `exp` has passed (leeway included).
    #[error("token expired")]
    Expired,
    /// `nbf` is still in the future (leeway included).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future beyond the leeway.
    #[error("token issued in the future")]
    IssuedInFuture,
    /// A rule of the token kind's profile was broken.
    #[error("token violates the {kind} profile: {rule}")]
    Profile {
        /// The token kind.
        kind: &'static str,
        /// The rule.
        rule: &'static str,
    },
    /// The key source could not be reached and has no usable key.
    #[error("signing keys unavailable")]
    KeysUnavailable,
}

/// The error for JSON that the strict parser refused; `syntax` names the part.
pub(crate) fn json_error(problem: JsonProblem, syntax: &'static str) -> ValidationError {
    match problem {
        JsonProblem::Duplicate => ValidationError::DuplicateMember,
        JsonProblem::TooDeep => ValidationError::NestingTooDeep,
        JsonProblem::Syntax => ValidationError::Malformed(syntax),
    }
}
