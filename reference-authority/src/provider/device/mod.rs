//! The device authorization grant (RFC 8628): a client on a device without a
//! browser (or an agent in a terminal) asks for a device code and a user code
//! (section 3.1), shows the user code, the user enters it on the
//! verification page in any browser, signs in and approves (section 3.3),
//! while the client polls the token endpoint (section 3.4).
//!
//! ```
//! use reference_authority::{Authority, AuthorityConfig, ClientSpec, Params, TokenRequest};
//! use reference_authority::device::DEVICE_CODE_GRANT;
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! authority.register_client(
//!     ClientSpec::public("tv").grant_types([DEVICE_CODE_GRANT]).scopes(["openid"]),
//! )?;
//! let answer = authority.device_authorization(&TokenRequest::new(
//!     Params::from_pairs([("client_id".to_owned(), "tv".to_owned())]),
//! ))?;
//! assert_eq!(answer["interval"], 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorization;
mod grant;
mod record;
mod throttle;
mod user_code;
mod verification;

pub use grant::DeviceCodeGrant;
pub use user_code::{USER_CODE_CHARSET, USER_CODE_LENGTH, normalize_user_code};
pub use verification::{DevicePrompt, DeviceVerifyError};

/// The grant type of the token request (RFC 8628 section 3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Lifetime of a device code and its user code, in seconds (RFC 8628 section 3.2 `expires_in`).
pub const DEVICE_CODE_TTL: i64 = 600;

/// The polling interval announced (RFC 8628 section 3.2: 5 seconds by default).
pub const POLL_INTERVAL: i64 = 5;

/// What `slow_down` adds to the interval (RFC 8628 section 3.5: 5 seconds).
pub const SLOW_DOWN_STEP: i64 = 5;

/// Wrong user codes a signed-in user may enter before being locked out
/// (RFC 8628 section 5.1: the server must rate-limit user code attempts).
pub const MAX_USER_CODE_FAILURES: u32 = 5;

/// How long a lock-out lasts, in seconds.
pub const USER_CODE_LOCKOUT: i64 = 300;
