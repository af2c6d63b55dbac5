//! Who may use the console: a signed-in user whose ID token says MFA, and
//! who holds the admin relation in FGA. Checked on every request.

use super::{Console, PATH, html};
use crate::ACR_MFA;
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::login::web::CurrentUser;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use fga_core::CheckRequest;

/// The signed-in console admin.
#[derive(Debug, Clone)]
pub(super) struct Admin {
    /// The admin's subject at the authority.
    pub(super) user: String,
}

/// Why a signed-in user was refused (shown to them, audited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    /// OpenID Connect Core section 2: `acr` names the assurance of the
    /// sign-in; the console asks for, and requires, MFA.
    #[error("the console needs a sign-in with multi-factor authentication")]
    NoMfa,
    #[error("you are not a console administrator")]
    NotAdmin,
    #[error("the authorization check failed; try again later")]
    CheckFailed,
}

impl FromRequestParts<Console> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let Some(user) = parts.extensions.get::<CurrentUser>().cloned() else {
            let here = parts
                .extensions
                .get::<OriginalUri>()
                .map(|u| u.0.path().to_owned())
                .unwrap_or_else(|| format!("{PATH}/"));
            let back: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
            return Err(Redirect::to(&format!("{PATH}/login?return_to={back}")).into_response());
        };
        match console.admit(&user).await {
            Ok(()) => Ok(Admin { user: user.subject }),
            Err(why) => {
                console.authority().audit(
                    AuditAction::AuthorizationDecision,
                    Outcome::Denied,
                    |e| {
                        e.user(user.subject.clone())
                            .agent(super::CLIENT_ID)
                            .reason(why.to_string())
                            .detail("step", "console_access")
                    },
                );
                Err(html::refused(StatusCode::FORBIDDEN, &why.to_string()))
            }
        }
    }
}

impl Console {
    async fn admit(&self, user: &CurrentUser) -> Result<(), Refusal> {
        if user.claims.str("acr") != Some(ACR_MFA) {
            return Err(Refusal::NoMfa);
        }
        let check = CheckRequest::new(
            self.inner.admin_object.clone(),
            "admin",
            format!("user:{}", user.subject),
        );
        match self.inner.admins.check(check).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Refusal::NotAdmin),
            Err(_) => Err(Refusal::CheckFailed),
        }
    }
}
