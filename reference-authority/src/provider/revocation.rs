//! Token revocation (RFC 7009).

use super::client_auth::TokenRequest;
use super::crypto::handle_key;
use super::model::{FamilyRecord, RefreshRecord};
use super::store::Table;
use super::{Authority, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};

impl Authority {
    /// The revocation endpoint. The client must authenticate (RFC 7009 section
    /// 2.1). A refresh token revokes its whole grant, access tokens included; an
    /// access token is revoked until it expires. Unknown tokens, and tokens of
    /// other clients, are answered as success without any change (section 2.2).
    pub fn revoke(&self, request: &TokenRequest) -> Result<(), OAuthError> {
        let client = self.authenticate_client(request)?;
        let token = request.params.require("token")?;
        let hint = request.params.get("token_type_hint");
        let as_refresh = || -> Result<bool, OAuthError> {
            let Some(record) = self
                .tables()
                .get::<RefreshRecord>(Table::RefreshTokens, &handle_key(token))?
            else {
                return Ok(false);
            };
            let Some(family) = self
                .tables()
                .get::<FamilyRecord>(Table::Families, &record.family)?
            else {
                return Ok(false);
            };
            if family.facts.client_id != client.id() {
                return Ok(true);
            }
            self.revoke_family(&record.family, "revocation")?;
            Ok(true)
        };
        let as_access = || -> Result<bool, OAuthError> {
            let Ok(claims) = self.verify_access_token(token) else {
                return Ok(false);
            };
            if claims.str("client_id") != Some(client.id()) {
                return Ok(true);
            }
            if let (Some(jti), Some(exp)) = (&claims.jti, claims.exp) {
                self.revoke_access_token(jti, exp)?;
                self.audit(AuditAction::TokenRevoked, Outcome::Success, |e| {
                    e.agent(client.id().to_owned())
                        .detail("jti", jti.clone())
                        .detail("token_type", "access_token")
                });
            }
            Ok(true)
        };
        // The hint only orders the lookups (section 2.1).
        if hint == Some("access_token") {
            if !as_access()? {
                as_refresh()?;
            }
        } else if !as_refresh()? {
            as_access()?;
        }
        Ok(())
    }
}
