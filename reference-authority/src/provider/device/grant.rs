//! Polling the token endpoint with a device code (RFC 8628 sections 3.4 and 3.5).

use super::record::{DEVICE_CODES, DeviceRecord, DeviceState};
use super::{DEVICE_CODE_GRANT, SLOW_DOWN_STEP};
use crate::provider::client_auth::AuthenticatedClient;
use crate::provider::crypto::handle_key;
use crate::provider::grants::GrantHandler;
use crate::provider::issue::{IssueOptions, TokenResponse};
use crate::provider::model::GrantFacts;
use crate::provider::params::Params;
use crate::provider::{Authority, ErrorCode, OAuthError, grant_types};
use serde_json::{Map, Value};

/// Redeems device codes; also announces `device_authorization_endpoint`
/// (RFC 8628 section 4).
#[derive(Debug, Clone)]
pub struct DeviceCodeGrant {
    endpoint: String,
}

impl DeviceCodeGrant {
    /// The grant, announcing `endpoint` as the device authorization endpoint.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
        }
    }
}

fn code(code: &'static str, description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::Extension(code.into()), description)
}

enum Step {
    Refuse(OAuthError),
    Issue(DeviceRecord),
}

/// Decides one poll of `rec` at `now`; the new record (if it changes) and the step.
fn poll(current: Option<DeviceRecord>, client_id: &str, now: i64) -> (Option<DeviceRecord>, Step) {
    let Some(mut rec) = current else {
        return (
            None,
            Step::Refuse(OAuthError::invalid_grant("unknown device_code")),
        );
    };
    // RFC 8628 section 3.4 and RFC 6749 section 5.2: a code of another client is invalid.
    if rec.client_id != client_id {
        return (
            None,
            Step::Refuse(OAuthError::invalid_grant("unknown device_code")),
        );
    }
    match rec.state {
        // Single use: a spent device code is invalid_grant (RFC 6749 section 5.2).
        DeviceState::Issued => {
            return (
                None,
                Step::Refuse(OAuthError::invalid_grant(
                    "the device_code was already used",
                )),
            );
        }
        // RFC 8628 section 3.5 `access_denied`.
        DeviceState::Denied => {
            return (
                None,
                Step::Refuse(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the user denied the request",
                )),
            );
        }
        _ => {}
    }
    // RFC 8628 section 3.5 `expired_token`.
    if now >= rec.expires {
        return (
            None,
            Step::Refuse(code("expired_token", "the device_code expired")),
        );
    }
    if let DeviceState::Approved { .. } = rec.state {
        let approved = rec.clone();
        rec.state = DeviceState::Issued;
        return (Some(rec), Step::Issue(approved));
    }
    // RFC 8628 section 3.5: polling faster than the interval answers
    // `slow_down`, and the interval grows by 5 seconds for this and all
    // later requests.
    let too_fast = rec.last_poll.is_some_and(|t| now - t < rec.interval);
    rec.last_poll = Some(now);
    if too_fast {
        rec.interval += SLOW_DOWN_STEP;
        (
            Some(rec),
            Step::Refuse(code("slow_down", "polling too fast")),
        )
    } else {
        (
            Some(rec),
            Step::Refuse(code(
                "authorization_pending",
                "the user has not decided yet",
            )),
        )
    }
}

#[async_trait::async_trait]
impl GrantHandler for DeviceCodeGrant {
    fn grant_type(&self) -> &str {
        DEVICE_CODE_GRANT
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let device_code = params.require("device_code")?;
        let now = authority.now();
        let client_id = client.id().to_owned();
        let step = authority.tables().update::<DeviceRecord, Step>(
            DEVICE_CODES,
            &handle_key(device_code),
            |current| poll(current, &client_id, now),
        )?;
        let rec = match step {
            Step::Refuse(e) => return Err(e),
            Step::Issue(rec) => rec,
        };
        let DeviceState::Approved {
            user_id,
            auth_time,
            acr,
            amr,
            sid,
        } = rec.state
        else {
            return Err(OAuthError::server_error("device state"));
        };
        let facts = GrantFacts {
            client_id: rec.client_id.clone(),
            user_id: Some(user_id),
            scope: rec.scope.clone(),
            resource: rec.resource.clone(),
            auth_time: Some(auth_time),
            acr: Some(acr),
            amr,
            sid: Some(sid),
        };
        authority.issue(
            &facts,
            IssueOptions {
                id_token: true,
                refresh_token: client.record.allows_grant(grant_types::REFRESH_TOKEN),
                ..IssueOptions::default()
            },
        )
    }

    fn metadata(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert(
            "device_authorization_endpoint".into(),
            Value::String(self.endpoint.clone()),
        );
        out
    }
}
