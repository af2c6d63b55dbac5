//! Strict base64url (RFC 7515 section 2, RFC 4648 section 5): URL-safe alphabet,
//! no padding, no whitespace, and no non-zero trailing bits. Anything else is refused,
//! so every byte string has exactly one accepted encoding.
//!
//! Decoding sits on the hot path of every validation, so it uses base64-simd
//! (strict by default: its forgiving mode is never used).

use base64_simd::{Out, URL_SAFE_NO_PAD as ENGINE};

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    ENGINE.encode_to_string(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    ENGINE.encode_append(bytes, out);
}

/// Decodes strict unpadded base64url.
pub fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    ENGINE.decode_to_vec(text).ok()
}

/// Decodes into a fixed buffer, returning the used prefix; `None` when the text
/// is not strict base64url or does not fit.
pub fn decode_slice<'a>(text: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let needed = ENGINE.decoded_length(text).ok()?;
    let out = buf.get_mut(..needed)?;
    ENGINE
        .decode(text, Out::from_slice(out))
        .ok()
        .map(|decoded| &*decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_without_padding() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&bytes);
            assert!(!text.contains('='));
            assert_eq!(decode(&text).unwrap(), bytes);
        }
    }

    #[test]
    fn refuses_non_canonical_forms() {
        assert!(decode("YQ==").is_none(), "padding");
        assert!(decode("YR").is_none(), "non-zero trailing bits");
        assert!(decode("Y Q").is_none(), "whitespace");
        assert!(decode("+/8").is_none(), "standard alphabet");
        assert!(decode("Y?").is_none(), "foreign character");
        assert!(decode("Y").is_none(), "impossible length");
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn decode_slice_refuses_overflow() {
        let mut buf = [0u8; 2];
        assert!(decode_slice(b"YWJj", &mut buf).is_none());
        let mut buf = [0u8; 3];
        assert_eq!(decode_slice(b"YWJj", &mut buf).unwrap(), b"abc");
    }
}
