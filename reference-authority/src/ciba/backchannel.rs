//! The backchannel authentication endpoint (CIBA Core 1.0 sections 7 and 13):
//! every check runs before anything is stored.

use super::device::ApprovalRequest;
use super::record::{self, ClientSettings, RequestRecord, State};
use super::{CibaOp, paths};
use crate::provider::crypto::{handle_key as digest, random_value};
use crate::{ErrorCode, OAuthError, TokenRequest, narrow_scope};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::validate::{Generic, IdToken, KeySource, ValidationError, Validator};
use ciba_client::details::AuthorizationDetails;
use ciba_client::{AuthReqId, DeliveryMode};
use serde_json::{Value, json};
use std::sync::Arc;

/// The successful answer (CIBA Core 1.0 section 7.3).
#[derive(Debug, Clone)]
pub struct BackchannelResponse {
    /// The request's identifier.
    pub auth_req_id: AuthReqId,
    /// Seconds until the request expires.
    pub expires_in: i64,
    /// The minimum polling interval (poll and ping modes).
    pub interval: Option<i64>,
}

impl BackchannelResponse {
    /// The JSON body.
    ///
    /// # Security
    /// Holds the `auth_req_id` in clear: send it to the client only.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "auth_req_id": self.auth_req_id.expose_secret(),
            "expires_in": self.expires_in,
        });
        if let (Some(i), Value::Object(map)) = (self.interval, &mut body) {
            map.insert("interval".into(), i.into());
        }
        body
    }
}

fn error(code: &'static str, description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::Extension(code.into()), description)
}

/// Largest accepted `client_notification_token`.
const MAX_NOTIFICATION_TOKEN: usize = 1024;

impl CibaOp {
    /// Handles a backchannel authentication request. A refused request stores
    /// nothing and notifies no one.
    pub async fn backchannel_authentication(
        &self,
        request: &TokenRequest,
    ) -> Result<BackchannelResponse, OAuthError> {
        let authority = &self.authority;
        // CIBA Core 1.0 section 7.1: the client authenticates as at the token endpoint.
        let client = authority.authenticate_client(request)?;
        let settings: ClientSettings =
            record::get(authority.store().as_ref(), record::CLIENTS, client.id())?
                .filter(|_| client.record.allows_grant(super::grant_type()))
                .ok_or_else(|| {
                    OAuthError::unauthorized_client("the client is not registered for CIBA")
                })?;
        let result = self
            .checked_request(&client.record, &settings, &request.params)
            .await;
        let checked = match result {
            Ok(c) => c,
            Err(e) => {
                authority.audit(AuditAction::ApprovalRequested, Outcome::Denied, |ev| {
                    ev.agent(client.id().to_owned())
                        .reason(e.code().as_str().to_owned())
                });
                return Err(e);
            }
        };
        let auth_req_id =
            random_value().ok_or_else(|| OAuthError::server_error("randomness unavailable"))?;
        let approval_id =
            random_value().ok_or_else(|| OAuthError::server_error("randomness unavailable"))?;
        let now = authority.now();
        let cfg = &self.shared.config;
        let expires_in = checked
            .requested_expiry
            .map_or(cfg.default_expiry, |r| r.min(cfg.max_expiry));
        let rec = RequestRecord {
            client_id: client.id().to_owned(),
            user_id: checked.user_id.clone(),
            scope: checked.scope.clone(),
            details: checked.details.as_ref().map(AuthorizationDetails::to_value),
            binding_message: checked.binding_message.clone(),
            acr_values: checked.acr_values.clone(),
            mode: settings.mode,
            notification_endpoint: settings.notification_endpoint.clone(),
            notification_token: checked.notification_token.clone(),
            approval_id: approval_id.clone(),
            notify_auth_req_id: (settings.mode != DeliveryMode::Poll).then(|| auth_req_id.clone()),
            created: now,
            expires: now + expires_in,
            interval: cfg.interval,
            last_poll: None,
            state: State::Pending,
        };
        let key = digest(&auth_req_id);
        let store = authority.store().as_ref();
        record::put(store, record::REQUESTS, &key, &rec)?;
        record::put(store, record::APPROVALS, &approval_id, &key)?;
        authority.audit(AuditAction::ApprovalRequested, Outcome::Success, |ev| {
            let ev = ev
                .agent(rec.client_id.clone())
                .user(rec.user_id.clone())
                .detail("binding_message", rec.binding_message.clone())
                .detail("scope", rec.scope.join(" "))
                .detail("mode", rec.mode.as_str())
                .detail("expires", rec.expires);
            match &rec.details {
                Some(d) => ev.detail("authorization_details", d.clone()),
                None => ev,
            }
        });
        let ask = ApprovalRequest {
            approval_id: approval_id.clone(),
            user_id: rec.user_id.clone(),
            client_id: rec.client_id.clone(),
            binding_message: rec.binding_message.clone(),
            scope: rec.scope.clone(),
            authorization_details: rec.details.clone(),
            expires_at: rec.expires,
            approval_url: Some(format!(
                "{}/{}",
                authority.endpoint(paths::APPROVE),
                approval_id
            )),
        };
        if let Err(e) = self.shared.device.notify(&ask).await {
            tracing::warn!(client = %rec.client_id, error = %e, "authentication device unreachable");
            let _ = store.delete(record::REQUESTS, &key);
            let _ = store.delete(record::APPROVALS, &approval_id);
            return Err(OAuthError::server_error(
                "the authentication device could not be reached",
            ));
        }
        Ok(BackchannelResponse {
            auth_req_id: AuthReqId::new(auth_req_id),
            expires_in,
            interval: (settings.mode != DeliveryMode::Push).then_some(cfg.interval),
        })
    }

    /// Unpacks a signed request (section 7.1.1), checks every parameter, and
    /// spends the request object's `jti` last, once all else passed.
    async fn checked_request(
        &self,
        client: &crate::model::ClientRecord,
        settings: &ClientSettings,
        form: &crate::Params,
    ) -> Result<Checked, OAuthError> {
        let (params, jti) = self.unpack_request(client, settings, form)?;
        let checked = self.validate(client, settings, &params).await?;
        if let Some(jti) = &jti {
            self.spend_jti(jti)?;
        }
        Ok(checked)
    }

    async fn validate(
        &self,
        client: &crate::model::ClientRecord,
        settings: &ClientSettings,
        p: &crate::Params,
    ) -> Result<Checked, OAuthError> {
        // CIBA Core 1.0 section 7.1: `scope` is REQUIRED and MUST contain `openid`.
        let asked = p.list("scope");
        if !asked.iter().any(|s| s == "openid") {
            return Err(OAuthError::invalid_request(
                "scope must contain openid (CIBA Core 1.0 section 7.1)",
            ));
        }
        let scope = narrow_scope(p, &client.scopes)?;
        // CIBA Core 1.0 section 7.1: exactly one hint.
        let hints = ["login_hint", "id_token_hint", "login_hint_token"]
            .iter()
            .filter(|h| p.get(h).is_some())
            .count();
        if hints != 1 {
            return Err(OAuthError::invalid_request(
                "exactly one of login_hint, id_token_hint, login_hint_token is required",
            ));
        }
        let user_id = self.resolve_user(client, p).await?;
        self.check_user_code(&client.client_id, settings, &user_id, p.get("user_code"))
            .await?;
        // CIBA Core 1.0 section 7.1: the client notification token is REQUIRED in ping and push.
        let notification_token = match settings.mode {
            DeliveryMode::Poll => None,
            _ => {
                let t = p.get("client_notification_token").ok_or_else(|| {
                    OAuthError::invalid_request("client_notification_token is required")
                })?;
                if t.len() > MAX_NOTIFICATION_TOKEN {
                    return Err(OAuthError::invalid_request(
                        "client_notification_token is too long",
                    ));
                }
                Some(t.to_owned())
            }
        };
        let binding_message = match p.get("binding_message") {
            None => None,
            Some(m) => {
                let cfg = &self.shared.config;
                if m.chars().count() > cfg.max_binding_message_chars
                    || m.chars().any(char::is_control)
                {
                    // CIBA Core 1.0 section 13.
                    return Err(error(
                        "invalid_binding_message",
                        "the binding message is too long or has control characters",
                    ));
                }
                Some(m.to_owned())
            }
        };
        let requested_expiry = match p.get("requested_expiry") {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(OAuthError::invalid_request(
                        "requested_expiry must be a positive integer",
                    ));
                }
            },
        };
        let details = match p.get("authorization_details") {
            None => None,
            // RFC 9396 section 5.
            Some(text) => Some(
                AuthorizationDetails::parse(text)
                    .map_err(|e| error("invalid_authorization_details", e.reason()))?,
            ),
        };
        Ok(Checked {
            acr_values: p.list("acr_values"),
            scope,
            user_id,
            notification_token,
            binding_message,
            requested_expiry,
            details,
        })
    }

    async fn resolve_user(
        &self,
        client: &crate::model::ClientRecord,
        p: &crate::Params,
    ) -> Result<String, OAuthError> {
        let authority = &self.authority;
        let unknown = || error("unknown_user_id", "the hint names no known user");
        let user = |id: &str| -> Result<String, OAuthError> {
            match authority.user(id) {
                Ok(Some(u)) if !u.disabled => Ok(u.id),
                Ok(_) => Err(unknown()),
                Err(_) => Err(OAuthError::server_error("storage unavailable")),
            }
        };
        let keys: Arc<dyn KeySource> = Arc::clone(authority.keys()) as Arc<dyn KeySource>;
        if let Some(hint) = p.get("login_hint") {
            if hint.trim_start().starts_with('{') {
                // RFC 9493 section 3.2.5 subject identifier, `iss_sub` format.
                let v: Value = serde_json::from_str(hint)
                    .map_err(|_| OAuthError::invalid_request("login_hint is not valid JSON"))?;
                let (Some("iss_sub"), Some(iss), Some(sub)) = (
                    v.get("format").and_then(Value::as_str),
                    v.get("iss").and_then(Value::as_str),
                    v.get("sub").and_then(Value::as_str),
                ) else {
                    return Err(OAuthError::invalid_request(
                        "a JSON login_hint must be an iss_sub subject identifier",
                    ));
                };
                if iss != authority.issuer() {
                    return Err(unknown());
                }
                return user(sub);
            }
            return match authority.user_by_name(hint) {
                Ok(Some(u)) if !u.disabled => Ok(u.id),
                Ok(_) => user(hint),
                Err(_) => Err(OAuthError::server_error("storage unavailable")),
            };
        }
        if let Some(hint) = p.get("id_token_hint") {
            // CIBA Core 1.0 section 7.1: an ID token this OP issued to this client.
            let validator = Validator::<IdToken>::builder_shared(keys)
                .issuer(authority.issuer().to_owned())
                .audience(client.client_id.clone())
                .clock(Arc::clone(authority.clock()))
                .build();
            let claims = validator.validate_cached(hint).map_err(|e| match e {
                ValidationError::Expired => {
                    OAuthError::invalid_request("id_token_hint has expired")
                }
                _ => OAuthError::invalid_request("id_token_hint is invalid"),
            })?;
            return user(claims.sub.as_deref().unwrap_or_default());
        }
        if let Some(hint) = p.get("login_hint_token") {
            // The reference OP accepts login hint tokens it signed itself, for this client.
            let validator = Validator::<Generic>::builder_shared(keys)
                .issuer(authority.issuer().to_owned())
                .audience(client.client_id.clone())
                .clock(Arc::clone(authority.clock()))
                .require_claim("sub")
                .require_claim("exp")
                .build();
            let claims = validator.validate_cached(hint).map_err(|e| match e {
                ValidationError::Expired => error(
                    "expired_login_hint_token",
                    "the login_hint_token has expired",
                ),
                _ => OAuthError::invalid_request("login_hint_token is invalid"),
            })?;
            return user(claims.sub.as_deref().unwrap_or_default());
        }
        Err(OAuthError::invalid_request("no hint"))
    }
}

struct Checked {
    acr_values: Vec<String>,
    scope: Vec<String>,
    user_id: String,
    notification_token: Option<String>,
    binding_message: Option<String>,
    requested_expiry: Option<i64>,
    details: Option<AuthorizationDetails>,
}
