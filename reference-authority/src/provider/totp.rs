//! Time-based one-time passwords (RFC 6238, with HOTP of RFC 4226), HMAC-SHA-1.

use aws_lc_rs::hmac;

/// The time step of RFC 6238 section 4.1 (X = 30 seconds).
pub const STEP: i64 = 30;

/// The HOTP value of RFC 4226 section 5.3 for `counter`, with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .map(|b| b.iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x)))
        .unwrap_or(0)
        & 0x7fff_ffff;
    let modulus = 10u32.saturating_pow(digits);
    format!("{:0width$}", word % modulus, width = digits as usize)
}

/// The RFC 6238 time step counter at `now`.
pub fn step_at(now: i64) -> i64 {
    now.div_euclid(STEP)
}

/// Checks a 6-digit code at `now`, accepting one step of drift either way
/// (RFC 6238 section 5.2). Returns the matched step, so that the caller can refuse
/// a step already used (section 5.2: a verifier must not accept a code twice).
pub fn verify(secret: &[u8], code: &str, now: i64, last_used_step: Option<i64>) -> Option<i64> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    (current - 1..=current + 1).find(|step| {
        last_used_step.is_none_or(|last| *step > last)
            && u64::try_from(*step).is_ok_and(|c| {
                agent_auth::secret::constant_time_eq(hotp(secret, c, 6).as_bytes(), code.as_bytes())
            })
    })
}

/// The 6-digit code at `now` (for tests and authenticator apps).
pub fn code_at(secret: &[u8], now: i64) -> String {
    hotp(secret, u64::try_from(step_at(now)).unwrap_or(0), 6)
}

/// RFC 4648 base32 without padding, as authenticator apps expect in `otpauth://` URIs.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let idx = ((buffer >> bits) & 31) as usize;
            out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
        }
    }
    if bits > 0 {
        let idx = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits).
    #[test]
    fn rfc6238_appendix_b_sha1() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(secret, step_at(time) as u64, 8), expected, "T={time}");
        }
    }

    #[test]
    fn verify_accepts_drift_and_refuses_reuse() {
        let secret = b"12345678901234567890";
        let now = 1_000_000;
        let code = code_at(secret, now);
        let step = verify(secret, &code, now + 20, None).unwrap();
        assert!(verify(secret, &code, now, Some(step)).is_none());
        assert!(verify(secret, &code, now + 300, None).is_none());
        assert!(verify(secret, "12345", now, None).is_none());
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    }
}
