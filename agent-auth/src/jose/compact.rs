//! JWS Compact Serialization (RFC 7515 section 7.1): splitting, the protected
//! header, and signing.

use super::json::{DUPLICATE, Key, StrictValue};
use super::{KeyError, SigningKey, base64url};
use crate::secret::Token;
use serde::Serialize;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

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
    /// Not exactly three non-empty parts of base64url characters.
    Structure,
    /// An unsecured JWS (empty signature).
    Unsigned,
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
        return Err(SplitError::Structure);
    }
    if signature.is_empty() {
        return Err(SplitError::Unsigned);
    }
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// The protected header members validation reads. Key-carrying members (`jwk`,
/// `jku`, `x5u`, `x5c`) are parsed for strictness and then ignored: keys are
/// never taken from the token (RFC 8725 section 3.10).
#[derive(Debug, Default)]
pub(crate) struct Header<'a> {
    pub(crate) alg: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) crit: bool,
}

pub(crate) struct HeaderSeed {
    pub(crate) max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = Header<'de>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Header<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header<'de>, A::Error> {
        let seed = StrictValue {
            depth_left: self.max_depth,
        };
        let mut header = Header::default();
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            match name.as_ref() {
                "alg" | "typ" | "kid" => {
                    let slot = match name.as_ref() {
                        "alg" => &mut header.alg,
                        "typ" => &mut header.typ,
                        _ => &mut header.kid,
                    };
                    // Borrow the value from the input when it has no escapes.
                    let value: Key<'de> = map.next_value()?;
                    if slot.replace(value.0).is_some() {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                }
                _ => {
                    let value = map.next_value_seed(seed)?;
                    if others.contains(&name) {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                    if name == "crit" {
                        header.crit = true;
                    }
                    // Members other than alg, typ and kid are only checked, then dropped.
                    drop(value);
                    others.push(name);
                }
            }
        }
        Ok(header)
    }
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
        for bad in [&b"a.b"[..], b"a.b.c.d", b".b.c", b"", b"abc"] {
            assert_eq!(split(bad).err(), Some(SplitError::Structure), "{bad:?}");
        }
        assert_eq!(split(b"a.b.").err(), Some(SplitError::Unsigned));
    }
}
