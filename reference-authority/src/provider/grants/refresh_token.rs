//! `refresh_token` (RFC 6749 section 6) with rotation and reuse detection
//! (RFC 9700 section 4.14.2): a rotated token presented again revokes the family.
//! A family created by a token exchange keeps its `act` chain and never
//! widens its audience (see `exchange_binding`).

use super::exchange_binding;
use super::{GrantHandler, narrow_resource, narrow_scope};
use crate::provider::client_auth::AuthenticatedClient;
use crate::provider::crypto::handle_key;
use crate::provider::issue::{IssueOptions, TokenResponse};
use crate::provider::model::{FamilyRecord, RefreshRecord};
use crate::provider::params::Params;
use crate::provider::store::Table;
use crate::provider::{Authority, OAuthError, grant_types};

/// Exchanges refresh tokens, rotating them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefreshTokenGrant;

#[async_trait::async_trait]
impl GrantHandler for RefreshTokenGrant {
    fn grant_type(&self) -> &str {
        grant_types::REFRESH_TOKEN
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let token = params.require("refresh_token")?;
        let key = handle_key(token);
        let record = authority
            .tables()
            .get::<RefreshRecord>(Table::RefreshTokens, &key)?
            .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
        let family = authority
            .tables()
            .get::<FamilyRecord>(Table::Families, &record.family)?
            .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
        if family.facts.client_id != client.id() {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if family.revoked {
            return Err(OAuthError::invalid_grant("the refresh token was revoked"));
        }
        if record.rotated {
            authority.revoke_family(&record.family, "refresh_token_reuse")?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used",
            ));
        }
        if record.expires <= authority.now() {
            return Err(OAuthError::invalid_grant("the refresh token expired"));
        }
        crate::provider::dpop::check_refresh_binding(client, &family)?;
        if let Some(user) = family.facts.user_id.as_deref()
            && authority.user_disabled(user)
        {
            return Err(OAuthError::invalid_grant("the user is disabled"));
        }
        let binding = exchange_binding::binding_of(authority, &record.family)?;
        if let Some(binding) = &binding
            && !exchange_binding::parent_alive(authority, binding)?
        {
            authority.revoke_family(&record.family, "subject_grant_revoked")?;
            return Err(OAuthError::invalid_grant(
                "the grant this token was exchanged from was revoked",
            ));
        }
        let mut facts = family.facts.clone();
        facts.scope = narrow_scope(params, &family.facts.scope)?;
        // RFC 8693 section 2.1: an exchanged token for this authority alone
        // (no resource) must not become one for a resource on refresh.
        if binding.is_some() && family.facts.resource.is_empty() && params.get("resource").is_some()
        {
            return Err(OAuthError::invalid_target(
                "resource was not part of the exchanged grant",
            ));
        }
        facts.resource = narrow_resource(params, client, &family.facts.resource)?;
        let won =
            authority
                .tables()
                .update::<RefreshRecord, bool>(Table::RefreshTokens, &key, |r| match r {
                    Some(mut r) if !r.rotated => {
                        r.rotated = true;
                        (Some(r), true)
                    }
                    _ => (None, false),
                })?;
        if !won {
            authority.revoke_family(&record.family, "refresh_token_reuse")?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used",
            ));
        }
        // The family keeps the originally granted scope; this response may be narrower.
        let mut response = authority.issue(
            &facts,
            IssueOptions {
                id_token: true,
                refresh_token: true,
                family: Some(record.family.clone()),
                access_claims: binding.map(|b| b.access_claims).unwrap_or_default(),
                ..IssueOptions::default()
            },
        )?;
        let _ =
            authority
                .tables()
                .update::<FamilyRecord, ()>(Table::Families, &record.family, |f| {
                    (
                        f.map(|mut f| {
                            f.facts.scope.clone_from(&family.facts.scope);
                            f
                        }),
                        (),
                    )
                });
        authority.audit(
            agent_auth::audit::AuditAction::TokenRefreshed,
            agent_auth::audit::Outcome::Success,
            |e| {
                let e = e.agent(client.id().to_owned());
                match &facts.user_id {
                    Some(u) => e.user(u.clone()),
                    None => e,
                }
            },
        );
        response.scope = Some(facts.scope.join(" "));
        Ok(response)
    }
}
