//! `authorization_code` (RFC 6749 section 4.1.3, RFC 7636 section 4.6).

use super::{GrantHandler, narrow_resource};
use crate::provider::client_auth::AuthenticatedClient;
use crate::provider::crypto::{handle_key, pkce_s256, valid_pkce_verifier};
use crate::provider::issue::{IssueOptions, TokenResponse};
use crate::provider::model::CodeRecord;
use crate::provider::params::Params;
use crate::provider::store::Table;
use crate::provider::{Authority, OAuthError, grant_types};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::secret::{SecretString, constant_time_eq};

/// Redeems authorization codes.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizationCodeGrant;

#[async_trait::async_trait]
impl GrantHandler for AuthorizationCodeGrant {
    fn grant_type(&self) -> &str {
        grant_types::AUTHORIZATION_CODE
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let code = params.require("code")?;
        let key = handle_key(code);
        let record = authority
            .tables()
            .get::<CodeRecord>(Table::Codes, &key)?
            .ok_or_else(|| OAuthError::invalid_grant("unknown authorization code"))?;
        if record.facts.client_id != client.id() {
            return Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            ));
        }
        if record.used {
            // RFC 6749 section 4.1.2: a code used twice revokes what it granted.
            authority.revoke_family(&record.family, "code_reuse")?;
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        if record.expires <= authority.now() {
            return Err(OAuthError::invalid_grant("the code expired"));
        }
        match (params.get("redirect_uri"), record.redirect_uri_sent) {
            (Some(uri), _) if uri != record.redirect_uri => {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri differs from the authorization request",
                ));
            }
            (None, true) => {
                return Err(OAuthError::invalid_request(
                    "missing parameter `redirect_uri`",
                ));
            }
            _ => {}
        }
        match (&record.code_challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                if !valid_pkce_verifier(verifier)
                    || !constant_time_eq(pkce_s256(verifier).as_bytes(), challenge.as_bytes())
                {
                    return Err(OAuthError::invalid_grant("PKCE verification failed"));
                }
            }
            (Some(_), None) => {
                return Err(OAuthError::invalid_grant("missing code_verifier"));
            }
            // RFC 9700 section 4.8.2: a verifier without a challenge is a downgrade attempt.
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "no code_challenge was sent for this code",
                ));
            }
            (None, None) => {}
        }
        // RFC 9449 section 10: a code bound with `dpop_jkt` is redeemed only
        // with a proof of that key (checked before the code is spent, so a
        // refused attempt leaves it to its holder).
        if let Some(jkt) = &record.dpop_jkt {
            let proved = crate::provider::dpop::binding::current();
            if !proved.is_some_and(|p| constant_time_eq(p.as_bytes(), jkt.as_bytes())) {
                authority.audit(AuditAction::TokenIssued, Outcome::Denied, |e| {
                    e.agent(client.id().to_owned())
                        .reason("dpop_jkt_mismatch".to_owned())
                });
                return Err(OAuthError::invalid_grant(
                    "the code is bound to another DPoP key (dpop_jkt)",
                ));
            }
        }
        let mut facts = record.facts.clone();
        facts.resource = narrow_resource(params, client, &record.facts.resource)?;
        // Single use: only one concurrent redemption wins.
        let won =
            authority
                .tables()
                .update::<CodeRecord, bool>(Table::Codes, &key, |r| match r {
                    Some(mut r) if !r.used => {
                        r.used = true;
                        (Some(r), true)
                    }
                    _ => (None, false),
                })?;
        if !won {
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        authority.issue(
            &facts,
            IssueOptions {
                id_token: true,
                nonce: record.nonce.clone(),
                code: Some(SecretString::new(code)),
                refresh_token: client.record.allows_grant(grant_types::REFRESH_TOKEN),
                family: Some(record.family.clone()),
                ..IssueOptions::default()
            },
        )
    }
}
