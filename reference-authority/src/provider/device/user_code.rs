//! User codes (RFC 8628 section 6.1): eight characters from a 20-letter
//! alphabet without vowels (no words can be spelled, nothing to confuse),
//! about 34.5 bits of entropy, shown as `XXXX-XXXX` and compared without
//! case or punctuation.

use crate::provider::OAuthError;
use crate::provider::crypto::random_bytes;

/// The alphabet of user codes: RFC 8628 section 6.1's base-20 example.
pub const USER_CODE_CHARSET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// Characters of a user code (20^8 codes, about 34.5 bits).
pub const USER_CODE_LENGTH: usize = 8;

/// A fresh user code in its normalized form (no dash).
pub(super) fn generate() -> Result<String, OAuthError> {
    let mut out = String::with_capacity(USER_CODE_LENGTH);
    while out.len() < USER_CODE_LENGTH {
        let bytes =
            random_bytes(16).ok_or_else(|| OAuthError::server_error("randomness unavailable"))?;
        // Rejection sampling: 240 = 12 * 20, so each accepted byte is uniform.
        for b in bytes.into_iter().filter(|b| *b < 240) {
            if out.len() == USER_CODE_LENGTH {
                break;
            }
            if let Some(c) = USER_CODE_CHARSET.get(usize::from(b % 20)) {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

/// The code as shown to the user: `XXXX-XXXX`.
pub(super) fn display(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(USER_CODE_LENGTH / 2));
    format!("{a}-{b}")
}

/// The normalized form of what a user typed (RFC 8628 section 6.1: case and
/// punctuation ignored), or `None` when it cannot be a user code.
///
/// ```
/// use reference_authority::device::normalize_user_code;
///
/// assert_eq!(normalize_user_code("wdjb-mjht").as_deref(), Some("WDJBMJHT"));
/// assert_eq!(normalize_user_code("WDJB MJHT").as_deref(), Some("WDJBMJHT"));
/// assert_eq!(normalize_user_code("AEIO-UAEI"), None);
/// ```
pub fn normalize_user_code(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '.' | '_'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LENGTH && code.bytes().all(|b| USER_CODE_CHARSET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn generated_codes_use_the_rfc8628_charset_and_length() {
        for _ in 0..200 {
            let code = generate().unwrap();
            assert_eq!(code.len(), USER_CODE_LENGTH);
            assert!(code.bytes().all(|b| USER_CODE_CHARSET.contains(&b)));
            assert_eq!(normalize_user_code(&display(&code)), Some(code));
        }
    }

    #[test]
    fn user_code_entropy_is_at_least_34_bits() {
        let bits = (USER_CODE_CHARSET.len() as f64).log2() * USER_CODE_LENGTH as f64;
        assert!(bits >= 34.0, "{bits}");
    }

    #[test]
    fn malformed_user_codes_are_refused() {
        for bad in [
            "",
            "BCDF",
            "BCDF-GHJKL",
            "BCDF-GHJ1",
            "ÄBCD-FGHJ",
            &"B".repeat(100),
        ] {
            assert_eq!(normalize_user_code(bad), None, "{bad}");
        }
    }
}
