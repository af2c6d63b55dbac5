//! The two headers of RFC 6750: reading `Authorization: Bearer <token>` (section
//! 2.1) and writing `WWW-Authenticate` challenges (section 3, RFC 9728 section
//! 5.1). The bearer parser sees untrusted bytes and is fuzzed; reading a
//! challenge is the OAuth core's job (`agent_auth::oauth::parse_www_authenticate`),
//! which the fuzz target and the tests use to read back what is written here.

/// Largest `Authorization` header value read, in bytes. Larger values are refused
/// before any parsing.
pub const MAX_AUTHORIZATION_BYTES: usize = 32 * 1024;

/// Why an `Authorization` header could not be read as a bearer credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// The header appears more than once (RFC 6750 section 3.1 `invalid_request`).
    #[error("more than one Authorization header")]
    Repeated,
    /// The value exceeds [`MAX_AUTHORIZATION_BYTES`].
    #[error("Authorization header too large")]
    TooLarge,
    /// The value is not `Bearer` followed by a `b64token` (RFC 6750 section 2.1).
    #[error("malformed bearer credentials")]
    Malformed,
    /// Another authentication scheme (e.g. `Basic`): no bearer token was offered.
    #[error("not a bearer credential")]
    OtherScheme,
}

/// The authentication scheme an access token was presented with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer` (RFC 6750 section 2.1).
    Bearer,
    /// `DPoP` (RFC 9449 section 7.1): the request also carries a `DPoP` proof.
    Dpop,
}

/// Reads the bearer token of one `Authorization` header value.
///
/// `credentials = "Bearer" 1*SP b64token` with the scheme case-insensitive (RFC 9110
/// section 11.1) and `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// Trailing spaces are tolerated; anything else is malformed.
pub fn parse_bearer(value: &[u8]) -> Result<&str, AuthorizationError> {
    match parse_access_token(value)? {
        (Scheme::Bearer, token) => Ok(token),
        (Scheme::Dpop, _) => Err(AuthorizationError::OtherScheme),
    }
}

/// Reads the access token of one `Authorization` header value presented with
/// the `Bearer` or the `DPoP` scheme (RFC 9449 section 7.1 uses the same
/// `token68`-like syntax as RFC 6750). Other schemes are
/// [`AuthorizationError::OtherScheme`].
///
/// ```
/// use mcp_guard::header::{Scheme, parse_access_token};
/// assert_eq!(parse_access_token(b"DPoP abc.def"), Ok((Scheme::Dpop, "abc.def")));
/// assert_eq!(parse_access_token(b"bearer abc"), Ok((Scheme::Bearer, "abc")));
/// ```
pub fn parse_access_token(value: &[u8]) -> Result<(Scheme, &str), AuthorizationError> {
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return Err(AuthorizationError::TooLarge);
    }
    let text = std::str::from_utf8(value).map_err(|_| AuthorizationError::Malformed)?;
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = match text.find([' ', '\t']) {
        Some(i) => (text.get(..i).unwrap_or(""), text.get(i..).unwrap_or("")),
        None => (text, ""),
    };
    if scheme.is_empty() || !scheme.bytes().all(is_tchar) {
        return Err(AuthorizationError::Malformed);
    }
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Err(AuthorizationError::OtherScheme);
    };
    let token = rest.trim_start_matches([' ', '\t']);
    if is_b64token(token) {
        Ok((scheme, token))
    } else {
        Err(AuthorizationError::Malformed)
    }
}

/// Reads the access token and its scheme from all `Authorization` header
/// values of a request: `Ok(None)` when there is none, an error when there are
/// several.
pub fn access_token_from_headers(
    headers: &axum::http::HeaderMap,
) -> Result<Option<(Scheme, &str)>, AuthorizationError> {
    let mut values = headers.get_all(axum::http::header::AUTHORIZATION).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthorizationError::Repeated);
    }
    parse_access_token(first.as_bytes()).map(Some)
}

/// Reads the bearer token from all `Authorization` header values of a request:
/// `Ok(None)` when there is none, an error when there are several.
pub fn bearer_from_headers(
    headers: &axum::http::HeaderMap,
) -> Result<Option<&str>, AuthorizationError> {
    let mut values = headers.get_all(axum::http::header::AUTHORIZATION).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthorizationError::Repeated);
    }
    parse_bearer(first.as_bytes()).map(Some)
}

/// RFC 6750 section 2.1 `b64token`.
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b < 128 && (B64TOKEN_CHARS >> b) & 1 == 1)
}

/// The bytes of a `b64token` before its trailing `=`s, one bit per ASCII
/// byte: a token is checked on every request, so one shift a byte.
const B64TOKEN_CHARS: u128 = {
    let mut mask = 0u128;
    let mut c = 0u8;
    while c < 128 {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
            mask |= 1 << c;
        }
        c += 1;
    }
    mask
};

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The error codes of RFC 6750 section 3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: missing or repeated parameter, several methods, otherwise malformed.
    InvalidRequest,
    /// 401: expired, revoked, malformed or otherwise invalid token.
    InvalidToken,
    /// 403: the token lacks the scopes the request needs.
    InsufficientScope,
}

impl ErrorCode {
    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }
}

/// A `Bearer` challenge (RFC 6750 section 3 with RFC 9728 section 5.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// `error`, absent when the request carried no credentials (section 3.1).
    pub error: Option<ErrorCode>,
    /// `error_description`, for developers; never contains token bytes.
    pub description: Option<String>,
    /// `scope`: every scope the request needs.
    pub scope: Vec<String>,
    /// `resource_metadata`: URL of the RFC 9728 metadata document.
    pub resource_metadata: Option<String>,
}

impl Challenge {
    /// The header value.
    pub fn to_header_value(&self) -> String {
        let scope = self.scope.join(" ");
        let params = [
            ("error", self.error.map(ErrorCode::as_str)),
            ("error_description", self.description.as_deref()),
            ("scope", Some(scope.as_str()).filter(|s| !s.is_empty())),
            ("resource_metadata", self.resource_metadata.as_deref()),
        ];
        challenge_value("Bearer", &params)
    }
}

/// A challenge: `scheme` then each present parameter as a quoted string.
/// RFC 6750 section 3 (and RFC 9449 section 7.1, which reuses its syntax):
/// the values exclude '"', '\\' and control bytes, so those are dropped.
pub(crate) fn challenge_value(scheme: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut out = String::from(scheme);
    let mut sep = " ";
    for (name, value) in params {
        let Some(value) = value else { continue };
        out.push_str(sep);
        out.push_str(name);
        out.push_str("=\"");
        out.extend(
            value
                .chars()
                .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\'),
        );
        out.push('"');
        sep = ", ";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(parse_bearer(b"Bearer abc.def-ghi"), Ok("abc.def-ghi"));
        assert_eq!(parse_bearer(b"bearer  abc=="), Ok("abc=="));
        assert_eq!(parse_bearer(b"BEARER abc "), Ok("abc"));
        assert_eq!(parse_bearer(b"Bearer"), Err(AuthorizationError::Malformed));
        assert_eq!(parse_bearer(b"Bearer "), Err(AuthorizationError::Malformed));
        assert_eq!(
            parse_bearer(b"Bearer a b"),
            Err(AuthorizationError::Malformed)
        );
        assert_eq!(
            parse_bearer(b"Bearer a,b"),
            Err(AuthorizationError::Malformed)
        );
        assert_eq!(
            parse_bearer(b"Bearer =abc"),
            Err(AuthorizationError::Malformed)
        );
        assert_eq!(
            parse_bearer(b"Bearer\xff"),
            Err(AuthorizationError::Malformed)
        );
        assert_eq!(
            parse_bearer(b"Basic dXNlcjpwYXNz"),
            Err(AuthorizationError::OtherScheme)
        );
        assert_eq!(
            parse_bearer(b"DPoP abc"),
            Err(AuthorizationError::OtherScheme)
        );
        assert_eq!(
            parse_access_token(b"dpop  abc.def "),
            Ok((Scheme::Dpop, "abc.def"))
        );
        assert_eq!(
            parse_access_token(b"DPoP a b"),
            Err(AuthorizationError::Malformed)
        );
        assert_eq!(parse_bearer(b""), Err(AuthorizationError::Malformed));
        let big = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_BYTES));
        assert_eq!(
            parse_bearer(big.as_bytes()),
            Err(AuthorizationError::TooLarge)
        );
    }

    #[test]
    fn challenge_round_trip() -> Result<(), agent_auth::oauth::ChallengeError> {
        let c = Challenge {
            error: Some(ErrorCode::InsufficientScope),
            description: Some("needs \"more\"\n".into()),
            scope: vec!["mcp:crm:read".into(), "mcp:docs:read".into()],
            resource_metadata: Some(
                "https://mcp.example/.well-known/oauth-protected-resource/mcp".into(),
            ),
        };
        let value = c.to_header_value();
        assert_eq!(
            value,
            "Bearer error=\"insufficient_scope\", error_description=\"needs more\", scope=\"mcp:crm:read mcp:docs:read\", resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource/mcp\""
        );
        let parsed = agent_auth::oauth::parse_www_authenticate(&value)?;
        assert_eq!(parsed.len(), 1);
        let first = parsed
            .first()
            .ok_or(agent_auth::oauth::ChallengeError::Malformed("empty"))?;
        assert_eq!(first.scheme, "Bearer");
        assert_eq!(first.param("scope"), Some("mcp:crm:read mcp:docs:read"));
        assert_eq!(first.param("ERROR"), Some("insufficient_scope"));
        Ok(())
    }
}
