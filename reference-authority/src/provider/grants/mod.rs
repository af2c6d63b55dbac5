//! The token endpoint: client authentication, then dispatch on `grant_type`
//! to a [`GrantHandler`] (as oidc-provider's `registerGrantType`).

mod approval;
mod authorization_code;
mod client_credentials;
mod entitled;
mod exchange_binding;
mod exchange_policy;
mod id_jag;
mod jwt_bearer;
mod refresh_token;
mod token_exchange;

pub use approval::{ApprovalDecision, ApprovalQuery, ScopeApprover, UnapprovedScope};
pub use authorization_code::AuthorizationCodeGrant;
pub use client_credentials::ClientCredentialsGrant;
pub(crate) use exchange_binding::purge_dead as purge_dead_exchange_bindings;
pub use exchange_policy::{
    AllowNarrowing, ExchangeContext, ExchangePolicy, ExplicitGrant, ExplicitGrants,
    RefreshTokensFor,
};
pub use id_jag::{INSUFFICIENT_USER_AUTHENTICATION, ManagedConnection, ScopePolicy};
pub use jwt_bearer::JwtBearerGrant;
pub use refresh_token::RefreshTokenGrant;
pub use token_exchange::{PresentedToken, TokenExchangeGrant, TrustedIssuer};

use super::client_auth::{AuthenticatedClient, TokenRequest};
use super::issue::TokenResponse;
use super::params::Params;
use super::{Authority, ErrorCode, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use std::sync::Arc;

/// One grant type of the token endpoint.
///
/// The authority has already authenticated the client and checked that it may
/// use this grant type. A handler validates its own parameters, must change no
/// state when it refuses a request, and issues tokens with
/// [`Authority::issue`].
#[async_trait::async_trait]
pub trait GrantHandler: Send + Sync + std::fmt::Debug {
    /// The `grant_type` value this handler serves.
    fn grant_type(&self) -> &str;

    /// Handles one token request.
    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError>;

    /// Members this grant adds to the authorization server metadata
    /// (RFC 8414 section 2); none by default.
    fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }

    /// Whether the handler audits its own refusals (with more detail than
    /// the token endpoint knows), so the endpoint does not audit them again:
    /// one audit event per refused request. False by default.
    fn audits_refusals(&self) -> bool {
        false
    }
}

pub(crate) fn register_builtin(authority: &Authority) {
    authority.register_grant(Arc::new(AuthorizationCodeGrant));
    authority.register_grant(Arc::new(RefreshTokenGrant));
    authority.register_grant(Arc::new(ClientCredentialsGrant));
    authority.register_grant(Arc::new(TokenExchangeGrant::new()));
    authority.register_grant(Arc::new(super::device::DeviceCodeGrant::new(
        authority.endpoint(super::paths::DEVICE_AUTHORIZATION),
    )));
}

impl Authority {
    /// The metadata members of the registered grants.
    pub(crate) fn grant_metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut out = serde_json::Map::new();
        let handlers = self
            .inner
            .grants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for handler in handlers.values() {
            out.extend(handler.metadata());
        }
        out
    }
}

impl Authority {
    /// The token endpoint (RFC 6749 section 3.2).
    pub async fn token(&self, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
        let grant_type = request.params.require("grant_type")?.to_owned();
        let client = self.authenticate_client(request)?;
        let Some(handler) = self.grant_handler(&grant_type) else {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "unsupported grant_type",
            ));
        };
        if !client.record.allows_grant(&grant_type) {
            self.audit(AuditAction::TokenIssued, Outcome::Denied, |e| {
                e.agent(client.id().to_owned())
                    .reason("unauthorized_client")
            });
            return Err(OAuthError::unauthorized_client(
                "the client may not use this grant type",
            ));
        }
        let jkt = self.dpop_binding(request, &client)?;
        let (result, issued) = crate::kill_switch::ledger::deferred(super::dpop::binding::bound(
            jkt,
            handler.exchange(self, &client, &request.params),
        ))
        .await;
        // The ledger holds every token before it leaves (a logout revokes from it).
        let result = match crate::kill_switch::ledger::write_deferred(self, issued).await {
            Ok(()) => result,
            Err(e) => {
                tracing::error!(error = %e, "the issued-token ledger could not be written");
                Err(OAuthError::from(e))
            }
        };
        // One audit event per refused request: the grant's own when it keeps one.
        if let (Err(err), false) = (&result, handler.audits_refusals()) {
            self.audit(AuditAction::TokenIssued, Outcome::Denied, |e| {
                e.agent(client.id().to_owned())
                    .reason(err.code().as_str().to_owned())
                    .detail("grant_type", grant_type.clone())
            });
        }
        result
    }
}

/// The scope of a request: what `scope` asks for (RFC 6749 section 3.3),
/// which must lie within `allowed`; all of `allowed` when absent.
pub fn narrow_scope(params: &Params, allowed: &[String]) -> Result<Vec<String>, OAuthError> {
    let asked = params.list("scope");
    if asked.is_empty() {
        return Ok(allowed.to_vec());
    }
    if asked.iter().any(|s| !allowed.contains(s)) {
        return Err(OAuthError::invalid_scope(
            "the requested scope exceeds what is allowed",
        ));
    }
    Ok(asked)
}

/// The resources of a token request (RFC 8707 section 2.2): each must be among
/// `granted` (or, when `granted` is empty, allowed for the client).
pub fn narrow_resource(
    params: &Params,
    client: &AuthenticatedClient,
    granted: &[String],
) -> Result<Vec<String>, OAuthError> {
    let asked = params.list("resource");
    if asked.is_empty() {
        return Ok(granted.to_vec());
    }
    super::authorize::check_resources(&client.record, &asked)?;
    if !granted.is_empty() && asked.iter().any(|r| !granted.contains(r)) {
        return Err(OAuthError::invalid_target(
            "resource was not part of the grant",
        ));
    }
    Ok(asked)
}

/// Audits a refused exchange grant (token exchange, jwt-bearer): the agent, the
/// user when already known, the OAuth error code and what was asked for.
fn audit_refused_exchange(
    authority: &Authority,
    client: &AuthenticatedClient,
    error: &OAuthError,
    user: Option<String>,
    (key, asked): (&str, String),
) {
    authority.audit(AuditAction::TokenExchanged, Outcome::Denied, |e| {
        let e = e
            .agent(client.id().to_owned())
            .reason(error.code().as_str().to_owned())
            .detail(key, asked);
        match user {
            Some(u) => e.user(u),
            None => e,
        }
    });
}
