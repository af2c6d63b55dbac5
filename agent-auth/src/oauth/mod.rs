//! The one OAuth 2.0 client core that every client of this crate uses: login,
//! token exchange, MCP client authorization and the remote JWKS.
//!
//! - [`HttpTransport`]: the injectable HTTP seam, and [`HttpClient`], which
//!   owns its policy (no redirects, a timeout, a body cap, https or loopback);
//! - [`ClientAuth`]: client authentication at a token endpoint, applied to a
//!   [`Form`] in one place;
//! - [`TokenEndpoint`]: one token request, answered by a [`TokenResponse`] or
//!   a [`TokenError`] (RFC 6749 section 5.2);
//! - [`AuthorizationServerMetadata`]: RFC 8414 / OpenID Connect Discovery 1.0;
//! - [`Pkce`]: RFC 7636 `S256`;
//! - [`parse_www_authenticate`]: RFC 9110 challenges and the RFC 6750 Bearer
//!   challenge;
//! - [`LoopbackRedirect`] and [`BrowserHook`]: interactive login of a native
//!   app (RFC 8252).
//!
//! PKCE and the challenge parser need no feature; the rest needs `http`.

#[cfg(feature = "http")]
mod client_auth;
#[cfg(feature = "http")]
mod device;
#[cfg(feature = "http")]
mod dpop_signer;
#[cfg(feature = "http")]
mod form;
#[cfg(feature = "http")]
mod http;
mod loopback;
#[cfg(feature = "http")]
pub(crate) mod metadata;
mod pkce;
#[cfg(feature = "http")]
mod reqwest_transport;
#[cfg(feature = "http")]
mod token;
#[cfg(feature = "http")]
pub(crate) mod token_audit;
#[cfg(feature = "http")]
mod transport;
#[cfg(feature = "http")]
mod url_policy;
mod www_authenticate;

#[cfg(feature = "http")]
pub use client_auth::{ClientAuth, ClientAuthError};
#[cfg(feature = "http")]
pub use device::{
    DEVICE_CODE_GRANT_TYPE, DeviceAuthorization, DeviceFlow, DeviceFlowError, Sleeper, TokioSleeper,
};
#[cfg(feature = "http")]
pub use dpop_signer::DpopSigner;
#[cfg(feature = "http")]
pub use form::Form;
#[cfg(feature = "http")]
pub use http::{HttpClient, HttpPolicy};
pub use loopback::{
    BrowserHook, CallbackRequest, CallbackRequestError, MAX_REQUEST_HEAD, PrintUrl,
    parse_callback_request,
};
#[cfg(feature = "http")]
pub use loopback::{LoopbackError, LoopbackRedirect};
#[cfg(feature = "http")]
pub use metadata::{AuthorizationServerMetadata, DiscoveryError, metadata_urls};
pub use pkce::Pkce;
#[cfg(feature = "http")]
pub use reqwest_transport::ReqwestTransport;
#[cfg(feature = "http")]
pub use token::{TokenEndpoint, TokenError, TokenResponse};
#[cfg(feature = "http")]
pub use transport::{Cause, HttpError, HttpRequest, HttpResponse, HttpTransport, Method};
#[cfg(feature = "http")]
pub use url_policy::{UrlError, check_url, is_loopback};
pub use www_authenticate::{BearerChallenge, Challenge, ChallengeError, parse_www_authenticate};

/// RFC 7523 section 2.2 `client_assertion_type`.
pub const CLIENT_ASSERTION_JWT: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
