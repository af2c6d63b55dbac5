//! JWS Compact Serialization (RFC 7515 section 7.1): splitting and signing.
//! The protected header is parsed in [`super::header`].

use super::{KeyError, SigningKey, base64url};
use crate::secret::Token;
use serde::Serialize;

/// The three parts of a compact JWS, still encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parts<'a> {
    pub(crate) header: &'a [u8],
    pub(crate) payload: &'a [u8],
    pub(crate) signature: &'a [u8],
    /// `header '.' payload`: the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
}

/// Why a compact token could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// Not exactly three parts.
    Structure,
    /// The header part is empty (a JWS JSON Serialization with only an
    /// unprotected header has no compact form).
    EmptyHeader,
    /// The signature part is empty: an unsecured JWS (RFC 7515 appendix A.5),
    /// never accepted.
    EmptySignature,
}

/// Splits `token` into its three parts at exactly two dots. The parts are not
/// checked here: each is decoded as strict base64url afterwards, which refuses
/// white space, padding and any other character outside the alphabet.
pub(crate) fn split(token: &[u8]) -> Result<Parts<'_>, SplitError> {
    let mut dots = memchr::memchr_iter(b'.', token);
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(SplitError::Structure);
    };
    let header = token.get(..first).ok_or(SplitError::Structure)?;
    let payload = token.get(first + 1..second).ok_or(SplitError::Structure)?;
    let signature = token.get(second + 1..).ok_or(SplitError::Structure)?;
    let signing_input = token.get(..second).ok_or(SplitError::Structure)?;
    if header.is_empty() {
        return Err(SplitError::EmptyHeader);
    }
    if signature.is_empty() {
        return Err(SplitError::EmptySignature);
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Serializes and signs a compact JWS with header `{"alg","typ","kid"}`.
///
/// `typ` is the token kind's media type (RFC 8725 section 3.11); `None` leaves it out.
pub fn sign_compact(
    key: &SigningKey,
    typ: Option<&str>,
    payload: &impl Serialize,
) -> Result<Token, KeyError> {
    #[derive(Serialize)]
    struct OutHeader<'a> {
        alg: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        typ: Option<&'a str>,
        kid: &'a str,
    }
    let header = serde_json::to_vec(&OutHeader {
        alg: key.algorithm().name(),
        typ,
        kid: key.kid(),
    })
    .map_err(|_| KeyError::SigningFailed)?;
    let payload = serde_json::to_vec(payload).map_err(|_| KeyError::SigningFailed)?;
    let mut out = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 400);
    base64url::encode_into(&header, &mut out);
    out.push('.');
    base64url::encode_into(&payload, &mut out);
    let signature = key.sign(out.as_bytes())?;
    out.push('.');
    base64url::encode_into(&signature, &mut out);
    Ok(Token::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_accepts_three_parts_only() {
        let p = split(b"aGVh.cGF5.c2ln").unwrap();
        assert_eq!(p.header, b"aGVh");
        assert_eq!(p.payload, b"cGF5");
        assert_eq!(p.signature, b"c2ln");
        assert_eq!(p.signing_input, b"aGVh.cGF5");
        assert!(split(b"aGVh..c2ln").is_ok(), "empty payload is a valid JWS");
        for bad in [&b"a.b"[..], b"a.b.c.d", b"", b"abc"] {
            assert_eq!(split(bad).err(), Some(SplitError::Structure), "{bad:?}");
        }
        assert_eq!(split(b".b.c").err(), Some(SplitError::EmptyHeader));
        assert_eq!(split(b"a.b.").err(), Some(SplitError::EmptySignature));
    }
}
