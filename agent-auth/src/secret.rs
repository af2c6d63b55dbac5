//! Secret values: tokens, client secrets, key material.
//!
//! A secret type prints as `Name([redacted])` under `Debug`, has no `Display`
//! and no `Serialize`, compares in constant time and is zeroized on drop. The
//! only way to the bytes is [`SecretString::expose_secret`], whose name is the warning.

use secrecy::{ExposeSecret, SecretString as Inner};
use std::fmt;

/// A string secret (a token, a password, a client secret), zeroized on drop.
#[derive(Clone)]
pub struct SecretString(Inner);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Inner::from(value.into()))
    }

    /// The secret value.
    ///
    /// # Security
    /// The returned string must not reach logs, errors, `Debug` output or any
    /// other place a person or a model could read it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(
            self.expose_secret().as_bytes(),
            other.expose_secret().as_bytes(),
        )
    }
}

impl Eq for SecretString {}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Declares a named secret type wrapping [`SecretString`], in the style of
/// oauth2-rs: `Debug` prints `Name([redacted])`.
#[macro_export]
macro_rules! secret_type {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name($crate::secret::SecretString);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self($crate::secret::SecretString::new(value))
            }

            /// The secret value.
            ///
            /// # Security
            /// The returned string must not reach logs, errors, `Debug` output or
            /// any other place a person or a model could read it.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A compact serialized token (JWT or opaque) that grants access to whoever holds it.
    Token
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "SecretString([redacted])");
        let t = Token::new("eyJhbGciOi.secret.token");
        assert_eq!(format!("{t:?}"), "Token([redacted])");
        assert_eq!(t.expose_secret(), "eyJhbGciOi.secret.token");
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(SecretString::new("a"), SecretString::new("a"));
        assert_ne!(SecretString::new("a"), SecretString::new("b"));
        assert_ne!(SecretString::new("a"), SecretString::new("aa"));
        assert!(constant_time_eq(b"", b""));
    }
}
