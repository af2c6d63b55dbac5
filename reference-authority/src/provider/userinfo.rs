//! The UserInfo endpoint (OpenID Connect Core section 5.3) and which profile
//! claims each scope releases (section 5.4).

use super::model::UserRecord;
use super::{Authority, ErrorCode, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use serde_json::{Map, Value};

const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
const EMAIL_CLAIMS: &[&str] = &["email", "email_verified"];

/// The profile claims of `user` that `scope` releases.
pub(crate) fn released_claims(user: &UserRecord, scope: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    let has = |s: &str| scope.iter().any(|x| x == s);
    if has("profile") {
        for name in PROFILE_CLAIMS {
            if let Some(v) = user.claims.get(*name) {
                out.insert((*name).to_owned(), v.clone());
            }
        }
        if !out.contains_key("preferred_username") {
            out.insert("preferred_username".into(), user.username.clone().into());
        }
    }
    if has("email") {
        for name in EMAIL_CLAIMS {
            if let Some(v) = user.claims.get(*name) {
                out.insert((*name).to_owned(), v.clone());
            }
        }
    }
    out
}

impl Authority {
    /// The UserInfo endpoint: the bearer token must be an access token of this
    /// authority for its default audience, live, with the `openid` scope (RFC 6750
    /// errors otherwise).
    pub fn userinfo(&self, bearer: &str) -> Result<Value, OAuthError> {
        let claims = self
            .verify_access_token(bearer)
            .map_err(|e| OAuthError::new(ErrorCode::InvalidToken, e.to_string()))?;
        // RFC 9449 section 7.2: a bound token is never a bearer token.
        if claims.extra.contains_key("cnf") {
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "a DPoP-bound token needs the DPoP scheme and a proof",
            ));
        }
        self.answer_userinfo(&claims)
    }

    /// The UserInfo answer for verified access-token claims.
    pub(crate) fn answer_userinfo(
        &self,
        claims: &agent_auth::validate::Claims,
    ) -> Result<Value, OAuthError> {
        if !claims.aud.iter().any(|a| a == self.issuer()) {
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "the token is for another resource",
            ));
        }
        let scope: Vec<String> = claims.scopes().map(str::to_owned).collect();
        if !scope.iter().any(|s| s == "openid") {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the token lacks the openid scope",
            ));
        }
        let sub = claims.sub.clone().unwrap_or_default();
        let user =
            self.user(&sub).ok().flatten().ok_or_else(|| {
                OAuthError::new(ErrorCode::InvalidToken, "the token's user is gone")
            })?;
        let mut body = released_claims(&user, &scope);
        body.insert("sub".into(), sub.clone().into());
        self.audit(AuditAction::TokenValidated, Outcome::Success, |e| {
            e.user(sub.clone())
                .agent(claims.str("client_id").unwrap_or_default().to_owned())
                .detail("endpoint", "userinfo")
        });
        Ok(Value::Object(body))
    }
}
