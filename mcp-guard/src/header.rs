//! The two headers of RFC 6750: reading `Authorization: Bearer <token>` (section
//! 2.1) and writing and reading `WWW-Authenticate` challenges (section 3, RFC 9728
//! section 5.1). Both parsers see untrusted bytes and are fuzzed.

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

/// Reads the bearer token of one `Authorization` header value.
///
/// `credentials = "Bearer" 1*SP b64token` with the scheme case-insensitive (RFC 9110
/// section 11.1) and `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
/// Trailing spaces are tolerated; anything else is malformed.
pub fn parse_bearer(value: &[u8]) -> Result<&str, AuthorizationError> {
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
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthorizationError::OtherScheme);
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if is_b64token(token) {
        Ok(token)
    } else {
        Err(AuthorizationError::Malformed)
    }
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
        let mut out = String::from("Bearer");
        let mut sep = " ";
        let mut push = |name: &str, value: &str| {
            out.push_str(sep);
            out.push_str(name);
            out.push_str("=\"");
            // RFC 6750 section 3: these values exclude '"' and '\' and control bytes.
            out.extend(
                value
                    .chars()
                    .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\'),
            );
            out.push('"');
            sep = ", ";
        };
        if let Some(code) = self.error {
            push("error", code.as_str());
        }
        if let Some(d) = &self.description {
            push("error_description", d);
        }
        if !self.scope.is_empty() {
            push("scope", &self.scope.join(" "));
        }
        if let Some(url) = &self.resource_metadata {
            push("resource_metadata", url);
        }
        out
    }
}

/// One challenge read from a `WWW-Authenticate` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedChallenge {
    /// The scheme, as sent.
    pub scheme: String,
    /// A `token68` instead of parameters, if any.
    pub token68: Option<String>,
    /// The parameters in order, names lower-cased, quoted values unescaped.
    pub params: Vec<(String, String)>,
}

impl ParsedChallenge {
    /// A parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a `WWW-Authenticate` value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed WWW-Authenticate value at byte {0}")]
pub struct ChallengeParseError(pub usize);

/// Largest `WWW-Authenticate` value read, in bytes.
pub const MAX_CHALLENGE_BYTES: usize = 16 * 1024;

/// Parses a `WWW-Authenticate` value (RFC 9110 section 11.6.1): a comma-separated
/// list of challenges, each a scheme followed by a `token68` or auth-params.
pub fn parse_www_authenticate(value: &str) -> Result<Vec<ParsedChallenge>, ChallengeParseError> {
    if value.len() > MAX_CHALLENGE_BYTES {
        return Err(ChallengeParseError(MAX_CHALLENGE_BYTES));
    }
    let mut p = Parser {
        s: value.as_bytes(),
        i: 0,
    };
    let mut out: Vec<ParsedChallenge> = Vec::new();
    loop {
        p.skip_list_separators();
        if p.at_end() {
            break;
        }
        let scheme = p.token().ok_or(ChallengeParseError(p.i))?;
        let mut challenge = ParsedChallenge {
            scheme: scheme.to_owned(),
            token68: None,
            params: Vec::new(),
        };
        let had_space = p.skip_ws();
        if had_space && !p.at_end() && p.peek() != Some(b',') {
            // token68, or the first auth-param.
            let save = p.i;
            let t68 = p.token68();
            let after = p.i;
            p.skip_ws();
            if t68.is_some() && (p.at_end() || p.peek() == Some(b',')) && !p.is_param_at(save) {
                challenge.token68 = t68.map(str::to_owned);
            } else {
                p.i = save;
                let _ = after;
                p.params_into(&mut challenge.params)?;
            }
        }
        out.push(challenge);
    }
    Ok(out)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }
    fn skip_list_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        let bytes = self.s.get(start..self.i)?;
        if bytes.is_empty() {
            return None;
        }
        std::str::from_utf8(bytes).ok()
    }
    fn token68(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        }) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.i += 1;
        }
        std::str::from_utf8(self.s.get(start..self.i)?).ok()
    }
    /// Whether an auth-param (`token BWS "="` not followed by only '='s) starts at `at`.
    fn is_param_at(&self, at: usize) -> bool {
        let mut j = at;
        while self.s.get(j).copied().is_some_and(is_tchar) {
            j += 1;
        }
        if j == at {
            return false;
        }
        while matches!(self.s.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        if self.s.get(j) != Some(&b'=') {
            return false;
        }
        // `abc==` or `abc=` is a token68; `abc=x`, `abc="x"`, `abc = x` is a parameter.
        let mut k = j + 1;
        if self.s.get(k) == Some(&b'=') {
            return false;
        }
        while matches!(self.s.get(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        self.s.get(k).is_some_and(|&b| b == b'"' || is_tchar(b))
    }
    fn params_into(
        &mut self,
        params: &mut Vec<(String, String)>,
    ) -> Result<(), ChallengeParseError> {
        loop {
            self.skip_ws();
            if self.at_end() {
                return Ok(());
            }
            // A new challenge starts where a token is not followed by '='.
            if !self.is_param_at(self.i) {
                return Ok(());
            }
            let name = self.token().ok_or(ChallengeParseError(self.i))?;
            self.skip_ws();
            if self.peek() != Some(b'=') {
                return Err(ChallengeParseError(self.i));
            }
            self.i += 1;
            self.skip_ws();
            let value = if self.peek() == Some(b'"') {
                self.quoted()?
            } else {
                self.token().ok_or(ChallengeParseError(self.i))?.to_owned()
            };
            params.push((name.to_ascii_lowercase(), value));
            self.skip_ws();
            match self.peek() {
                None => return Ok(()),
                Some(b',') => {
                    self.i += 1;
                    self.skip_list_separators();
                }
                Some(_) => return Err(ChallengeParseError(self.i)),
            }
        }
    }
    fn quoted(&mut self) -> Result<String, ChallengeParseError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ChallengeParseError(self.i)),
                Some(b'"') => {
                    self.i += 1;
                    return String::from_utf8(out).map_err(|_| ChallengeParseError(self.i));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or(ChallengeParseError(self.i))?;
                    out.push(c);
                    self.i += 1;
                }
                Some(c) if c == b'\t' || c >= 0x20 && c != 0x7f => {
                    out.push(c);
                    self.i += 1;
                }
                Some(_) => return Err(ChallengeParseError(self.i)),
            }
        }
    }
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
        assert_eq!(parse_bearer(b""), Err(AuthorizationError::Malformed));
        let big = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_BYTES));
        assert_eq!(
            parse_bearer(big.as_bytes()),
            Err(AuthorizationError::TooLarge)
        );
    }

    #[test]
    fn challenge_round_trip() -> Result<(), ChallengeParseError> {
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
        let parsed = parse_www_authenticate(&value)?;
        assert_eq!(parsed.len(), 1);
        let first = parsed.first().ok_or(ChallengeParseError(0))?;
        assert_eq!(first.scheme, "Bearer");
        assert_eq!(first.param("scope"), Some("mcp:crm:read mcp:docs:read"));
        assert_eq!(first.param("ERROR"), Some("insufficient_scope"));
        Ok(())
    }

    #[test]
    fn several_challenges_and_token68() -> Result<(), ChallengeParseError> {
        let parsed = parse_www_authenticate(
            "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\", Other abc==",
        )?;
        let schemes: Vec<&str> = parsed.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Newauth", "Basic", "Other"]);
        assert_eq!(
            parsed.first().and_then(|c| c.param("title")),
            Some("Login to \"apps\"")
        );
        assert_eq!(
            parsed.get(2).and_then(|c| c.token68.as_deref()),
            Some("abc==")
        );
        assert!(parse_www_authenticate("Bearer error=\"unterminated").is_err());
        assert!(parse_www_authenticate("Bearer a=b c").is_err());
        Ok(())
    }
}
