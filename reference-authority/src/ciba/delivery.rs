//! Delivering a decision to ping and push clients (CIBA Core 1.0 sections
//! 10.2 and 10.3): a POST to the client's notification endpoint with the
//! client's `client_notification_token` as bearer token.

use super::CibaOp;
use super::record::{self, RequestRecord, State};
use crate::provider::crypto::handle_key as digest;
use ciba_client::DeliveryMode;
use serde_json::{Value, json};

impl CibaOp {
    pub(crate) async fn deliver(&self, rec: RequestRecord) {
        let (Some(endpoint), Some(token), Some(id)) = (
            rec.notification_endpoint.as_deref(),
            rec.notification_token.as_deref(),
            rec.notify_auth_req_id.as_deref(),
        ) else {
            return;
        };
        let body = match (rec.mode, &rec.state) {
            // CIBA Core 1.0 section 10.2: only the auth_req_id.
            (DeliveryMode::Ping, _) => json!({ "auth_req_id": id }),
            (DeliveryMode::Push, State::Approved { .. }) => match self.push_tokens(&rec, id) {
                Some(body) => body,
                None => return,
            },
            // CIBA Core 1.0 section 12: the error goes to the notification endpoint.
            (DeliveryMode::Push, _) => json!({
                "auth_req_id": id,
                "error": "access_denied",
                "error_description": "the user denied the request",
            }),
            // Poll: the client asks; nothing is sent to it.
            _ => return,
        };
        let sent = self
            .shared
            .http
            .post(endpoint)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => tracing::warn!(
                client = %rec.client_id,
                status = r.status().as_u16(),
                "client notification endpoint refused the notification"
            ),
            Err(_) => tracing::warn!(
                client = %rec.client_id,
                "client notification endpoint unreachable"
            ),
        }
    }

    /// Marks the request spent and issues its tokens for a push (CIBA Core 1.0
    /// section 10.3.1: the ID token names the request and hashes both tokens).
    fn push_tokens(&self, rec: &RequestRecord, id: &str) -> Option<Value> {
        let store = self.authority.store().as_ref();
        let taken = record::update::<RequestRecord, Option<State>>(
            store,
            record::REQUESTS,
            &digest(id),
            |cur| match cur {
                Some(mut r) if matches!(r.state, State::Approved { .. }) => {
                    let state = std::mem::replace(&mut r.state, State::Issued);
                    (Some(r), Some(state))
                }
                _ => (None, None),
            },
        )
        .ok()??;
        let State::Approved {
            scope,
            details,
            auth_time,
            ..
        } = taken
        else {
            return None;
        };
        match super::grant::issue(&self.authority, rec, scope, details, auth_time, Some(id)) {
            Ok(tokens) => {
                let mut body = tokens.to_json();
                if let Value::Object(map) = &mut body {
                    map.insert("auth_req_id".into(), id.into());
                }
                Some(body)
            }
            Err(e) => {
                tracing::warn!(client = %rec.client_id, error = %e.code(), "push issuance failed");
                None
            }
        }
    }
}
