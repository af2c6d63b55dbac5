//! Signed authentication requests (CIBA Core 1.0 section 7.1.1): every
//! request parameter travels inside a JWT the client signed with its own key,
//! passed as the `request` parameter.

use super::CibaOp;
use super::record::{self, ClientSettings};
use crate::model::ClientRecord;
use crate::provider::crypto::handle_key as digest;
use crate::{ErrorCode, OAuthError, Params};
use agent_auth::validate::{Generic, StaticKeys, ValidationError, Validator};
use ciba_client::REQUEST_OBJECT_TYP;
use serde_json::Value;
use std::sync::Arc;

/// Parameters allowed next to `request`: those of client authentication
/// (CIBA Core 1.0 section 7.1.1).
const OUTSIDE: &[&str] = &[
    "request",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// How old `nbf` may be, and how long after `nbf` `exp` may come, in seconds
/// (the 60-minute bounds of FAPI-CIBA section 5.2.2 and FAPI 1.0 Advanced
/// section 5.2.2, items 13 and 17).
const MAX_WINDOW: i64 = 3600;

fn invalid(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(
        ErrorCode::Extension("invalid_request_object".into()),
        description,
    )
}

/// A request object's `jti`, to be marked spent once the request is accepted.
#[derive(Debug)]
pub(super) struct Jti {
    key: String,
    until: i64,
}

impl CibaOp {
    /// The request parameters: those of the verified request object when the
    /// client sent one, the form's otherwise. Nothing is stored here.
    pub(super) fn unpack_request(
        &self,
        client: &ClientRecord,
        settings: &ClientSettings,
        form: &Params,
    ) -> Result<(Params, Option<Jti>), OAuthError> {
        if form.get("request_uri").is_some() {
            return Err(OAuthError::invalid_request("request_uri is not supported"));
        }
        let Some(jwt) = form.get("request") else {
            if settings.require_signed_request {
                // CIBA Core 1.0 section 4, `backchannel_authentication_request_signing_alg`.
                return Err(OAuthError::invalid_request(
                    "this client must send a signed authentication request",
                ));
            }
            return Ok((form.clone(), None));
        };
        // CIBA Core 1.0 section 7.1.1: request parameters MUST NOT be present
        // outside of the JWT.
        if let Some((name, _)) = form.iter().find(|(n, _)| !OUTSIDE.contains(n)) {
            return Err(OAuthError::invalid_request(format!(
                "parameter `{}` must be inside the request object",
                name.chars().take(40).collect::<String>()
            )));
        }
        let claims = self.verify_request_object(client, settings, jwt)?;
        let now = self.authority.now();
        let (Some(nbf), Some(exp)) = (claims.nbf, claims.exp) else {
            return Err(invalid("the request object lacks nbf or exp"));
        };
        if now.saturating_sub(nbf) > MAX_WINDOW {
            return Err(invalid("the request object's nbf is too old"));
        }
        if exp <= nbf || exp.saturating_sub(nbf) > MAX_WINDOW {
            return Err(invalid("the request object lives too long"));
        }
        let jti = Jti {
            key: digest(&format!(
                "{}\u{1f}{}",
                client.client_id,
                claims.jti.as_deref().unwrap_or_default()
            )),
            until: exp.saturating_add(agent_auth::validate::DEFAULT_LEEWAY),
        };
        if self.jti_seen(&jti)? {
            return Err(invalid("the request object was already used"));
        }
        let mut params = Params::new();
        for (name, value) in &claims.extra {
            let text = match (name.as_str(), value) {
                ("request" | "request_uri", _) => {
                    return Err(invalid("a request object holds no request or request_uri"));
                }
                ("client_id", Value::String(id)) if *id == client.client_id => continue,
                ("client_id", _) => return Err(invalid("client_id is not the client's")),
                (_, Value::String(s)) => s.clone(),
                // `requested_expiry` may be a JSON number (CIBA Core 1.0 section 7.1).
                (_, Value::Number(n)) if n.is_u64() => n.to_string(),
                // RFC 9396 section 6: a JSON array inside a request object.
                ("authorization_details", v @ (Value::Array(_) | Value::Object(_))) => {
                    v.to_string()
                }
                _ => return Err(invalid("a request parameter has the wrong JSON type")),
            };
            params = params.with(name.clone(), text);
        }
        for name in [
            "client_id",
            "client_secret",
            "client_assertion",
            "client_assertion_type",
        ] {
            if let Some(v) = form.get(name) {
                params = params.with(name, v);
            }
        }
        Ok((params, Some(jti)))
    }

    /// CIBA Core 1.0 section 7.1.1: signed with the client's registered key,
    /// `iss` the client, `aud` containing the issuer, `exp`, `iat`, `nbf` and
    /// `jti` present, `exp`/`nbf`/`iat` within the clock leeway.
    fn verify_request_object(
        &self,
        client: &ClientRecord,
        settings: &ClientSettings,
        jwt: &str,
    ) -> Result<agent_auth::validate::Claims, OAuthError> {
        let jwks = settings
            .request_jwks
            .as_deref()
            .or(client.jwks.as_deref())
            .ok_or_else(|| invalid("the client has no registered keys for request objects"))?;
        let keys = StaticKeys::from_jwks(jwks.as_bytes())
            .map_err(|_| invalid("the client's registered keys are unusable"))?;
        let mut builder = Validator::<Generic>::builder_shared(Arc::new(keys))
            .issuer(client.client_id.clone())
            .audience(self.authority.issuer().to_owned())
            .clock(Arc::clone(self.authority.clock()))
            .typ(REQUEST_OBJECT_TYP)
            .require_claim("exp")
            .require_claim("iat")
            .require_claim("nbf")
            .require_claim("jti");
        if let Some(alg) = settings.signing_alg() {
            builder = builder.algorithms(&[alg]);
        }
        builder
            .build()
            .validate_cached(jwt)
            .map(agent_auth::validate::Validated::into_claims)
            .map_err(|e| match e {
                ValidationError::Expired => invalid("the request object has expired"),
                e => invalid(format!("the request object was refused: {e}")),
            })
    }

    fn jti_seen(&self, jti: &Jti) -> Result<bool, OAuthError> {
        let until: Option<i64> = record::get(
            self.authority.store().as_ref(),
            record::REQUEST_JTIS,
            &jti.key,
        )?;
        Ok(until.is_some_and(|u| u > self.authority.now()))
    }

    /// Marks a request object's `jti` spent, atomically: of two concurrent
    /// uses, one is refused.
    pub(super) fn spend_jti(&self, jti: &Jti) -> Result<(), OAuthError> {
        let now = self.authority.now();
        let fresh = record::update::<i64, bool>(
            self.authority.store().as_ref(),
            record::REQUEST_JTIS,
            &jti.key,
            |seen| match seen {
                Some(until) if until > now => (None, false),
                _ => (Some(jti.until), true),
            },
        )?;
        if fresh {
            Ok(())
        } else {
            Err(invalid("the request object was already used"))
        }
    }
}
