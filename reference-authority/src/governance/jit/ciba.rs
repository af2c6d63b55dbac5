//! The authority's CIBA OP as an [`ApprovalChannel`]: the governance client
//! sends a backchannel authentication request (CIBA Core 1.0 section 7) to
//! the approver, with the elevation in `authorization_details` (RFC 9396), and
//! polls the token endpoint (section 10.1) for the decision.

use super::channel::{Answer, ApprovalChannel, ChannelError, ElevationAsk, Ticket};
use crate::ciba::CibaOp;
use crate::{ErrorCode, Params, TokenRequest};
use agent_auth::secret::SecretString;
use serde_json::json;

/// The RFC 9396 `type` of an elevation in a CIBA request.
pub const ELEVATION_DETAILS_TYPE: &str = "agent_elevation";

/// Approval through the authority's CIBA OP, as the confidential client
/// `client_id` (registered with the CIBA grant, `openid` scope and poll
/// delivery).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use reference_authority::ciba::{ChannelDevice, CibaOp};
/// use reference_authority::governance::jit::CibaChannel;
/// use reference_authority::{Authority, AuthorityConfig, ClientSpec};
/// use ciba_client::DeliveryMode;
/// use std::sync::Arc;
///
/// let authority = Authority::builder("https://idp.example")
///     .config(AuthorityConfig::for_tests())
///     .build()?;
/// let op = CibaOp::install(&authority, Arc::new(ChannelDevice::new()));
/// authority.register_client(
///     ClientSpec::confidential("governance", "governance-secret-0123")
///         .grant_types([ciba_client::GRANT_TYPE])
///         .scopes(["openid"]),
/// )?;
/// op.register_client("governance", DeliveryMode::Poll, None)?;
/// let channel = CibaChannel::new(op, "governance", "governance-secret-0123");
/// # let _ = channel; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CibaChannel {
    op: CibaOp,
    client_id: String,
    secret: SecretString,
}

impl CibaChannel {
    /// A channel asking through `op` as `client_id` with `secret`.
    pub fn new(op: CibaOp, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            op,
            client_id: client_id.into(),
            secret: SecretString::new(secret),
        }
    }

    fn request(&self, params: Params) -> TokenRequest {
        TokenRequest::new(params).basic(&self.client_id, self.secret.expose_secret())
    }
}

/// A binding message within CIBA's limits (CIBA Core 1.0 section 7.1: short,
/// shown on the device): the request id and the entitlement, without control
/// characters, at most 100 characters.
fn binding_message(ask: &ElevationAsk<'_>) -> String {
    format!("JIT {} for {}", ask.entitlement, ask.agent)
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect()
}

#[async_trait::async_trait]
impl ApprovalChannel for CibaChannel {
    async fn ask(&self, approver: &str, ask: &ElevationAsk<'_>) -> Result<Ticket, ChannelError> {
        let details = json!([{
            "type": ELEVATION_DETAILS_TYPE,
            "identifier": ask.request_id,
            "actions": ["elevate"],
            "agent": ask.agent,
            "entitlement": ask.entitlement,
            "reason": ask.reason,
            "duration": ask.duration,
        }]);
        let params = Params::from_pairs([
            ("scope", "openid".to_owned()),
            ("login_hint", approver.to_owned()),
            ("binding_message", binding_message(ask)),
            ("authorization_details", details.to_string()),
            ("requested_expiry", ask.expires_in.max(1).to_string()),
        ]);
        let response = self
            .op
            .backchannel_authentication(&self.request(params))
            .await
            .map_err(|e| ChannelError(format!("{}: {}", e.code().as_str(), e.description())))?;
        Ok(Ticket::new(response.auth_req_id.expose_secret()))
    }

    async fn answer(&self, ticket: &Ticket) -> Result<Answer, ChannelError> {
        let params = Params::from_pairs([
            ("grant_type", ciba_client::GRANT_TYPE.to_owned()),
            ("auth_req_id", ticket.expose_secret().to_owned()),
        ]);
        let authority = self.op.authority();
        match authority.token(&self.request(params)).await {
            Ok(tokens) => {
                // The access token names the person who approved (`sub`).
                let claims = authority
                    .verify_access_token(tokens.access_token.expose_secret())
                    .map_err(|_| ChannelError("the approval token does not verify".into()))?;
                let by = claims
                    .sub
                    .clone()
                    .ok_or_else(|| ChannelError("the approval token names no one".into()))?;
                // The token only carried the decision: revoke it (RFC 7009).
                let revoke =
                    Params::from_pairs([("token", tokens.access_token.expose_secret().to_owned())]);
                let _ = authority.revoke(&self.request(revoke));
                Ok(Answer::Approved { by })
            }
            Err(e) => match e.code() {
                // CIBA Core 1.0 section 11.
                ErrorCode::Extension(c) if c == "authorization_pending" || c == "slow_down" => {
                    Ok(Answer::Pending)
                }
                ErrorCode::Extension(c) if c == "expired_token" => Ok(Answer::Expired),
                ErrorCode::AccessDenied => Ok(Answer::Denied),
                other => Err(ChannelError(format!(
                    "{}: {}",
                    other.as_str(),
                    e.description()
                ))),
            },
        }
    }
}
