//! Authorization server metadata (RFC 8414 section 2) and OpenID Provider
//! metadata (OpenID Connect Discovery 1.0 section 3), one document for both.

use super::model::{ACR_MFA, ACR_PASSWORD};
use super::{Authority, paths};
use serde_json::{Value, json};

impl Authority {
    /// The metadata document. `issuer` is exactly the issuer identifier
    /// (RFC 8414 section 3.3 has clients compare it byte for byte).
    pub fn metadata(&self) -> Value {
        let mut doc = self.core_metadata();
        if let Value::Object(map) = &mut doc {
            let extra = self
                .inner
                .metadata_extra
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (k, v) in extra.iter() {
                map.insert(k.clone(), v.clone());
            }
        }
        doc
    }

    /// Adds (or replaces) members of the metadata document, for extensions
    /// that serve endpoints of their own (CIBA's
    /// `backchannel_authentication_endpoint`, ...).
    pub fn extend_metadata(&self, members: serde_json::Map<String, Value>) {
        let mut extra = self
            .inner
            .metadata_extra
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        extra.extend(members);
    }

    fn core_metadata(&self) -> Value {
        let alg = self.keys().active().algorithm().name();
        let mut doc = json!({
            "issuer": self.issuer(),
            "authorization_endpoint": self.endpoint(paths::AUTHORIZE),
            "token_endpoint": self.endpoint(paths::TOKEN),
            "pushed_authorization_request_endpoint": self.endpoint(paths::PAR),
            "require_pushed_authorization_requests": false,
            "userinfo_endpoint": self.endpoint(paths::USERINFO),
            "jwks_uri": self.endpoint(paths::JWKS),
            "revocation_endpoint": self.endpoint(paths::REVOKE),
            "introspection_endpoint": self.endpoint(paths::INTROSPECT),
            "end_session_endpoint": self.endpoint(paths::LOGOUT),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": self.grant_types(),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [alg],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "at_hash", "c_hash", "name", "preferred_username", "email", "email_verified"],
            "acr_values_supported": [ACR_PASSWORD, ACR_MFA],
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "authorization_response_iss_parameter_supported": true,
            "resource_indicators_supported": true,
        });
        if let Value::Object(members) = &mut doc {
            if self.registration_enabled() {
                // RFC 8414 section 2 / RFC 7591 section 3.
                members.insert(
                    "registration_endpoint".into(),
                    self.endpoint(paths::REGISTER).into(),
                );
            }
            for (name, value) in self.grant_metadata() {
                members.entry(name).or_insert(value);
            }
        }
        doc
    }
}
