//! The resource authorization server side of the Identity Assertion JWT
//! Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant,
//! section 4.4): the RFC 7523 `jwt-bearer` grant taking an ID-JAG from a
//! trusted IdP and answering with an access token (and no refresh token).

use super::token_exchange::{TrustedIssuer, string_list};
use super::{GrantHandler, narrow_scope};
use crate::provider::client_auth::{AuthenticatedClient, unverified_claims};
use crate::provider::issue::{IssueOptions, TokenResponse};
use crate::provider::model::GrantFacts;
use crate::provider::params::Params;
use crate::provider::replay;
use crate::provider::{Authority, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::exchange::{GRANT_JWT_BEARER, ID_JAG_GRANT_PROFILE};
use agent_auth::validate::{IdJag, Validator};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Accepts ID-JAGs from trusted IdPs at the token endpoint.
#[derive(Debug, Clone)]
pub struct JwtBearerGrant {
    idps: Vec<TrustedIssuer>,
    max_lifetime: i64,
    leeway: i64,
}

impl Default for JwtBearerGrant {
    fn default() -> Self {
        Self::new()
    }
}

impl JwtBearerGrant {
    /// A grant trusting no IdP yet; ID-JAGs may live at most 600 seconds and
    /// clocks may differ by 30 seconds.
    pub fn new() -> Self {
        Self {
            idps: Vec::new(),
            max_lifetime: 600,
            leeway: 30,
        }
    }

    /// Trusts ID-JAGs of an IdP (its keys: static, or a
    /// [`RemoteJwks`](agent_auth::jwks::RemoteJwks) of its `jwks_uri`).
    #[must_use]
    pub fn trust(mut self, idp: TrustedIssuer) -> Self {
        self.idps.push(idp);
        self
    }

    /// Longest `exp - iat` accepted (RFC 7523 section 3, item 4).
    #[must_use]
    pub fn max_lifetime(mut self, seconds: i64) -> Self {
        self.max_lifetime = seconds.max(1);
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    #[must_use]
    pub fn leeway(mut self, seconds: i64) -> Self {
        self.leeway = seconds.max(0);
        self
    }

    async fn run(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
        user: &mut Option<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let assertion = params.require("assertion")?;
        let issuer = unverified_claims(assertion)
            .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_owned))
            .ok_or_else(|| OAuthError::invalid_grant("the assertion is not a JWT with `iss`"))?;
        // An authority never honours an ID-JAG it issued itself: the grant
        // crosses trust domains, and its own are not another domain.
        if issuer == authority.issuer() {
            return Err(OAuthError::invalid_grant(
                "an ID-JAG from this authority itself is not accepted",
            ));
        }
        let idp = self
            .idps
            .iter()
            .find(|i| i.issuer == issuer)
            .ok_or_else(|| OAuthError::invalid_grant("the assertion issuer is not trusted"))?;
        // Section 4.4.1 and RFC 7523 section 3: signature by the IdP's key,
        // `typ` oauth-id-jag+jwt, `iss` the IdP, `aud` a single value equal to
        // this authority's issuer, `exp` in the future, `iat` not in the
        // future, and `sub`, `client_id`, `jti` present.
        let claims = Validator::<IdJag>::builder_shared(Arc::clone(&idp.keys))
            .issuer(idp.issuer.clone())
            .audience(authority.issuer().to_owned())
            .clock(Arc::clone(authority.clock()))
            .leeway(self.leeway)
            .build()
            .validate(assertion)
            .await
            .map_err(|e| OAuthError::invalid_grant(format!("ID-JAG refused: {e}")))?
            .into_claims();
        let now = authority.now();
        let exp = claims.exp.unwrap_or(now);
        let iat = claims.iat.unwrap_or(now);
        // RFC 7523 section 3, item 4: the authority may refuse JWTs with an
        // unreasonably far expiry.
        if exp - iat > self.max_lifetime || exp - now > self.max_lifetime {
            return Err(OAuthError::invalid_grant("the ID-JAG lives too long"));
        }
        let subject = claims.sub.clone().unwrap_or_default();
        *user = Some(subject.clone());
        // Section 4.4.1: `client_id` is the authenticated client.
        if claims.str("client_id") != Some(client.id()) {
            return Err(OAuthError::invalid_grant(
                "the ID-JAG was issued for another client",
            ));
        }
        // Section 4.4.1: the scope of the token is within what the ID-JAG
        // grants and what the client may have.
        let granted: Vec<String> = claims.scopes().map(str::to_owned).collect();
        let allowed: Vec<String> = client
            .record
            .scopes
            .iter()
            .filter(|s| granted.contains(s))
            .cloned()
            .collect();
        let scope = narrow_scope(params, &allowed)?;
        let jag_resources = string_list(claims.extra.get("resource"));
        let resource = match params.list("resource") {
            asked if asked.is_empty() => jag_resources,
            asked => {
                if asked.iter().any(|r| !jag_resources.contains(r)) {
                    return Err(OAuthError::invalid_target(
                        "resource is not part of the ID-JAG",
                    ));
                }
                asked
            }
        };
        if resource
            .iter()
            .any(|r| !client.record.resources.contains(r))
        {
            return Err(OAuthError::invalid_target(
                "resource is not allowed for this client",
            ));
        }
        // RFC 7523 section 3, item 7 and section 4.4.1: a `jti` is used once
        // for as long as the validator accepts the ID-JAG. Recorded last, so that a refused request
        // consumes nothing.
        let jti = claims.jti.clone().unwrap_or_default();
        if !replay::spend_jti(
            authority,
            replay::ID_JAG_JTI,
            &idp.issuer,
            &jti,
            exp,
            self.leeway,
        )? {
            return Err(OAuthError::invalid_grant("the ID-JAG was already used"));
        }
        let facts = GrantFacts {
            client_id: client.id().to_owned(),
            user_id: Some(subject.clone()),
            scope,
            resource,
            auth_time: claims.extra.get("auth_time").and_then(Value::as_i64),
            acr: claims.str("acr").map(str::to_owned),
            amr: string_list(claims.extra.get("amr")),
            sid: None,
        };
        // Section 4.4.1: no refresh token; the client asks the IdP again.
        let response = authority.issue(&facts, IssueOptions::default())?;
        authority.audit(AuditAction::TokenExchanged, Outcome::Success, |e| {
            e.agent(client.id().to_owned())
                .user(subject.clone())
                .detail("grant_type", GRANT_JWT_BEARER)
                .detail("idp", idp.issuer.clone())
                .detail("jti", jti.clone())
                .detail("scope", facts.scope.join(" "))
        });
        Ok(response)
    }
}

#[async_trait::async_trait]
impl GrantHandler for JwtBearerGrant {
    fn grant_type(&self) -> &str {
        GRANT_JWT_BEARER
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
            super::audit_refused_exchange(
                authority,
                client,
                err,
                user,
                ("grant_type", GRANT_JWT_BEARER.to_owned()),
            );
        }
        result
    }

    fn audits_refusals(&self) -> bool {
        true
    }

    fn metadata(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "authorization_grant_profiles_supported".into(),
            Value::from(vec![ID_JAG_GRANT_PROFILE]),
        );
        m
    }
}
