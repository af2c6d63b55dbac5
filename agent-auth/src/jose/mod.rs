//! JOSE: keys (RFC 7517, RFC 7638), algorithms (RFC 7518, RFC 8037) and compact
//! JWS (RFC 7515), built on aws-lc-rs with keys parsed once.
//!
//! ```
//! use agent_auth::jose::{Algorithm, SigningKey, VerifyingKey};
//!
//! let key = SigningKey::generate(Algorithm::EdDsa)?;
//! let signature = key.sign(b"hello")?;
//! let public = serde_json::to_string(key.verifying_key().to_jwk().unwrap())?;
//! let imported = VerifyingKey::from_jwk(&public)?;
//! assert!(imported.verify(b"hello", &signature));
//! assert_eq!(imported.kid(), Some(key.kid()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod algorithm;
pub mod base64url;
pub(crate) mod compact;
mod error;
mod hash;
pub(crate) mod header;
pub mod json;
pub(crate) mod jwk;
mod keyset;
mod roca;
mod signing_key;
mod verifying_key;

pub use algorithm::{Algorithm, KeyType};
pub use compact::sign_compact;
pub use error::KeyError;
pub use hash::left_half_hash;
pub use jwk::{Jwks, MAX_JWKS_BYTES, PublicJwk};
pub use keyset::KeySet;
pub use signing_key::SigningKey;
pub use verifying_key::VerifyingKey;
