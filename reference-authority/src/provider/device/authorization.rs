//! The device authorization endpoint (RFC 8628 sections 3.1 and 3.2).

use super::record::{DEVICE_CODES, DeviceRecord, DeviceState, USER_CODES, UserCodeLink};
use super::{DEVICE_CODE_GRANT, DEVICE_CODE_TTL, POLL_INTERVAL, user_code};
use crate::provider::client_auth::TokenRequest;
use crate::provider::crypto::{handle_key, random_handle};
use crate::provider::grants::{narrow_resource, narrow_scope};
use crate::provider::{Authority, OAuthError, paths};
use agent_auth::audit::{AuditAction, Outcome};
use serde_json::{Value, json};

/// Attempts at drawing a user code that is not in use.
const USER_CODE_DRAWS: usize = 8;

impl Authority {
    /// The device authorization endpoint (RFC 8628 section 3.1). The client
    /// authenticates as at the token endpoint (section 3.1: "the client MUST
    /// authenticate" when it is confidential) and must be allowed the device
    /// code grant. Returns the section 3.2 response body; a refused request
    /// stores nothing.
    pub fn device_authorization(&self, request: &TokenRequest) -> Result<Value, OAuthError> {
        let client = self.authenticate_client(request)?;
        if !client.record.allows_grant(DEVICE_CODE_GRANT) {
            self.audit(AuditAction::ApprovalRequested, Outcome::Denied, |e| {
                e.agent(client.id().to_owned())
                    .reason("unauthorized_client")
            });
            return Err(OAuthError::unauthorized_client(
                "the client may not use the device authorization grant",
            ));
        }
        let scope = narrow_scope(&request.params, &client.record.scopes)?;
        let resource = narrow_resource(&request.params, &client, &[])?;
        let now = self.now();
        let expires = now + DEVICE_CODE_TTL;
        let device_code = random_handle()?;
        let device_key = handle_key(&device_code);
        let code = self.claim_user_code(&device_key, expires)?;
        self.tables().put(
            DEVICE_CODES,
            &device_key,
            &DeviceRecord {
                client_id: client.id().to_owned(),
                client_name: client
                    .record
                    .name
                    .clone()
                    .unwrap_or_else(|| client.id().to_owned()),
                scope: scope.clone(),
                resource,
                expires,
                interval: POLL_INTERVAL,
                last_poll: None,
                state: DeviceState::Pending,
            },
        )?;
        self.audit(AuditAction::ApprovalRequested, Outcome::Success, |e| {
            e.agent(client.id().to_owned())
                .detail("grant_type", DEVICE_CODE_GRANT)
                .detail("scope", scope.join(" "))
        });
        let shown = user_code::display(&code);
        let verification_uri = self.endpoint(paths::DEVICE);
        let complete = url::Url::parse_with_params(&verification_uri, [("user_code", &shown)])
            .map_err(|_| OAuthError::server_error("bad verification URI"))?;
        Ok(json!({
            "device_code": device_code,
            "user_code": shown,
            "verification_uri": verification_uri,
            "verification_uri_complete": complete.as_str(),
            "expires_in": DEVICE_CODE_TTL,
            "interval": POLL_INTERVAL,
        }))
    }

    /// Draws a user code no live request uses and links it to the device code.
    fn claim_user_code(&self, device_key: &str, expires: i64) -> Result<String, OAuthError> {
        let now = self.now();
        for _ in 0..USER_CODE_DRAWS {
            let code = user_code::generate()?;
            let won = self.tables().update::<UserCodeLink, bool>(
                USER_CODES,
                &handle_key(&code),
                |current| match current {
                    Some(link) if link.expires > now => (None, false),
                    _ => (
                        Some(UserCodeLink {
                            device_key: device_key.to_owned(),
                            expires,
                        }),
                        true,
                    ),
                },
            )?;
            if won {
                return Ok(code);
            }
        }
        Err(OAuthError::server_error("no free user code"))
    }
}
