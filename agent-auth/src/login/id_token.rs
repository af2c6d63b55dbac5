//! ID token validation (OpenID Connect Core 3.1.3.7 and 12.2).

use super::{ClientError, LoginClient};
use crate::jose::left_half_hash;
use crate::secret::constant_time_eq;
use crate::validate::{Claims, IdToken, Validator};
use std::sync::Arc;

/// The request-specific expectations of an ID token.
#[derive(Debug, Default)]
pub(crate) struct IdTokenChecks<'a> {
    pub(crate) nonce: Option<&'a str>,
    pub(crate) access_token: Option<&'a str>,
    pub(crate) code: Option<&'a str>,
    pub(crate) max_age: Option<i64>,
    pub(crate) acr_values: &'a [String],
    /// The ID token of the session, when this one comes from a refresh.
    pub(crate) previous: Option<&'a Claims>,
}

fn refuse(reason: impl Into<String>) -> ClientError {
    ClientError::IdToken(reason.into())
}

impl LoginClient {
    /// Validates an ID token: signature with a key from the provider's JWKS (an
    /// unknown `kid` refetches it once: key rotation), no `none`, no HMAC, `typ`,
    /// `iss` exact, `aud` contains the client, `azp` rules, `exp`, `iat`
    /// (items 1-10 of 3.1.3.7 via [`Validator<IdToken>`]); then `nonce` (11),
    /// `acr` (12), `auth_time` with `max_age` (13), `at_hash` (3.1.3.8) and
    /// `c_hash` (3.3.2.11), and for refreshes the rules of 12.2.
    pub(crate) async fn check_id_token(
        &self,
        token: &str,
        checks: &IdTokenChecks<'_>,
    ) -> Result<Claims, ClientError> {
        let validated = Validator::<IdToken>::builder_shared(Arc::clone(&self.keys))
            .issuer(self.metadata.issuer.clone())
            .audience(self.config.client_id.clone())
            .clock(Arc::clone(&self.clock))
            .leeway(self.config.leeway)
            .build()
            .validate(token)
            .await
            .map_err(|e| refuse(e.to_string()))?;
        let alg = validated.algorithm();
        let claims = validated.into_claims();
        match (checks.nonce, claims.str("nonce")) {
            (Some(expected), Some(found))
                if constant_time_eq(expected.as_bytes(), found.as_bytes()) => {}
            (Some(_), Some(_)) => return Err(refuse("`nonce` does not match")),
            (Some(_), None) => return Err(refuse("`nonce` is missing")),
            (None, _) => {}
        }
        if let Some(access_token) = checks.access_token {
            match claims.str("at_hash") {
                Some(h) if h == left_half_hash(alg, access_token) => {}
                Some(_) => return Err(refuse("`at_hash` does not match the access token")),
                None if self.config.require_at_hash && checks.previous.is_none() => {
                    return Err(refuse("`at_hash` is missing"));
                }
                None => {}
            }
        }
        if let Some(code) = checks.code {
            match claims.str("c_hash") {
                Some(h) if h == left_half_hash(alg, code) => {}
                Some(_) => return Err(refuse("`c_hash` does not match the code")),
                None if self.config.require_c_hash => return Err(refuse("`c_hash` is missing")),
                None => {}
            }
        }
        if !checks.acr_values.is_empty() {
            let acr = claims.str("acr").unwrap_or_default();
            if !checks.acr_values.iter().any(|a| a == acr) {
                return Err(refuse("`acr` does not satisfy the requested acr_values"));
            }
        }
        if let Some(max_age) = checks.max_age {
            let auth_time = claims
                .get("auth_time")
                .and_then(|v| v.as_i64())
                .ok_or_else(|| refuse("`auth_time` is missing although max_age was requested"))?;
            if self.clock.now() - auth_time > max_age + self.config.leeway {
                return Err(refuse("`auth_time` is older than max_age"));
            }
        }
        if let Some(previous) = checks.previous {
            // OpenID Connect Core 12.2: same iss, sub and aud; auth_time unchanged.
            if previous.sub != claims.sub {
                return Err(refuse("refreshed ID token names another subject"));
            }
            if previous.aud != claims.aud {
                return Err(refuse("refreshed ID token has another audience"));
            }
            if let (Some(a), Some(b)) = (previous.get("auth_time"), claims.get("auth_time"))
                && a != b
            {
                return Err(refuse("refreshed ID token changed auth_time"));
            }
        }
        Ok(claims)
    }
}
