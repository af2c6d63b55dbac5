//! Reading the one request a browser sends to a loopback redirect URI (RFC
//! 8252 section 7.3): only its request line matters: a `GET` of an
//! origin-form target whose query carries the authorization response.

/// The largest request head accepted (request line and headers).
pub const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// A browser's request to the loopback listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// The path of the target, without query.
    pub path: String,
    /// The query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
}

impl CallbackRequest {
    /// The value of query parameter `name`, when it appears exactly once
    /// (RFC 6749 section 3.1: parameters must not be repeated).
    pub fn param(&self, name: &str) -> Option<&str> {
        let mut found = self.query.iter().filter(|(k, _)| k == name);
        match (found.next(), found.next()) {
            (Some((_, v)), None) => Some(v),
            _ => None,
        }
    }
}

/// Why a request to the loopback listener was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRequestError {
    /// The head exceeds [`MAX_REQUEST_HEAD`] or never ends.
    #[error("the request head is too large")]
    TooLarge,
    /// Not an HTTP/1.x request line with an origin-form target.
    #[error("malformed request line")]
    Malformed,
    /// Another method than `GET`.
    #[error("only GET is accepted")]
    NotGet,
}

/// Parses the head of one HTTP/1.x request (`bytes` holds at least the
/// request line and its CRLF).
///
/// ```
/// use agent_auth::oauth::parse_callback_request;
/// let r = parse_callback_request(b"GET /callback?code=c&state=s HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
/// assert_eq!(r.path, "/callback");
/// assert_eq!(r.param("state"), Some("s"));
/// ```
pub fn parse_callback_request(bytes: &[u8]) -> Result<CallbackRequest, CallbackRequestError> {
    let end =
        bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(if bytes.len() >= MAX_REQUEST_HEAD {
                CallbackRequestError::TooLarge
            } else {
                CallbackRequestError::Malformed
            })?;
    if end > MAX_REQUEST_HEAD {
        return Err(CallbackRequestError::TooLarge);
    }
    let line = bytes
        .get(..end)
        .and_then(|l| std::str::from_utf8(l).ok())
        .ok_or(CallbackRequestError::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CallbackRequestError::Malformed);
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") || !target.starts_with('/') {
        return Err(CallbackRequestError::Malformed);
    }
    if method != "GET" {
        return Err(CallbackRequestError::NotGet);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path.bytes().any(|b| b.is_ascii_control()) || target.contains('#') {
        return Err(CallbackRequestError::Malformed);
    }
    Ok(CallbackRequest {
        path: path.to_owned(),
        query: form_pairs(query),
    })
}

/// `application/x-www-form-urlencoded` pairs (the query of a redirect).
fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|h| hex(*h)),
                bytes.get(i + 2).and_then(|l| hex(*l)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_query() {
        let r =
            parse_callback_request(b"GET /cb?code=a%2Fb+c&state=s%3D HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(r.param("code"), Some("a/b c"));
        assert_eq!(r.param("state"), Some("s="));
    }

    #[test]
    fn a_repeated_parameter_counts_as_absent() {
        let r = parse_callback_request(b"GET /cb?state=a&state=b HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(r.param("state"), None);
    }

    #[test]
    fn refuses_other_methods_and_malformed_lines() {
        use CallbackRequestError::*;
        for (bytes, error) in [
            (&b"POST /cb HTTP/1.1\r\n\r\n"[..], NotGet),
            (b"GET /cb HTTP/2\r\n\r\n", Malformed),
            (b"GET http://x/cb HTTP/1.1\r\n\r\n", Malformed),
            (b"GET /cb  HTTP/1.1\r\n\r\n", Malformed),
            (b"GET /cb HTTP/1.1", Malformed),
            (b"GET /c\xffb HTTP/1.1\r\n\r\n", Malformed),
            (b"", Malformed),
        ] {
            assert_eq!(parse_callback_request(bytes), Err(error), "{bytes:?}");
        }
    }

    #[test]
    fn refuses_an_endless_head() {
        let long = vec![b'a'; MAX_REQUEST_HEAD + 10];
        assert_eq!(
            parse_callback_request(&long),
            Err(CallbackRequestError::TooLarge)
        );
    }

    #[test]
    fn keeps_a_stray_percent() {
        let r = parse_callback_request(b"GET /cb?x=%zz%4 HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(r.param("x"), Some("%zz%4"));
    }
}
