//! Password hashing with Argon2id (RFC 9106), stored in PHC string format.

use agent_auth::jose::base64url;
use agent_auth::secret::SecretString;
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordParams {
    /// Cheap parameters for tests only (8 MiB, 1 iteration).
    pub fn fast_for_tests() -> Self {
        Self {
            memory_kib: 8 * 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// The costs as a PHC string writes them: `m=..,t=..,p=..`.
    pub fn phc_costs(&self) -> String {
        format!(
            "m={},t={},p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }

    /// The costs of a stored hash, if it is one of ours.
    pub fn of_hash(stored: &str) -> Option<Self> {
        parse_costs(stored.split('$').nth(3)?)
    }
}

const OUTPUT_LEN: usize = 32;

fn hasher(p: PasswordParams) -> Option<Argon2<'static>> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(OUTPUT_LEN)).ok()?;
    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh 16-byte salt. The result reads
/// `$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>` (salt and hash base64url).
pub fn hash_password(password: &SecretString, params: PasswordParams) -> Option<String> {
    let salt = super::crypto::random_bytes(16)?;
    let mut out = zeroize::Zeroizing::new([0u8; OUTPUT_LEN]);
    hasher(params)?
        .hash_password_into(password.expose_secret().as_bytes(), &salt, out.as_mut())
        .ok()?;
    Some(format!(
        "$argon2id$v=19${}${}${}",
        params.phc_costs(),
        base64url::encode(&salt),
        base64url::encode(out.as_ref())
    ))
}

/// Checks a password against a stored hash, in constant time. A malformed
/// stored hash verifies nothing.
pub fn verify_password(password: &SecretString, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(""), Some("argon2id"), Some("v=19"), Some(costs), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Some(params) = parse_costs(costs) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (base64url::decode(salt), base64url::decode(hash)) else {
        return false;
    };
    let Some(h) = hasher(params) else {
        return false;
    };
    let mut out = zeroize::Zeroizing::new([0u8; OUTPUT_LEN]);
    if h.hash_password_into(password.expose_secret().as_bytes(), &salt, out.as_mut())
        .is_err()
    {
        return false;
    }
    agent_auth::secret::constant_time_eq(out.as_ref(), &expected)
}

fn parse_costs(text: &str) -> Option<PasswordParams> {
    let mut p = PasswordParams::default();
    let mut seen = 0;
    for part in text.split(',') {
        let (name, value) = part.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match name {
            "m" => p.memory_kib = value,
            "t" => p.iterations = value,
            "p" => p.parallelism = value,
            _ => return None,
        }
        seen += 1;
    }
    (seen == 3).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let pw = SecretString::new("correct horse");
        let stored = hash_password(&pw, PasswordParams::fast_for_tests()).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
        assert!(!stored.contains("correct horse"));
        assert!(verify_password(&pw, &stored));
        assert!(!verify_password(&SecretString::new("wrong"), &stored));
        assert!(!verify_password(&pw, "$argon2id$v=19$m=8,t=1$x$y"));
        assert!(!verify_password(&pw, ""));
        let again = hash_password(&pw, PasswordParams::fast_for_tests()).unwrap();
        assert_ne!(stored, again, "fresh salt each time");
    }
}
