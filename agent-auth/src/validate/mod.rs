//! Token validation: one profile per token kind.
//!
//! ```
//! use agent_auth::jose::{Algorithm, SigningKey, sign_compact};
//! use agent_auth::validate::{AccessToken, Claims, StaticKeys, Validator, TokenKind};
//!
//! let key = SigningKey::generate(Algorithm::Es256)?;
//! use agent_auth::clock::{Clock, SystemClock};
//! let now = SystemClock.now();
//! let mut claims = Claims::new().with("client_id", "sales-agent").with("scope", "crm:read");
//! claims.iss = Some("https://idp.example".into());
//! claims.sub = Some("sarah".into());
//! claims.aud = vec!["https://mcp.example".into()];
//! claims.iat = Some(now);
//! claims.exp = Some(now + 300);
//! claims.jti = Some("t-1".into());
//! let token = sign_compact(&key, AccessToken::PROFILE.mint_typ, &claims)?;
//!
//! let validator = Validator::<AccessToken>::builder(StaticKeys::single(key.verifying_key().clone()))
//!     .issuer("https://idp.example")
//!     .audience("https://mcp.example")
//!     .build();
//! let valid = validator.validate_cached(token.expose_secret())?;
//! assert_eq!(valid.sub.as_deref(), Some("sarah"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod claims;
mod error;
mod header_memo;
mod jws;
mod keys;
mod kind;
mod validator;

pub use claims::Claims;
pub use error::ValidationError;
pub use jws::{DEFAULT_MAX_TOKEN_BYTES, JwsVerifier, VerifiedJws};
pub use keys::{KeySource, StaticKeys, parse_jwks, select_key};
pub(crate) use kind::typ_matches;
pub use kind::{
    AccessToken, BACKCHANNEL_LOGOUT_EVENT, DpopProof, Generic, GlobalTokenRevocation, IdJag,
    IdToken, LogoutToken, Profile, ProviderAccessToken, SecurityEvent, SharedSecretKind,
    StrictAudienceKind, TokenKind, TypRule,
};
pub use validator::{
    DEFAULT_LEEWAY, HasAudience, HasIssuer, NoAudience, NoIssuer, Validated, Validator,
    ValidatorBuilder,
};

/// The token guide (`docs/jose.md`), its examples compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/jose.md")]
pub struct JoseGuide;
