//! Checking the authority's own access tokens (introspection, userinfo, revocation).

use super::Authority;
use super::client_auth::unverified_claims;
use crate::validate::{AccessToken, KeySource, Validated, ValidationError, Validator};
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
        let audiences: Vec<String> = unverified_claims(token)
            .and_then(|c| match c.get("aud")? {
                serde_json::Value::String(s) => Some(vec![s.clone()]),
                serde_json::Value::Array(a) => Some(
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default();
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
        Ok(validated)
    }
}
