//! Tokens from one issuer and key carry the same protected header byte for
//! byte. Each thread keeps the last header it parsed, keyed by its exact encoded
//! bytes, so a repeated header skips decoding and parsing. The parse is a pure
//! function of those bytes and the depth limit, so a hit gives exactly what a
//! fresh parse would.

use super::ValidationError;
use super::error::json_error;
use super::kind::typ_matches;
use crate::jose::header::HeaderSeed;
use crate::jose::{Algorithm, base64url, json};
use std::cell::RefCell;
use std::sync::Arc;

/// Longest encoded header kept.
const MAX_MEMO_BYTES: usize = 1024;

/// The protected header members validation uses.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedHeader {
    /// `alg`, or `None` when absent, `none` or not implemented.
    pub(crate) alg: Option<Algorithm>,
    pub(crate) typ: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) crit: bool,
    /// `cty` names a nested JWT (RFC 7519 section 7.2 step 8), compared as
    /// RFC 7515 section 4.1.10 says: case-insensitive, `application/` optional.
    pub(crate) nested_jwt: bool,
}

struct Memo {
    encoded: Vec<u8>,
    max_depth: usize,
    header: Arc<ParsedHeader>,
}

thread_local! {
    static LAST: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// Decodes and parses an encoded protected header, or returns the memo of the
/// same bytes.
pub(crate) fn parse(
    encoded: &[u8],
    max_depth: usize,
) -> Result<Arc<ParsedHeader>, ValidationError> {
    let hit = LAST.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|m| m.max_depth == max_depth && m.encoded == encoded)
            .map(|m| Arc::clone(&m.header))
    });
    if let Some(header) = hit {
        return Ok(header);
    }
    let header_json =
        base64url::decode(encoded).ok_or(ValidationError::Malformed("header is not base64url"))?;
    let raw = json::parse_with(&header_json, HeaderSeed { max_depth })
        .map_err(|p| json_error(p, "header is not a JSON object"))?;
    if let Some(wrong) = raw.wrong_type {
        return Err(ValidationError::InvalidHeaderMember {
            member: wrong.member,
            expected: wrong.expected,
        });
    }
    let header = Arc::new(ParsedHeader {
        alg: raw.alg.as_deref().and_then(Algorithm::from_name),
        typ: raw.typ.map(|t| t.into_owned()),
        kid: raw.kid.map(|k| k.into_owned()),
        crit: raw.crit,
        nested_jwt: raw.cty.is_some_and(|cty| typ_matches(&cty, "JWT")),
    });
    if encoded.len() <= MAX_MEMO_BYTES {
        LAST.with(|last| {
            *last.borrow_mut() = Some(Memo {
                encoded: encoded.to_vec(),
                max_depth,
                header: Arc::clone(&header),
            });
        });
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(json: &str) -> String {
        base64url::encode(json)
    }

    #[test]
    fn a_repeated_header_is_served_from_the_memo_and_others_are_parsed_afresh() {
        let a = encoded(r#"{"alg":"ES256","kid":"a","typ":"at+jwt"}"#);
        let b = encoded(r#"{"alg":"RS256","kid":"b"}"#);
        let first = parse(a.as_bytes(), 16).unwrap();
        let again = parse(a.as_bytes(), 16).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let other = parse(b.as_bytes(), 16).unwrap();
        assert_eq!(other.kid.as_deref(), Some("b"));
        assert_eq!(other.alg, Some(Algorithm::Rs256));
        assert_eq!(other.typ, None);
        let back = parse(a.as_bytes(), 16).unwrap();
        assert_eq!(*back, *first);
        assert!(!Arc::ptr_eq(&back, &first), "the memo holds one header");
    }

    #[test]
    fn the_depth_limit_is_part_of_the_memo_key_and_errors_are_not_kept() {
        let nested = encoded(r#"{"alg":"ES256","x":[[[1]]]}"#);
        assert!(parse(nested.as_bytes(), 16).is_ok());
        assert_eq!(
            parse(nested.as_bytes(), 2).err(),
            Some(ValidationError::NestingTooDeep)
        );
        assert!(parse(nested.as_bytes(), 16).is_ok());
        let duplicate = encoded(r#"{"alg":"ES256","alg":"none"}"#);
        assert_eq!(
            parse(duplicate.as_bytes(), 16).err(),
            Some(ValidationError::DuplicateMember)
        );
        assert_eq!(
            parse(duplicate.as_bytes(), 16).err(),
            Some(ValidationError::DuplicateMember)
        );
    }
}
