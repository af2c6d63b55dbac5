//! The policy hook of RFC 8693 token exchange: who may exchange what for
//! which audience, what a policy grants explicitly beyond the subject token,
//! and who gets refresh tokens.

use super::token_exchange::PresentedToken;
use crate::provider::OAuthError;
use std::collections::{BTreeMap, BTreeSet};

/// What a client asks for in one exchange, after the RFC 8693 checks passed.
#[derive(Debug, Clone)]
pub struct ExchangeContext<'a> {
    /// The authenticated client.
    pub client_id: &'a str,
    /// The subject token.
    pub subject: &'a PresentedToken,
    /// The actor token, if one was presented.
    pub actor: Option<&'a PresentedToken>,
    /// `requested_token_type` (access token when absent).
    pub requested_token_type: &'a str,
    /// The targets (`audience` and `resource` values) of the new token.
    pub targets: &'a [String],
    /// The scope of the new token.
    pub scope: &'a [String],
}

/// Decides which client may exchange what for which audience: the policy hook
/// of the token exchange grant. It runs after the protocol checks; its refusal
/// is answered as is (use `invalid_target` for an audience the client may not
/// reach, `invalid_request` for a subject it may not use, RFC 8693 section 2.2.2).
///
/// A closure `Fn(&ExchangeContext) -> Result<(), OAuthError>` is a policy
/// (that never issues refresh tokens).
pub trait ExchangePolicy: Send + Sync {
    /// Allows or refuses one exchange.
    fn decide(&self, request: &ExchangeContext<'_>) -> Result<(), OAuthError>;

    /// Whether an allowed exchange for an access token also returns a refresh
    /// token (RFC 8693 section 2.2.1: OPTIONAL), so the client keeps access
    /// after the subject token expires. Never asked for an ID-JAG (the draft
    /// issues none); the client must also be registered for the
    /// `refresh_token` grant. None by default.
    fn refresh_token(&self, request: &ExchangeContext<'_>) -> bool {
        let _ = request;
        false
    }

    /// What `client_id` may obtain for `subject` beyond what the subject token
    /// grants: the only way an exchange reaches a scope or a target that the
    /// subject token (or, for this authority's ID tokens and refresh tokens,
    /// the grant behind it) does not carry, as for a foreign ID token or JWT
    /// without `scope` (RFC 8693 section 1: the exchanged token never
    /// widens what was delegated unless the authority's policy says so).
    /// Nothing by default.
    fn explicit_grant(&self, client_id: &str, subject: &PresentedToken) -> ExplicitGrant {
        let _ = (client_id, subject);
        ExplicitGrant::default()
    }
}

impl<F> ExchangePolicy for F
where
    F: Fn(&ExchangeContext<'_>) -> Result<(), OAuthError> + Send + Sync,
{
    fn decide(&self, request: &ExchangeContext<'_>) -> Result<(), OAuthError> {
        self(request)
    }
}

/// The default policy: every exchange that passes the protocol checks (which
/// only ever narrow the subject token's grant) is allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowNarrowing;

impl ExchangePolicy for AllowNarrowing {
    fn decide(&self, _: &ExchangeContext<'_>) -> Result<(), OAuthError> {
        Ok(())
    }
}

/// A policy that issues refresh tokens to some clients: `policy` decides,
/// and exchanges for an access token by one of `clients` come with a
/// refresh token bound to the exchanged grant.
#[derive(Debug, Clone)]
pub struct RefreshTokensFor<P> {
    policy: P,
    clients: BTreeSet<String>,
}

impl<P: ExchangePolicy> RefreshTokensFor<P> {
    /// `policy`, issuing refresh tokens to `clients`.
    pub fn new(policy: P, clients: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            policy,
            clients: clients.into_iter().map(Into::into).collect(),
        }
    }
}

impl<P: ExchangePolicy> ExchangePolicy for RefreshTokensFor<P> {
    fn decide(&self, request: &ExchangeContext<'_>) -> Result<(), OAuthError> {
        self.policy.decide(request)
    }

    fn refresh_token(&self, request: &ExchangeContext<'_>) -> bool {
        self.clients.contains(request.client_id)
    }

    fn explicit_grant(&self, client_id: &str, subject: &PresentedToken) -> ExplicitGrant {
        self.policy.explicit_grant(client_id, subject)
    }
}

/// Scopes and targets a policy grants a client explicitly, on top of what
/// the subject token grants (see [`ExchangePolicy::explicit_grant`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplicitGrant {
    /// Scopes the new token may carry.
    pub scope: Vec<String>,
    /// Targets (`audience` and `resource` values) the new token may name.
    pub targets: Vec<String>,
}

impl ExplicitGrant {
    /// Grants these scopes and targets.
    pub fn new(
        scope: impl IntoIterator<Item = impl Into<String>>,
        targets: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            scope: scope.into_iter().map(Into::into).collect(),
            targets: targets.into_iter().map(Into::into).collect(),
        }
    }
}

/// A policy that grants some clients scopes and targets explicitly, for any
/// subject: `policy` decides the rest.
#[derive(Debug, Clone)]
pub struct ExplicitGrants<P> {
    policy: P,
    grants: BTreeMap<String, ExplicitGrant>,
}

impl<P: ExchangePolicy> ExplicitGrants<P> {
    /// `policy`, granting nothing explicitly yet.
    pub fn new(policy: P) -> Self {
        Self {
            policy,
            grants: BTreeMap::new(),
        }
    }

    /// Grants `client_id` these scopes and targets, whatever its subject
    /// token carries (the client's registration still bounds both).
    #[must_use]
    pub fn grant(mut self, client_id: impl Into<String>, grant: ExplicitGrant) -> Self {
        self.grants.insert(client_id.into(), grant);
        self
    }
}

impl<P: ExchangePolicy> ExchangePolicy for ExplicitGrants<P> {
    fn decide(&self, request: &ExchangeContext<'_>) -> Result<(), OAuthError> {
        self.policy.decide(request)
    }

    fn refresh_token(&self, request: &ExchangeContext<'_>) -> bool {
        self.policy.refresh_token(request)
    }

    fn explicit_grant(&self, client_id: &str, subject: &PresentedToken) -> ExplicitGrant {
        let mut grant = self.policy.explicit_grant(client_id, subject);
        if let Some(more) = self.grants.get(client_id) {
            grant.scope.extend(more.scope.iter().cloned());
            grant.targets.extend(more.targets.iter().cloned());
        }
        grant
    }
}
