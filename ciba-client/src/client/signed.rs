//! Signed authentication requests, client side (CIBA Core 1.0 section 7.1.1):
//! the request parameters become the claims of a JWT signed with the
//! client's key, sent as the single `request` parameter.

use super::{CibaClient, CibaError};
use crate::wire::{REQUEST_OBJECT_TYP, random_value};
use agent_auth::jose::sign_compact;
use agent_auth::validate::Claims;
use serde_json::Value;

/// Lifetime of a request object, in seconds: well inside the 60 minutes an OP
/// may allow between `nbf` and `exp`.
const LIFETIME: i64 = 300;

impl CibaClient {
    /// Replaces the form's parameters with a signed request object when the
    /// client is configured to sign; leaves them alone otherwise.
    pub(crate) fn maybe_sign(
        &self,
        form: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>, CibaError> {
        let inner = &self.inner;
        let Some(key) = &inner.request_key else {
            return Ok(form);
        };
        if let Some(algs) = &inner.request_signing_algs
            && !algs.iter().any(|a| a == key.algorithm().name())
        {
            return Err(CibaError::Config(
                "the OP does not accept request objects signed with this key's algorithm",
            ));
        }
        let now = inner.clock.now();
        let mut claims = Claims::new();
        claims.iss = Some(self.client_id().to_owned());
        claims.aud = vec![inner.endpoints.issuer.clone()];
        claims.iat = Some(now);
        claims.nbf = Some(now);
        claims.exp = Some(now + LIFETIME);
        claims.jti = Some(random_value().ok_or(CibaError::Config("randomness unavailable"))?);
        for (name, value) in form {
            let value = match name.as_str() {
                // A number (CIBA Core 1.0 section 7.1).
                "requested_expiry" => value
                    .parse::<u64>()
                    .map(Value::from)
                    .map_err(|_| CibaError::InvalidRequest("requested_expiry is not a number"))?,
                // A JSON array (RFC 9396 section 6).
                "authorization_details" => serde_json::from_str(&value)
                    .map_err(|_| CibaError::InvalidRequest("authorization_details is not JSON"))?,
                _ => Value::String(value),
            };
            claims.extra.insert(name, value);
        }
        let jwt = sign_compact(key, Some(REQUEST_OBJECT_TYP), &claims)
            .map_err(|_| CibaError::Config("signing the request object failed"))?;
        Ok(vec![("request".into(), jwt.expose_secret().to_owned())])
    }
}
