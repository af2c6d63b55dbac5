//! `WWW-Authenticate` parsing: every challenge of a header (RFC 9110 section
//! 11.6.1: an auth scheme, then a token68 or auth-params, quoted strings
//! unescaped), and the Bearer challenge's parameters (RFC 6750 section 3,
//! RFC 9728 section 5.1). Self-contained: no feature, no I/O, typed errors.

/// One challenge: an auth scheme with its parameters (or a token68).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth scheme, as sent (compare case-insensitively).
    pub scheme: String,
    /// `name=value` parameters; names lower-cased, quoted values unescaped.
    pub params: Vec<(String, String)>,
    /// A token68 instead of parameters.
    pub token68: Option<String>,
}

impl Challenge {
    /// A parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The header is longer than accepted.
    #[error("WWW-Authenticate header too long")]
    TooLong,
    /// The header does not follow the RFC 9110 grammar.
    #[error("malformed WWW-Authenticate header: {0}")]
    Malformed(&'static str),
    /// A parameter appears twice in one challenge (RFC 9110 section 11.2).
    #[error("repeated parameter in a challenge")]
    RepeatedParameter,
}

/// The Bearer challenge of a protected resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BearerChallenge {
    /// `realm`.
    pub realm: Option<String>,
    /// `resource_metadata`: where the resource's RFC 9728 metadata lives.
    pub resource_metadata: Option<String>,
    /// `scope`, split (RFC 6750 section 3: the scope needed).
    pub scope: Vec<String>,
    /// `error` (`invalid_token`, `insufficient_scope`, ...).
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl BearerChallenge {
    /// The Bearer challenge among the challenges of a header, if any.
    pub fn from_header(header: &str) -> Result<Option<Self>, ChallengeError> {
        let challenges = parse_www_authenticate(header)?;
        Ok(challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("Bearer"))
            .map(|c| Self {
                realm: c.param("realm").map(str::to_owned),
                resource_metadata: c.param("resource_metadata").map(str::to_owned),
                scope: c
                    .param("scope")
                    .unwrap_or_default()
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                error: c.param("error").map(str::to_owned),
                error_description: c.param("error_description").map(str::to_owned),
            }))
    }

    /// Whether this is a step-up request (RFC 6750 section 3.1 `insufficient_scope`).
    pub fn is_insufficient_scope(&self) -> bool {
        self.error.as_deref() == Some("insufficient_scope")
    }
}

/// Longest header accepted.
const MAX_HEADER: usize = 8 * 1024;

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        (self.i > start)
            .then(|| String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into())
    }
    fn quoted(&mut self) -> Result<String, ChallengeError> {
        // Caller saw the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ChallengeError::Malformed("unterminated quoted string")),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self
                        .peek()
                        .ok_or(ChallengeError::Malformed("dangling escape"))?;
                    out.push(c);
                    self.i += 1;
                }
                Some(c) if c == b'\t' || c >= 0x20 && c != 0x7f => {
                    out.push(c);
                    self.i += 1;
                }
                Some(_) => return Err(ChallengeError::Malformed("control character")),
            }
        }
        String::from_utf8(out).map_err(|_| ChallengeError::Malformed("not UTF-8"))
    }
}

/// Parses a `WWW-Authenticate` value into its challenges (RFC 9110 section 11.6.1):
/// `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, challenges
/// separated by commas.
pub fn parse_www_authenticate(header: &str) -> Result<Vec<Challenge>, ChallengeError> {
    if header.len() > MAX_HEADER {
        return Err(ChallengeError::TooLong);
    }
    let mut c = Cursor {
        s: header.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        // Skip empty list elements.
        loop {
            c.skip_ws();
            if c.peek() == Some(b',') {
                c.i += 1;
            } else {
                break;
            }
        }
        if c.peek().is_none() {
            break;
        }
        let scheme = c
            .token()
            .ok_or(ChallengeError::Malformed("expected an auth scheme"))?;
        let mut challenge = Challenge {
            scheme,
            params: Vec::new(),
            token68: None,
        };
        // Parameters (or one token68) until the next challenge starts.
        let mut first = true;
        loop {
            c.skip_ws();
            match c.peek() {
                None => break,
                Some(b',') => {
                    c.i += 1;
                    first = false;
                    continue;
                }
                _ => {}
            }
            let mark = c.i;
            if first {
                // A token68 follows the scheme directly and ends the challenge.
                while c.peek().is_some_and(is_token68_char) {
                    c.i += 1;
                }
                let body_end = c.i;
                while c.peek() == Some(b'=') {
                    c.i += 1;
                }
                let end = c.i;
                c.skip_ws();
                if end > mark && body_end > mark && matches!(c.peek(), None | Some(b',')) {
                    challenge.token68 = Some(
                        String::from_utf8_lossy(c.s.get(mark..end).unwrap_or_default()).into(),
                    );
                    first = false;
                    continue;
                }
                c.i = mark;
            }
            first = false;
            let name = c
                .token()
                .ok_or(ChallengeError::Malformed("unexpected character"))?;
            c.skip_ws();
            if c.peek() != Some(b'=') {
                // The next challenge's scheme.
                c.i = mark;
                break;
            }
            if challenge.token68.is_some() {
                return Err(ChallengeError::Malformed("parameters after a token68"));
            }
            c.i += 1;
            c.skip_ws();
            let value = if c.peek() == Some(b'"') {
                c.quoted()?
            } else {
                c.token()
                    .ok_or(ChallengeError::Malformed("expected a parameter value"))?
            };
            let name = name.to_ascii_lowercase();
            if challenge.params.iter().any(|(n, _)| *n == name) {
                return Err(ChallengeError::RepeatedParameter);
            }
            challenge.params.push((name, value));
            c.skip_ws();
            match c.peek() {
                None => break,
                Some(b',') => c.i += 1,
                Some(_) => return Err(ChallengeError::Malformed("expected a comma")),
            }
        }
        out.push(challenge);
    }
    if out.is_empty() {
        return Err(ChallengeError::Malformed("no challenge"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz target's committed seeds are well-formed headers (so the
    /// fuzzer starts from inputs that reach every parameter form).
    #[test]
    fn the_fuzz_seeds_parse() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/www_authenticate");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let header = std::fs::read_to_string(&path).unwrap();
            let challenges = parse_www_authenticate(&header).unwrap();
            assert!(!challenges.is_empty(), "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 5, "expected the seed headers in {}", dir.display());
    }

    #[test]
    fn bearer_challenge_with_resource_metadata_and_scope() {
        let h = r#"Bearer realm="mcp", error="insufficient_scope", scope="files:read files:write", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp""#;
        let b = BearerChallenge::from_header(h).unwrap().unwrap();
        assert_eq!(b.realm.as_deref(), Some("mcp"));
        assert!(b.is_insufficient_scope());
        assert_eq!(b.scope, ["files:read", "files:write"]);
        assert_eq!(
            b.resource_metadata.as_deref(),
            Some("https://mcp.example/.well-known/oauth-protected-resource/mcp")
        );
    }

    #[test]
    fn several_challenges_tokens_and_escapes() {
        let h = r#"Basic realm="x", Bearer error=invalid_token, error_description="a \"quoted\" word",DPoP algs="ES256""#;
        let all = parse_www_authenticate(h).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].scheme, "Basic");
        assert_eq!(all[1].param("ERROR"), Some("invalid_token"));
        assert_eq!(
            all[1].param("error_description"),
            Some(r#"a "quoted" word"#)
        );
        assert_eq!(all[2].param("algs"), Some("ES256"));
        let bare = parse_www_authenticate("Bearer").unwrap();
        assert_eq!(
            (bare[0].scheme.as_str(), bare[0].params.len()),
            ("Bearer", 0)
        );
        let b = BearerChallenge::from_header("bearer").unwrap().unwrap();
        assert!(b.scope.is_empty() && b.resource_metadata.is_none());
        assert_eq!(
            BearerChallenge::from_header(r#"Basic realm="x""#).unwrap(),
            None
        );
        let t68 = parse_www_authenticate("Negotiate abc123==").unwrap();
        assert_eq!(t68[0].token68.as_deref(), Some("abc123=="));
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        for bad in [
            "",
            "   ",
            r#"Bearer realm="unterminated"#,
            r#"Bearer realm="a" realm2="b""#,
            r#"Bearer realm="a", scope="#,
            r#"Bearer realm="a", =b"#,
            "=x",
            "Bearer realm=\"\u{1}\"",
        ] {
            assert!(parse_www_authenticate(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_www_authenticate(r#"Bearer scope="a", scope="b""#),
            Err(ChallengeError::RepeatedParameter)
        );
        assert_eq!(
            parse_www_authenticate(&"a".repeat(9000)),
            Err(ChallengeError::TooLong)
        );
    }

    #[test]
    fn token68_then_another_challenge_and_escaped_backslash() {
        let all =
            parse_www_authenticate(r#"Negotiate YWJj==, Bearer realm="a\\b", error_uri="x\"y""#)
                .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].token68.as_deref(), Some("YWJj=="));
        assert!(all[0].params.is_empty());
        assert_eq!(all[1].param("realm"), Some(r"a\b"));
        assert_eq!(all[1].param("error_uri"), Some(r#"x"y"#));
    }

    #[test]
    fn parameters_after_a_token68_are_a_typed_error() {
        assert_eq!(
            parse_www_authenticate("Negotiate abc==, realm=x"),
            Err(ChallengeError::Malformed("parameters after a token68"))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(text in ".{0,300}") {
            let _ = parse_www_authenticate(&text);
            let _ = BearerChallenge::from_header(&text);
        }

        #[test]
        fn generated_challenges_parse_back(
            scheme in "[A-Za-z][A-Za-z0-9-]{0,10}",
            params in proptest::collection::btree_map("[a-z_]{1,12}", "[ !#-\\[\\]-~]{0,20}", 0..5),
        ) {
            let rendered: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect();
            let header = format!("{scheme} {}, Basic realm=\"x\"", rendered.join(", "));
            let parsed = parse_www_authenticate(&header).unwrap();
            proptest::prop_assert_eq!(parsed.len(), 2);
            proptest::prop_assert_eq!(&parsed[0].scheme, &scheme);
            let expected: Vec<(String, String)> = params.into_iter().collect();
            proptest::prop_assert_eq!(&parsed[0].params, &expected);
        }
    }
}
