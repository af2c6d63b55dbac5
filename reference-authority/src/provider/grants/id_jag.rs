//! The IdP side of the Identity Assertion JWT Authorization Grant
//! (draft-ietf-oauth-identity-assertion-authz-grant, section 4.3): a token
//! exchange whose `requested_token_type` is `urn:ietf:params:oauth:token-type:id-jag`,
//! answered with a short-lived JWT (`typ: oauth-id-jag+jwt`) for one resource
//! authorization server, as allowed by a [`ManagedConnection`].

use super::approval::{self, ApprovalQuery, ScopeApprover, UnapprovedScope, Verdict};
use super::entitled;
use super::exchange_policy::{ExchangeContext, ExchangePolicy};
use super::token_exchange::{PresentedToken, string_list};
use crate::provider::client_auth::AuthenticatedClient;
use crate::provider::crypto::random_handle;
use crate::provider::issue::TokenResponse;
use crate::provider::model::ACR_MFA;
use crate::provider::params::Params;
use crate::provider::{Authority, ErrorCode, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::exchange::token_types;
use agent_auth::jose::sign_compact;
use agent_auth::validate::{Claims, IdJag, TokenKind};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What a managed connection does with one requested scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopePolicy {
    /// Granted without asking anyone.
    Granted,
    /// Granted only when the connection's [`ScopeApprover`] approves.
    NeedsApproval,
    /// Granted only while the requesting client's agent holds the entitlement
    /// `Scope { scope, resource: audience }` in the agent registry (a direct,
    /// template or just-in-time grant, until its expiry); refused otherwise.
    /// Granted only when requested by name.
    Entitled,
    /// Never granted.
    Denied,
}

/// The trust an IdP administrator configured for one resource authorization
/// server: which clients may ask for an ID-JAG for it, the client id each is
/// known by there, which scopes are granted, and whether MFA is required.
#[derive(Clone)]
pub struct ManagedConnection {
    audience: String,
    clients: BTreeMap<String, String>,
    scopes: BTreeMap<String, ScopePolicy>,
    resources: Vec<String>,
    require_mfa: bool,
    ttl: i64,
    approver: Option<Arc<dyn ScopeApprover>>,
    approval_timeout: Duration,
    unapproved: UnapprovedScope,
}

impl fmt::Debug for ManagedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedConnection")
            .field("audience", &self.audience)
            .field("clients", &self.clients)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("require_mfa", &self.require_mfa)
            .field("ttl", &self.ttl)
            .field("approval_timeout", &self.approval_timeout)
            .field("unapproved", &self.unapproved)
            .finish_non_exhaustive()
    }
}

impl ManagedConnection {
    /// A connection to the resource authorization server whose issuer is
    /// `audience`. Nothing is allowed until clients and scopes are added;
    /// ID-JAGs live 300 seconds; an approval is awaited at most 60 seconds
    /// and an unapproved scope refuses the request.
    pub fn new(audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            clients: BTreeMap::new(),
            scopes: BTreeMap::new(),
            resources: Vec::new(),
            require_mfa: false,
            ttl: 300,
            approver: None,
            approval_timeout: Duration::from_secs(60),
            unapproved: UnapprovedScope::Refuse,
        }
    }

    /// The resource authorization server's issuer.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Lets `client_id` ask for ID-JAGs, asserting `remote_client_id` (its
    /// client id at the resource authorization server) in them.
    #[must_use]
    pub fn client(
        mut self,
        client_id: impl Into<String>,
        remote_client_id: impl Into<String>,
    ) -> Self {
        self.clients
            .insert(client_id.into(), remote_client_id.into());
        self
    }

    /// Sets the policy of a scope. Scopes not listed are denied.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>, policy: ScopePolicy) -> Self {
        self.scopes.insert(scope.into(), policy);
        self
    }

    /// The resources (RFC 8707) of that server an ID-JAG may name. Without
    /// any, a request naming a resource is refused.
    #[must_use]
    pub fn resources(mut self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resources = resources.into_iter().map(Into::into).collect();
        self
    }

    /// Requires the user to have authenticated with a second factor.
    #[must_use]
    pub fn require_mfa(mut self, required: bool) -> Self {
        self.require_mfa = required;
        self
    }

    /// ID-JAG lifetime in seconds.
    #[must_use]
    pub fn ttl(mut self, seconds: i64) -> Self {
        self.ttl = seconds.max(1);
        self
    }

    /// Who decides scopes that need approval (without one they are denied).
    #[must_use]
    pub fn approver(mut self, approver: impl ScopeApprover + 'static) -> Self {
        self.approver = Some(Arc::new(approver));
        self
    }

    /// The longest wait for one approval; past it the scope counts as not
    /// approved. The token request waits that long, so keep it below the
    /// client's HTTP timeout.
    #[must_use]
    pub fn approval_timeout(mut self, timeout: Duration) -> Self {
        self.approval_timeout = timeout;
        self
    }

    /// What a denied or timed-out scope does to the request (default:
    /// [`UnapprovedScope::Refuse`]).
    #[must_use]
    pub fn unapproved(mut self, policy: UnapprovedScope) -> Self {
        self.unapproved = policy;
        self
    }

    /// The scopes granted for this request: the requested ones (or, when none
    /// is requested, every automatically granted one), each allowed by policy
    /// (an [`ScopePolicy::Entitled`] one by the agent registry, now).
    /// Scopes the connection denies refuse the request before anyone is asked;
    /// the scopes needing approval are then asked together, within one
    /// approval timeout.
    async fn grant_scopes(
        &self,
        authority: &Authority,
        asked: Vec<String>,
        user: &str,
        client_id: &str,
    ) -> Result<Vec<String>, OAuthError> {
        if asked.is_empty() {
            return Ok(self
                .scopes
                .iter()
                .filter(|(_, p)| **p == ScopePolicy::Granted)
                .map(|(s, _)| s.clone())
                .collect());
        }
        for scope in &asked {
            let allowed = match self.scopes.get(scope) {
                Some(ScopePolicy::Granted | ScopePolicy::NeedsApproval) => true,
                Some(ScopePolicy::Entitled) => {
                    entitled::Held::by(authority, client_id)?.scope(scope, Some(&self.audience))
                }
                Some(ScopePolicy::Denied) | None => false,
            };
            if !allowed {
                return Err(OAuthError::invalid_scope(
                    "a requested scope is not granted by the managed connection",
                ));
            }
        }
        // Every scope needing approval is asked at once, so the request waits
        // at most one approval timeout however many there are.
        let verdicts = futures::future::join_all(asked.iter().map(|scope| async move {
            if self.scopes.get(scope) != Some(&ScopePolicy::NeedsApproval) {
                return Verdict::Approved;
            }
            let query = ApprovalQuery {
                user,
                client_id,
                audience: &self.audience,
                scope,
            };
            approval::ask(
                authority,
                self.approver.as_deref(),
                &query,
                self.approval_timeout,
            )
            .await
        }))
        .await;
        let mut granted = Vec::with_capacity(asked.len());
        for (scope, verdict) in asked.into_iter().zip(verdicts) {
            if verdict != Verdict::Approved {
                match self.unapproved {
                    UnapprovedScope::Drop => continue,
                    _ => return Err(approval::refusal(verdict)),
                }
            }
            granted.push(scope);
        }
        if granted.is_empty() {
            return Err(OAuthError::invalid_scope("no requested scope was approved"));
        }
        Ok(granted)
    }
}

/// RFC 9470 section 3: the user must authenticate more strongly.
pub const INSUFFICIENT_USER_AUTHENTICATION: &str = "insufficient_user_authentication";

fn has_mfa(subject: &PresentedToken) -> bool {
    let amr = string_list(subject.claims.extra.get("amr"));
    subject.claims.str("acr") == Some(ACR_MFA)
        || amr
            .iter()
            .any(|m| matches!(m.as_str(), "otp" | "mfa" | "hwk" | "swk"))
}

/// Draft section 4.3: validates the request against the managed connection
/// of its audience and mints the ID-JAG. Stores nothing; the approvals a
/// connection needs are asked only once every other check passed.
pub(super) async fn issue_id_jag(
    authority: &Authority,
    client: &AuthenticatedClient,
    params: &Params,
    subject: &PresentedToken,
    connections: &BTreeMap<String, ManagedConnection>,
    policy: &dyn ExchangePolicy,
) -> Result<TokenResponse, OAuthError> {
    // Section 4.3.1: the subject is an ID token (or a refresh token of the
    // IdP); its audience was checked to be this client.
    if subject.token_type != token_types::ID_TOKEN
        && subject.token_type != token_types::REFRESH_TOKEN
    {
        return Err(OAuthError::invalid_request(
            "an ID-JAG needs an ID token or refresh token as subject",
        ));
    }
    // Section 4.3.1: `audience` is REQUIRED, the issuer of one resource AS.
    let audience = match params.list("audience").as_slice() {
        [one] => one.clone(),
        [] => return Err(OAuthError::invalid_request("missing parameter `audience`")),
        _ => {
            return Err(OAuthError::invalid_request(
                "an ID-JAG has exactly one audience",
            ));
        }
    };
    let connection = connections.get(&audience).ok_or_else(|| {
        OAuthError::invalid_target("no managed connection to this authorization server")
    })?;
    let remote_client_id = connection.clients.get(client.id()).ok_or_else(|| {
        OAuthError::invalid_grant("the client may not request ID-JAGs for this audience")
    })?;
    if connection.require_mfa && !has_mfa(subject) {
        return Err(OAuthError::new(
            ErrorCode::Extension(INSUFFICIENT_USER_AUTHENTICATION.into()),
            "the connection requires multi-factor authentication",
        ));
    }
    let resource = params.list("resource");
    if resource.iter().any(|r| !connection.resources.contains(r)) {
        return Err(OAuthError::invalid_target(
            "resource is not served by this authorization server",
        ));
    }
    let authorization_details = match params.get("authorization_details") {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) if items.iter().all(Value::is_object) => {
                Some(Value::Array(items))
            }
            _ => {
                return Err(OAuthError::invalid_request(
                    "authorization_details must be a JSON array of objects",
                ));
            }
        },
    };
    let scope = connection
        .grant_scopes(
            authority,
            params.list("scope"),
            &subject.subject,
            client.id(),
        )
        .await?;
    let targets = [audience.clone()];
    policy.decide(&ExchangeContext {
        client_id: client.id(),
        subject,
        actor: None,
        requested_token_type: token_types::ID_JAG,
        targets: &targets,
        scope: &scope,
    })?;

    let now = authority.now();
    let jti = random_handle()?;
    let mut claims = Claims::new();
    claims.iss = Some(authority.issuer().to_owned());
    claims.sub = Some(subject.subject.clone());
    claims.aud = vec![audience.clone()];
    claims.iat = Some(now);
    claims.exp = Some(now + connection.ttl);
    claims.jti = Some(jti.clone());
    claims
        .extra
        .insert("client_id".into(), remote_client_id.clone().into());
    if !scope.is_empty() {
        claims.extra.insert("scope".into(), scope.join(" ").into());
    }
    match resource.as_slice() {
        [] => {}
        [one] => {
            claims.extra.insert("resource".into(), one.clone().into());
        }
        many => {
            claims.extra.insert("resource".into(), many.to_vec().into());
        }
    }
    for name in ["auth_time", "amr", "acr"] {
        if let Some(v) = subject.claims.extra.get(name) {
            claims.extra.insert(name.into(), v.clone());
        }
    }
    let email = authority
        .user(&subject.subject)
        .ok()
        .flatten()
        .and_then(|u| u.claims.get("email").cloned())
        .or_else(|| subject.claims.extra.get("email").cloned());
    if let Some(email) = email {
        claims.extra.insert("email".into(), email);
    }
    if let Some(details) = authorization_details {
        claims.extra.insert("authorization_details".into(), details);
    }
    let key = authority.keys().active();
    let token = sign_compact(&key, IdJag::PROFILE.mint_typ, &claims)
        .map_err(|_| OAuthError::server_error("signing failed"))?;
    authority.audit(AuditAction::TokenExchanged, Outcome::Success, |e| {
        e.agent(client.id().to_owned())
            .user(subject.subject.clone())
            .detail("subject_token_type", subject.token_type.clone())
            .detail("requested_token_type", token_types::ID_JAG)
            .detail("aud", audience.clone())
            .detail("scope", scope.join(" "))
            .detail("jti", jti.clone())
    });
    Ok(TokenResponse {
        access_token: token,
        // RFC 8693 section 2.2.1: `N_A` when the token is not an access token.
        token_type: "N_A".into(),
        expires_in: connection.ttl,
        refresh_token: None,
        id_token: None,
        scope: (!scope.is_empty()).then(|| scope.join(" ")),
        issued_token_type: Some(token_types::ID_JAG.to_owned()),
        extra: Map::new(),
    })
}
