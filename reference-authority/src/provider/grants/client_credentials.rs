//! `client_credentials` (RFC 6749 section 4.4): a client acting as itself.

use super::{GrantHandler, narrow_resource, narrow_scope};
use crate::provider::client_auth::AuthenticatedClient;
use crate::provider::issue::{IssueOptions, TokenResponse};
use crate::provider::model::GrantFacts;
use crate::provider::params::Params;
use crate::provider::{Authority, OAuthError, grant_types};

/// Issues access tokens to confidential clients for themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientCredentialsGrant;

#[async_trait::async_trait]
impl GrantHandler for ClientCredentialsGrant {
    fn grant_type(&self) -> &str {
        grant_types::CLIENT_CREDENTIALS
    }

    async fn exchange(
        &self,
        authority: &Authority,
        client: &AuthenticatedClient,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        // RFC 6749 section 4.4: confidential clients only.
        if client.record.is_public() {
            return Err(OAuthError::unauthorized_client(
                "public clients cannot use client_credentials",
            ));
        }
        let allowed: Vec<String> = client
            .record
            .scopes
            .iter()
            .filter(|s| !matches!(s.as_str(), "openid" | "offline_access"))
            .cloned()
            .collect();
        let scope = narrow_scope(params, &allowed)?;
        let resource = narrow_resource(params, client, &[])?;
        let facts = GrantFacts {
            client_id: client.id().to_owned(),
            scope,
            resource,
            ..GrantFacts::default()
        };
        authority.issue(&facts, IssueOptions::default())
    }
}
