//! Checking the authority's own access tokens (introspection, userinfo, revocation).

use super::Authority;
use super::client_auth::unverified_claims;
use super::crypto::handle_key;
use super::model::{FamilyRecord, GrantFacts, RefreshRecord};
use super::store::Table;
use agent_auth::validate::{
    AccessToken, IdToken, KeySource, Validated, ValidationError, Validator,
};
use std::sync::Arc;

impl Authority {
    /// Validates an access token this authority issued (RFC 9068 profile:
    /// signature by a current key, `typ` `at+jwt`, issuer, expiry) and checks
    /// that it was not revoked. The audience is the token's own: callers check
    /// it against what they serve.
    pub fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<Validated<AccessToken>, ValidationError> {
        let audiences = audiences_of(token);
        let keys: Arc<dyn KeySource> = Arc::clone(self.keys()) as Arc<dyn KeySource>;
        let validated = Validator::<AccessToken>::builder_shared(keys)
            .issuer(self.issuer().to_owned())
            .audiences(audiences)
            .clock(Arc::clone(self.clock()))
            .leeway(0)
            .build()
            .validate_cached(token)?;
        if validated
            .jti
            .as_deref()
            .is_some_and(|jti| self.is_access_token_revoked(jti))
        {
            return Err(ValidationError::Profile {
                kind: "access token",
                rule: "revoked",
            });
        }
        // A disabled user's tokens die with the user, also those of no
        // grant family (token exchange, jwt-bearer) that revocation misses.
        if validated
            .sub
            .as_deref()
            .is_some_and(|sub| self.user_disabled(sub))
        {
            return Err(ValidationError::Profile {
                kind: "access token",
                rule: "the user is disabled",
            });
        }
        // A disabled client's tokens die with it (RFC 9068 section 2.2: `client_id`).
        if validated
            .get("client_id")
            .and_then(|c| c.as_str().map(|c| self.client_disabled(c)))
            .unwrap_or(false)
        {
            return Err(ValidationError::Profile {
                kind: "access token",
                rule: "the client is disabled",
            });
        }
        Ok(validated)
    }
}

/// The `aud` values of a token, read without verification (to configure the
/// validator that then verifies everything else).
pub(crate) fn audiences_of(token: &str) -> Vec<String> {
    unverified_claims(token)
        .and_then(|c| match c.get("aud")? {
            serde_json::Value::String(s) => Some(vec![s.clone()]),
            serde_json::Value::Array(a) => Some(
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

impl Authority {
    /// Validates an ID token this authority issued, as a hint (OpenID Connect
    /// Core 3.1.2.1 `id_token_hint`, CIBA `id_token_hint`, RP-initiated logout):
    /// signature by a current key and issuer; expiry is not checked (a hint may
    /// have expired). Callers check the audience they expect.
    pub fn verify_id_token_hint(&self, token: &str) -> Result<Validated<IdToken>, ValidationError> {
        let keys: Arc<dyn KeySource> = Arc::clone(self.keys()) as Arc<dyn KeySource>;
        Validator::<IdToken>::builder_shared(keys)
            .issuer(self.issuer().to_owned())
            .audiences(audiences_of(token))
            .clock(Arc::clone(self.clock()))
            .leeway(i64::MAX / 4)
            .build()
            .validate_cached(token)
    }

    /// What a live refresh token of `client_id` grants (for extension grants
    /// that take a refresh token as subject, such as token exchange or the
    /// vault's federated-connection exchange). `None` when the token is unknown,
    /// expired, rotated, revoked or another client's.
    pub fn refresh_token_grant(&self, token: &str, client_id: &str) -> Option<GrantFacts> {
        let record = self
            .tables()
            .get::<RefreshRecord>(Table::RefreshTokens, &handle_key(token))
            .ok()??;
        let family = self
            .tables()
            .get::<FamilyRecord>(Table::Families, &record.family)
            .ok()??;
        let live = !family.revoked
            && !self.client_disabled(&family.facts.client_id)
            && !record.rotated
            && record.expires > self.now()
            && !family
                .facts
                .user_id
                .as_deref()
                .is_some_and(|u| self.user_disabled(u));
        (live && family.facts.client_id == client_id).then_some(family.facts)
    }
}
