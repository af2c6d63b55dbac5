//! Token introspection (RFC 7662).

use super::client_auth::TokenRequest;
use super::crypto::handle_key;
use super::model::{FamilyRecord, RefreshRecord};
use super::store::Table;
use super::{Authority, OAuthError};
use agent_auth::audit::{AuditAction, Outcome};
use serde_json::{Value, json};

impl Authority {
    /// The introspection endpoint. The caller must authenticate as a client
    /// (RFC 7662 section 2.1). Access tokens are described to any authenticated
    /// client (resource servers are clients here); refresh tokens only to the
    /// client they were issued to. Anything else is `{"active": false}` (section 2.2).
    pub fn introspect(&self, request: &TokenRequest) -> Result<Value, OAuthError> {
        let client = self.authenticate_client(request)?;
        let token = request.params.require("token")?;
        let now = self.now();
        let answer = if let Ok(claims) = self.verify_access_token(token) {
            let mut body = serde_json::Map::new();
            body.insert("active".into(), true.into());
            // RFC 9449 section 6.2: a bound token is a `DPoP` token, its
            // `cnf` returned so the resource can check the proof key.
            let bound = claims.get("cnf").is_some();
            body.insert(
                "token_type".into(),
                if bound { "DPoP" } else { "Bearer" }.into(),
            );
            for name in [
                "cnf",
                "scope",
                "client_id",
                "sub",
                "aud",
                "iss",
                "exp",
                "iat",
                "jti",
                "acr",
                "auth_time",
                "act",
                "sid",
            ] {
                if let Some(v) = claims.get(name) {
                    body.insert(name.into(), v);
                }
            }
            Value::Object(body)
        } else if let Some(desc) = self.describe_refresh(token, client.id(), now)? {
            desc
        } else {
            json!({"active": false})
        };
        self.audit(AuditAction::TokenValidated, Outcome::Success, |e| {
            e.agent(client.id().to_owned())
                .detail(
                    "active",
                    answer.get("active").cloned().unwrap_or(Value::Bool(false)),
                )
                .detail("endpoint", "introspection")
        });
        Ok(answer)
    }

    fn describe_refresh(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Value>, OAuthError> {
        let Some(record) = self
            .tables()
            .get::<RefreshRecord>(Table::RefreshTokens, &handle_key(token))?
        else {
            return Ok(None);
        };
        let Some(family) = self
            .tables()
            .get::<FamilyRecord>(Table::Families, &record.family)?
        else {
            return Ok(None);
        };
        if family.revoked
            || record.rotated
            || record.expires <= now
            || family.facts.client_id != client_id
            || family
                .facts
                .user_id
                .as_deref()
                .is_some_and(|u| self.user_disabled(u))
        {
            return Ok(None);
        }
        let f = &family.facts;
        // No `token_type`: RFC 7662 section 2.2 defines it as an access token
        // type (RFC 6749 section 5.1); `refresh_token` is only a type hint.
        let mut body = json!({
            "active": true,
            "client_id": f.client_id,
            "scope": f.scope.join(" "),
            "exp": record.expires,
            "iss": self.issuer(),
        });
        if let (Some(user), Some(obj)) = (&f.user_id, body.as_object_mut()) {
            obj.insert("sub".into(), user.clone().into());
        }
        Ok(Some(body))
    }
}
