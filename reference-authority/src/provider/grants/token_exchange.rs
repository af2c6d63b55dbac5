//! RFC 8693 token exchange: a client trades a subject token (and optionally an
//! actor token) for a new token that narrows what the subject token grants.
//! With `requested_token_type` = ID-JAG the authority acts as the IdP of
//! draft-ietf-oauth-identity-assertion-authz-grant (see [`ManagedConnection`]).

use super::entitled::PlainExchange;
use super::exchange_binding::{self, ExchangeBinding};
use super::exchange_policy::{AllowNarrowing, ExchangeContext, ExchangePolicy, ExplicitGrant};
use super::id_jag::{ManagedConnection, ScopePolicy, issue_id_jag};
use super::{GrantHandler, narrow_scope};
use crate::provider::client_auth::{AuthenticatedClient, unverified_claims};
use crate::provider::crypto::{handle_key, random_handle};
use crate::provider::issue::{IssueOptions, TokenResponse};
use crate::provider::model::{FamilyRecord, GrantFacts, RefreshRecord};
use crate::provider::params::Params;
use crate::provider::store::Table;
use crate::provider::{Authority, OAuthError, grant_types};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::exchange::{GRANT_TOKEN_EXCHANGE, token_types};
use agent_auth::validate::{
    AccessToken, Claims, Generic, IdToken, KeySource, TokenKind, ValidationError, Validator,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Another issuer whose tokens this authority accepts as subject or actor
/// tokens (its ID tokens must name the exchanging client as audience; its
/// access tokens and JWTs must name this authority).
#[derive(Clone)]
pub struct TrustedIssuer {
    pub(crate) issuer: String,
    pub(crate) keys: Arc<dyn KeySource>,
}

impl TrustedIssuer {
    /// Trusts `issuer`, verifying its tokens with `keys` (static keys, or a
    /// [`RemoteJwks`](agent_auth::jwks::RemoteJwks) of its `jwks_uri`).
    pub fn new(issuer: impl Into<String>, keys: impl KeySource + 'static) -> Self {
        Self::shared(issuer, Arc::new(keys))
    }

    /// Like [`new`](Self::new), with a shared key source.
    pub fn shared(issuer: impl Into<String>, keys: Arc<dyn KeySource>) -> Self {
        Self {
            issuer: issuer.into(),
            keys,
        }
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

impl fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedIssuer")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A validated subject or actor token, as the policy sees it.
#[derive(Debug, Clone)]
pub struct PresentedToken {
    /// The token type identifier (RFC 8693 section 3).
    pub token_type: String,
    /// The issuer of the token.
    pub issuer: String,
    /// The `sub` of the token.
    pub subject: String,
    /// The scope the token grants, when it carries one (for an ID token of
    /// this authority: the scope of the grant it was issued under).
    pub scope: Option<Vec<String>>,
    /// The resources the token was issued for (its audiences other than this
    /// authority), for access tokens, refresh tokens and this authority's ID
    /// tokens (those of their grant).
    pub resources: Vec<String>,
    /// The claims (for a refresh token: `sub`, `scope`, `auth_time`, `acr`, `amr`).
    pub claims: Claims,
}

/// The RFC 8693 grant (`urn:ietf:params:oauth:grant-type:token-exchange`).
///
/// Registered by default with no trusted issuers, no managed connections and
/// the [`AllowNarrowing`] policy; register a configured one with
/// [`Authority::register_grant`] to replace it. Clients still need the grant
/// type in their registration.
#[derive(Clone)]
pub struct TokenExchangeGrant {
    policy: Arc<dyn ExchangePolicy>,
    trusted: Vec<TrustedIssuer>,
    connections: BTreeMap<String, ManagedConnection>,
    /// (client id, resource): the client is the server of that resource.
    resource_servers: Vec<(String, String)>,
    /// What the agent registry decides in plain exchanges.
    registry: PlainExchange,
}

impl Default for TokenExchangeGrant {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TokenExchangeGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeGrant")
            .field("trusted", &self.trusted)
            .field("connections", &self.connections.keys())
            .field("resource_servers", &self.resource_servers)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl TokenExchangeGrant {
    /// A grant that accepts this authority's own tokens, with the
    /// [`AllowNarrowing`] policy.
    pub fn new() -> Self {
        Self {
            policy: Arc::new(AllowNarrowing),
            trusted: Vec::new(),
            connections: BTreeMap::new(),
            resource_servers: Vec::new(),
            registry: PlainExchange::default(),
        }
    }

    /// Sets the policy of a scope in plain exchanges (for an access token),
    /// as a [`ManagedConnection`] does for ID-JAGs:
    /// [`ScopePolicy::Entitled`] grants it only while the client's agent
    /// holds `Scope { scope, resource: target }` in the agent registry for
    /// every target of the new token (a direct, template or just-in-time
    /// grant, until its end); [`ScopePolicy::Denied`] and
    /// [`ScopePolicy::NeedsApproval`] (nobody is asked here) refuse it.
    /// A refusal is `invalid_scope` (RFC 8693 section 2.2.2). Scopes not
    /// listed only narrow the subject token's, as before.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>, policy: ScopePolicy) -> Self {
        self.registry.policies.insert(scope.into(), policy);
        self
    }

    /// Requires every target (`audience`, `resource`) of a plain exchange to
    /// be one the client's agent is entitled to reach in the agent registry
    /// (a scope for it, or its managed connection), else `invalid_target`
    /// (RFC 8693 section 2.2.2).
    #[must_use]
    pub fn entitled_targets(mut self) -> Self {
        self.registry.targets = true;
        self
    }

    /// Names the client `client_id` as the server of `resource`: it may
    /// exchange a token issued for `resource` for a token for another target
    /// it is registered for, so that it calls its upstream APIs with tokens of
    /// their own instead of passing on the token it received (MCP security
    /// best practices, "token passthrough"; RFC 8693 section 1). Scope still
    /// only narrows. Other clients keep to the subject token's audiences.
    #[must_use]
    pub fn resource_server(
        mut self,
        client_id: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        self.resource_servers
            .push((client_id.into(), resource.into()));
        self
    }

    /// Whether `client` is the server of a resource the subject token was issued for.
    fn serves(&self, client: &AuthenticatedClient, subject: &PresentedToken) -> bool {
        self.resource_servers
            .iter()
            .any(|(id, r)| id == client.id() && subject.resources.contains(r))
    }

    /// The policy hook.
    #[must_use]
    pub fn policy(mut self, policy: impl ExchangePolicy + 'static) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// Also accepts tokens of another issuer.
    #[must_use]
    pub fn trust(mut self, issuer: TrustedIssuer) -> Self {
        self.trusted.push(issuer);
        self
    }

    /// A managed connection to a resource authorization server: the only way
    /// an ID-JAG is issued for that audience.
    #[must_use]
    pub fn connection(mut self, connection: ManagedConnection) -> Self {
        self.connections
            .insert(connection.audience().to_owned(), connection);
        self
    }

    async fn run(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
        user: &mut Option<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let subject_token = params.require("subject_token")?;
        let subject_type = params.require("subject_token_type")?;
        // RFC 8693 section 2.1: actor_token_type is REQUIRED with an actor
        // token and MUST NOT be present otherwise.
        let actor_params = match (params.get("actor_token"), params.get("actor_token_type")) {
            (Some(t), Some(ty)) => Some((t, ty)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(OAuthError::invalid_request(
                    "actor_token needs actor_token_type",
                ));
            }
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "actor_token_type without actor_token",
                ));
            }
        };
        let requested = params
            .get("requested_token_type")
            .unwrap_or(token_types::ACCESS_TOKEN);
        if requested != token_types::ACCESS_TOKEN && requested != token_types::ID_JAG {
            return Err(OAuthError::invalid_request(
                "unsupported requested_token_type",
            ));
        }

        let subject = self
            .present(
                authority,
                client,
                subject_token,
                subject_type,
                "subject_token",
            )
            .await?;
        *user = Some(subject.subject.clone());

        if requested == token_types::ID_JAG {
            if actor_params.is_some() {
                return Err(OAuthError::invalid_request(
                    "an ID-JAG request takes no actor_token",
                ));
            }
            return issue_id_jag(
                authority,
                client,
                params,
                &subject,
                &self.connections,
                self.policy.as_ref(),
            )
            .await;
        }

        let actor = match actor_params {
            Some((token, ty)) => Some(
                self.present(authority, client, token, ty, "actor_token")
                    .await?,
            ),
            None => None,
        };
        check_may_act(authority, client, &subject, actor.as_ref())?;

        let explicit = self.policy.explicit_grant(client.id(), &subject);
        // RFC 8693 section 1: a subject token whose grant is unknown (a
        // foreign ID token, a JWT without `scope`) is exchanged only for what
        // a policy grants explicitly, never for all the client may have.
        if subject.scope.is_none() && explicit == ExplicitGrant::default() {
            return Err(OAuthError::invalid_scope(
                "the subject token carries no grant, and no policy grants one",
            ));
        }
        let scope = narrow_scope(params, &allowed_scope(client, &subject, &explicit))?;
        let targets = narrow_targets(
            params,
            client,
            &subject,
            &explicit,
            self.serves(client, &subject),
        )?;
        self.registry
            .check(authority, client.id(), &scope, &targets)?;
        let context = ExchangeContext {
            client_id: client.id(),
            subject: &subject,
            actor: actor.as_ref(),
            requested_token_type: requested,
            targets: &targets,
            scope: &scope,
        };
        self.policy.decide(&context)?;
        let with_refresh = self.policy.refresh_token(&context)
            && client.record.allows_grant(grant_types::REFRESH_TOKEN);

        let mut access_claims = Map::new();
        let prior = subject.claims.extra.get("act");
        match &actor {
            // RFC 8693 section 4.1: the current actor outermost, prior actors nested.
            Some(actor) => {
                access_claims.insert("act".into(), act_claim(authority, actor, prior));
            }
            // No new actor: the chain of the subject token stays as it was.
            None => {
                if let Some(prior) = prior {
                    access_claims.insert("act".into(), prior.clone());
                }
            }
        }
        let facts = GrantFacts {
            client_id: client.id().to_owned(),
            user_id: Some(subject.subject.clone()),
            scope,
            resource: targets,
            auth_time: subject
                .claims
                .extra
                .get("auth_time")
                .and_then(Value::as_i64),
            acr: subject.claims.str("acr").map(str::to_owned),
            amr: string_list(subject.claims.extra.get("amr")),
            sid: None,
        };
        // A refresh token starts a grant family bound to this exchange,
        // recorded before any token of it exists.
        let family = if with_refresh {
            let family = random_handle()?;
            let parent_family = if subject.token_type == token_types::REFRESH_TOKEN {
                authority
                    .tables()
                    .get::<RefreshRecord>(Table::RefreshTokens, &handle_key(subject_token))?
                    .map(|r| r.family)
            } else {
                None
            };
            exchange_binding::bind(
                authority,
                &family,
                &ExchangeBinding {
                    access_claims: access_claims.clone(),
                    parent_family,
                    created: authority.now(),
                },
            )?;
            Some(family)
        } else {
            None
        };
        let mut response = authority.issue(
            &facts,
            IssueOptions {
                access_claims,
                refresh_token: with_refresh,
                family,
                ..IssueOptions::default()
            },
        )?;
        response.issued_token_type = Some(token_types::ACCESS_TOKEN.to_owned());
        authority.audit(AuditAction::TokenExchanged, Outcome::Success, |e| {
            let e = e
                .agent(client.id().to_owned())
                .user(subject.subject.clone())
                .detail("subject_token_type", subject.token_type.clone())
                .detail("requested_token_type", requested.to_owned())
                .detail("aud", facts.resource.clone())
                .detail("scope", facts.scope.join(" "))
                .detail("refresh_token", response.refresh_token.is_some());
            match &actor {
                Some(a) => e.detail("actor", a.subject.clone()),
                None => e,
            }
        });
        Ok(response)
    }

    /// Validates a subject or actor token with the profile of its declared
    /// type. RFC 8693 section 2.2.2: an invalid token is `invalid_request`.
    async fn present(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        token: &str,
        token_type: &str,
        role: &'static str,
    ) -> Result<PresentedToken, OAuthError> {
        let refused =
            |e: ValidationError| OAuthError::invalid_request(format!("{role} refused: {e}"));
        if token_type == token_types::REFRESH_TOKEN {
            return own_refresh_token(authority, client, token, role);
        }
        let issuer = unverified_claims(token)
            .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_owned))
            .ok_or_else(|| OAuthError::invalid_request(format!("{role} is not a JWT")))?;
        let keys: Arc<dyn KeySource> = if issuer == authority.issuer() {
            Arc::clone(authority.keys()) as Arc<dyn KeySource>
        } else {
            let trusted = self
                .trusted
                .iter()
                .find(|t| t.issuer == issuer)
                .ok_or_else(|| {
                    OAuthError::invalid_request(format!("{role} is from an untrusted issuer"))
                })?;
            Arc::clone(&trusted.keys)
        };
        let clock = Arc::clone(authority.clock());
        let claims = match token_type {
            token_types::ACCESS_TOKEN if issuer == authority.issuer() => authority
                .verify_access_token(token)
                .map_err(refused)?
                .into_claims(),
            token_types::ACCESS_TOKEN => {
                validate::<AccessToken>(keys, &issuer, authority.issuer(), clock, token)
                    .await
                    .map_err(refused)?
            }
            // An ID token is presented by the client it was issued to.
            token_types::ID_TOKEN => validate::<IdToken>(keys, &issuer, client.id(), clock, token)
                .await
                .map_err(refused)?,
            token_types::JWT => Validator::<Generic>::builder_shared(keys)
                .issuer(issuer.clone())
                .audience(authority.issuer().to_owned())
                .clock(clock)
                .require_claim("sub")
                .require_claim("exp")
                .build()
                .validate(token)
                .await
                .map_err(refused)?
                .into_claims(),
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "unsupported {role}_type"
                )));
            }
        };
        let subject = claims
            .sub
            .clone()
            .ok_or_else(|| OAuthError::invalid_request(format!("{role} has no `sub`")))?;
        let mut scope = claims
            .str("scope")
            .map(|_| claims.scopes().map(str::to_owned).collect());
        let mut resources = if token_type == token_types::ACCESS_TOKEN {
            claims
                .aud
                .iter()
                .filter(|a| a.as_str() != authority.issuer())
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        // An ID token carries no scope: one of this authority stands for the
        // grant it was issued under, and for nothing when that is unknown.
        if token_type == token_types::ID_TOKEN && issuer == authority.issuer() {
            let grant = claims
                .jti
                .as_deref()
                .and_then(|jti| authority.id_token_grant(jti, client.id()));
            scope = grant.as_ref().map(|g| g.scope.clone());
            resources = grant.map(|g| g.resource).unwrap_or_default();
        }
        Ok(PresentedToken {
            token_type: token_type.to_owned(),
            issuer,
            subject,
            scope,
            resources,
            claims,
        })
    }
}

async fn validate<K: TokenKind>(
    keys: Arc<dyn KeySource>,
    issuer: &str,
    audience: &str,
    clock: agent_auth::clock::SharedClock,
    token: &str,
) -> Result<Claims, ValidationError> {
    Ok(Validator::<K>::builder_shared(keys)
        .issuer(issuer.to_owned())
        .audience(audience.to_owned())
        .clock(clock)
        .build()
        .validate(token)
        .await?
        .into_claims())
}

/// A refresh token of this authority, held by the client it was issued to,
/// live and not yet rotated. It is not consumed by the exchange.
fn own_refresh_token(
    authority: &Authority,
    client: &AuthenticatedClient,
    token: &str,
    role: &'static str,
) -> Result<PresentedToken, OAuthError> {
    let unknown = || OAuthError::invalid_request(format!("{role} refused: unknown refresh token"));
    let record = authority
        .tables()
        .get::<RefreshRecord>(Table::RefreshTokens, &handle_key(token))?
        .ok_or_else(unknown)?;
    let family = authority
        .tables()
        .get::<FamilyRecord>(Table::Families, &record.family)?
        .ok_or_else(unknown)?;
    if family.facts.client_id != client.id() {
        return Err(OAuthError::invalid_request(format!(
            "{role} refused: issued to another client"
        )));
    }
    if family.revoked || record.rotated || record.expires <= authority.now() {
        return Err(OAuthError::invalid_request(format!(
            "{role} refused: revoked, used or expired"
        )));
    }
    let facts = family.facts;
    let subject = facts
        .user_id
        .clone()
        .ok_or_else(|| OAuthError::invalid_request(format!("{role} has no user")))?;
    let mut claims = Claims::new();
    claims.iss = Some(authority.issuer().to_owned());
    claims.sub = Some(subject.clone());
    claims
        .extra
        .insert("scope".into(), facts.scope.join(" ").into());
    if let Some(t) = facts.auth_time {
        claims.extra.insert("auth_time".into(), t.into());
    }
    if let Some(acr) = &facts.acr {
        claims.extra.insert("acr".into(), acr.clone().into());
    }
    if !facts.amr.is_empty() {
        claims.extra.insert("amr".into(), facts.amr.clone().into());
    }
    Ok(PresentedToken {
        token_type: token_types::REFRESH_TOKEN.to_owned(),
        issuer: authority.issuer().to_owned(),
        subject,
        scope: Some(facts.scope),
        resources: facts.resource,
        claims,
    })
}

/// RFC 8693 section 4.4: when the subject token names who may act for it
/// (`may_act`), the party becoming the actor (the actor token's subject, else
/// the client itself) must be that party.
fn check_may_act(
    authority: &Authority,
    client: &AuthenticatedClient,
    subject: &PresentedToken,
    actor: Option<&PresentedToken>,
) -> Result<(), OAuthError> {
    let Some(may_act) = subject.claims.extra.get("may_act") else {
        return Ok(());
    };
    let Value::Object(may_act) = may_act else {
        return Err(OAuthError::invalid_request("malformed `may_act` claim"));
    };
    let (who, issuer) = match actor {
        Some(a) => (a.subject.as_str(), a.issuer.as_str()),
        None => (client.id(), authority.issuer()),
    };
    let sub_ok = may_act.get("sub").and_then(Value::as_str) == Some(who);
    let iss_ok = match may_act.get("iss") {
        None => true,
        Some(iss) => iss.as_str() == Some(issuer),
    };
    if sub_ok && iss_ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "the actor is not allowed by the subject token's `may_act`",
        ))
    }
}

/// The scope the new token may carry: what the subject token grants and what
/// the policy grants explicitly, within the client's registered scopes. A
/// subject token that carries no scope grants none (RFC 8693 section 1: an
/// exchange never widens what was delegated).
fn allowed_scope(
    client: &AuthenticatedClient,
    subject: &PresentedToken,
    explicit: &ExplicitGrant,
) -> Vec<String> {
    let granted = subject.scope.as_deref().unwrap_or_default();
    client
        .record
        .scopes
        .iter()
        .filter(|s| !matches!(s.as_str(), "openid" | "offline_access"))
        .filter(|s| granted.contains(s) || explicit.scope.contains(s))
        .cloned()
        .collect()
}

/// The audiences of the new token: `audience` and `resource` values (RFC 8693
/// section 2.1), each allowed for the client and among the subject token's
/// resources or the policy's explicit targets, unless the client is the
/// server of one of the subject token's resources (`serves`). A subject token
/// for this authority alone reaches no other target by itself. Without
/// `audience` or `resource`, the subject token's resources the client may
/// reach.
fn narrow_targets(
    params: &Params,
    client: &AuthenticatedClient,
    subject: &PresentedToken,
    explicit: &ExplicitGrant,
    serves: bool,
) -> Result<Vec<String>, OAuthError> {
    let mut asked = params.list("audience");
    for r in params.list("resource") {
        let ok = url::Url::parse(&r).is_ok_and(|u| u.fragment().is_none());
        if !ok {
            return Err(OAuthError::invalid_target(
                "resource must be an absolute URI without fragment",
            ));
        }
        if !asked.contains(&r) {
            asked.push(r);
        }
    }
    if asked.is_empty() {
        return Ok(subject
            .resources
            .iter()
            .filter(|r| client.record.resources.contains(r))
            .cloned()
            .collect());
    }
    for target in &asked {
        if !client.record.resources.contains(target) {
            return Err(OAuthError::invalid_target(
                "the client may not obtain tokens for this target",
            ));
        }
        if !serves && !subject.resources.contains(target) && !explicit.targets.contains(target) {
            return Err(OAuthError::invalid_target(
                "the target is not among the subject token's audiences",
            ));
        }
    }
    Ok(asked)
}

fn act_claim(authority: &Authority, actor: &PresentedToken, prior: Option<&Value>) -> Value {
    let mut act = Map::new();
    act.insert("sub".into(), actor.subject.clone().into());
    if actor.issuer != authority.issuer() {
        act.insert("iss".into(), actor.issuer.clone().into());
    }
    if let Some(prior) = prior {
        act.insert("act".into(), prior.clone());
    }
    Value::Object(act)
}

pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[async_trait::async_trait]
impl GrantHandler for TokenExchangeGrant {
    fn grant_type(&self) -> &str {
        GRANT_TOKEN_EXCHANGE
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let mut user = None;
        let result = self.run(authority, client, params, &mut user).await;
        if let Err(err) = &result {
            let asked = params
                .get("requested_token_type")
                .unwrap_or(token_types::ACCESS_TOKEN)
                .to_owned();
            super::audit_refused_exchange(
                authority,
                client,
                err,
                user,
                ("requested_token_type", asked),
            );
        }
        result
    }

    fn audits_refusals(&self) -> bool {
        true
    }

    fn metadata(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if !self.connections.is_empty() {
            m.insert(
                "identity_chaining_requested_token_types_supported".into(),
                Value::from(vec![token_types::ID_JAG]),
            );
        }
        m
    }
}
