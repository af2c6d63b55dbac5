//! Global Token Revocation (draft-parecki-oauth-global-token-revocation-06,
//! feature `server`): an authenticated caller names a user with a subject
//! identifier (RFC 9493) and the authority revokes every refresh token,
//! session and access token of theirs, so the user must authenticate again
//! (section 3.3). The logout runs through the [`KillSwitch`], so it is
//! signalled to SSF receivers and audited like any other.
//!
//! | answer | when (section 3.4) |
//! |---|---|
//! | 204 | revoked |
//! | 400 | not a JSON object with one subject, or an unsupported format |
//! | 401 | no valid credential |
//! | 403 | an access token without the `global_token_revocation` scope |
//! | 404 | no such user within the caller's reach |
//! | 422 | the logout could not be carried out |
//!
//! ```
//! use reference_authority::{Authority, AuthorityConfig};
//! use reference_authority::gtr::GlobalTokenRevocation;
//! use reference_authority::kill_switch::KillSwitch;
//!
//! let authority = Authority::builder("https://idp.example")
//!     .config(AuthorityConfig::for_tests())
//!     .build()?;
//! let gtr = GlobalTokenRevocation::install(KillSwitch::new(&authority));
//! assert_eq!(
//!     authority.metadata()["global_token_revocation_endpoint"],
//!     "https://idp.example/global-token-revocation"
//! );
//! let app = reference_authority::http::router(authority).merge(gtr.router());
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod caller;
mod resolve;

pub use caller::{ASSERTION_TYP, GTR_SCOPE};
pub use resolve::SUBJECT_FORMATS;

use crate::kill_switch::{KillSwitch, LogoutRequest, Target};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::validate::KeySource;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caller::{Refusal, TrustedIdp};
use std::sync::Arc;

/// The endpoint's path, relative to the issuer URL.
pub const PATH: &str = "/global-token-revocation";

/// The Global Token Revocation endpoint of one authority. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GlobalTokenRevocation {
    kill: KillSwitch,
    idps: Arc<Vec<TrustedIdp>>,
}

impl GlobalTokenRevocation {
    /// Serves the endpoint through `kill` and announces it in the authority's
    /// metadata (section 6).
    pub fn install(kill: KillSwitch) -> Self {
        let a = kill.authority();
        let mut meta = serde_json::Map::new();
        meta.insert(
            "global_token_revocation_endpoint".into(),
            a.endpoint(PATH).into(),
        );
        // Section 6: values of the token endpoint authentication method and
        // access token type registries.
        meta.insert(
            "global_token_revocation_endpoint_auth_methods_supported".into(),
            serde_json::json!(["private_key_jwt", "Bearer"]),
        );
        // Not registered by the draft: which RFC 9493 formats are resolved.
        meta.insert(
            "global_token_revocation_subject_formats_supported".into(),
            SUBJECT_FORMATS.to_vec().into(),
        );
        a.extend_metadata(meta);
        a.register_purge("gtr_assertion_jti", caller::purge);
        Self {
            kill,
            idps: Arc::new(Vec::new()),
        }
    }

    /// Trusts an identity provider (section 3.5): its assertions are signed by
    /// a key of `keys` with `iss` `issuer`, and it may revoke the users who log
    /// in through the authority's connection named `connection` (section 7.1).
    #[must_use]
    pub fn trust_idp(mut self, issuer: &str, keys: Arc<dyn KeySource>, connection: &str) -> Self {
        let a = self.kill.authority();
        let endpoint = a.endpoint(PATH);
        let mut idps = (*self.idps).clone();
        idps.push(TrustedIdp::new(&endpoint, a, issuer, keys, connection));
        self.idps = Arc::new(idps);
        self
    }

    /// The router of the endpoint, relative to the issuer URL.
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
            .route(PATH, axum::routing::post(handle))
            .with_state(self.clone())
    }

    /// Handles one request in process: the status to answer.
    pub async fn revoke(&self, headers: &HeaderMap, body: &[u8]) -> u16 {
        match self.revoke_inner(headers, body).await {
            Ok(()) => 204,
            Err(r) => status(&r).as_u16(),
        }
    }

    async fn revoke_inner(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
        let a = self.kill.authority();
        let outcome = async {
            let caller = caller::authenticate(a, &self.idps, headers).await?;
            // Section 3.1: parameters in an application/json body.
            let json_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
            if !json_type {
                return Err(Refusal::BadRequest("the body must be application/json"));
            }
            let subject = resolve::subject_of(body)?;
            let user = resolve::user_of(a, &caller, &subject)?;
            Ok::<_, Refusal>((caller, user))
        }
        .await;
        let (caller, user) = match outcome {
            Ok(x) => x,
            Err(r) => {
                a.audit(AuditAction::Logout, Outcome::Denied, |e| {
                    e.reason(describe(&r))
                        .detail("endpoint", "global_token_revocation")
                });
                return Err(r);
            }
        };
        let request = LogoutRequest::new(Target::User(user), "global token revocation")
            .requested_by(caller.name());
        self.kill
            .fire(&request)
            .await
            .map(|_| ())
            .map_err(|_| Refusal::Unavailable)
    }
}

fn status(r: &Refusal) -> StatusCode {
    match r {
        Refusal::Unauthenticated => StatusCode::UNAUTHORIZED,
        Refusal::Forbidden => StatusCode::FORBIDDEN,
        Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
        Refusal::UnknownSubject => StatusCode::NOT_FOUND,
        Refusal::Unavailable => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

fn describe(r: &Refusal) -> &'static str {
    match r {
        Refusal::Unauthenticated => "authentication failed",
        Refusal::Forbidden => "insufficient scope",
        Refusal::BadRequest(why) => why,
        Refusal::UnknownSubject => "unknown subject",
        Refusal::Unavailable => "unable to log the user out",
    }
}

async fn handle(
    State(g): State<GlobalTokenRevocation>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = match g.revoke_inner(&headers, &body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => (
            status(&r),
            axum::Json(serde_json::json!({"error": code(&r), "error_description": describe(&r)})),
        )
            .into_response(),
    };
    let unauthorized = response.status() == StatusCode::UNAUTHORIZED;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if unauthorized {
        h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn code(r: &Refusal) -> &'static str {
    match r {
        Refusal::Unauthenticated => "invalid_token",
        Refusal::Forbidden => "insufficient_scope",
        Refusal::BadRequest(_) => "invalid_request",
        Refusal::UnknownSubject => "unknown_subject",
        Refusal::Unavailable => "unable_to_process",
    }
}
