//! Client authentication at the token, revocation and introspection endpoints:
//! `client_secret_basic`, `client_secret_post` (RFC 6749 section 2.3.1),
//! `private_key_jwt` (RFC 7523 sections 2.2 and 3) and public clients.

use super::clients::secret_digest;
use super::model::{ClientAuthMethod, ClientRecord};
use super::params::Params;
use super::replay;
use super::store::Table;
use super::{Authority, OAuthError, paths};
use agent_auth::audit::{AuditAction, Outcome};
use agent_auth::jose::base64url;
use agent_auth::secret::{SecretString, constant_time_eq};
use agent_auth::validate::{Generic, StaticKeys, Validator};
use std::sync::{Arc, PoisonError};

/// Clock skew tolerated on a client assertion's `exp`, `nbf` and `iat`.
const ASSERTION_LEEWAY: i64 = agent_auth::validate::DEFAULT_LEEWAY;

/// RFC 7523 section 2.2 `client_assertion_type`.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A request to an endpoint that authenticates clients: the form parameters and
/// the `Authorization` header.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// Form parameters.
    pub params: Params,
    /// The `Authorization` header value, if any.
    pub authorization: Option<SecretString>,
    /// The `DPoP` header value, if any (RFC 9449 section 4.1).
    pub dpop_proof: Option<agent_auth::secret::Token>,
}

impl TokenRequest {
    /// A request with these parameters and no `Authorization` header.
    pub fn new(params: Params) -> Self {
        Self {
            params,
            authorization: None,
            dpop_proof: None,
        }
    }

    /// The same request with a DPoP proof (RFC 9449 section 4.1).
    #[must_use]
    pub fn with_dpop_proof(mut self, proof: impl Into<String>) -> Self {
        self.dpop_proof = Some(agent_auth::secret::Token::new(proof.into()));
        self
    }

    /// Adds HTTP Basic client credentials (RFC 6749 section 2.3.1: both parts
    /// form-urlencoded first).
    #[must_use]
    pub fn basic(mut self, client_id: &str, secret: &str) -> Self {
        self.authorization = Some(agent_auth::basic_auth::client_secret_basic(
            client_id, secret,
        ));
        self
    }
}

/// A client that proved who it is (or a public client that named itself).
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    /// The registration.
    pub record: ClientRecord,
    /// How it authenticated.
    pub method: ClientAuthMethod,
}

impl AuthenticatedClient {
    /// The client id.
    pub fn id(&self) -> &str {
        &self.record.client_id
    }
}

enum Presented<'a> {
    Basic(String, SecretString),
    Post(&'a str, &'a str),
    Assertion(&'a str),
    None(&'a str),
}

impl Authority {
    /// Authenticates the client of a request. Failures are `invalid_client`
    /// (answered 401) and audited; nothing is stored for a failed attempt.
    pub fn authenticate_client(
        &self,
        request: &TokenRequest,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let claimed = request.params.get("client_id").map(str::to_owned);
        let result = self.authenticate_inner(request);
        if let Err(e) = &result {
            self.audit(AuditAction::ClientAuthentication, Outcome::Denied, |ev| {
                let ev = ev.reason(e.description().to_owned());
                match &claimed {
                    Some(id) => ev.agent(id.clone()),
                    None => ev,
                }
            });
        }
        result
    }

    fn authenticate_inner(
        &self,
        request: &TokenRequest,
    ) -> Result<AuthenticatedClient, OAuthError> {
        let p = &request.params;
        let mut presented = Vec::new();
        if let Some(header) = &request.authorization {
            let value = header.expose_secret();
            if let Some(b64) = value.strip_prefix("Basic ") {
                let (id, secret) = parse_basic(b64.trim())
                    .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
                presented.push(Presented::Basic(id, secret));
            }
        }
        if let Some(secret) = p.get("client_secret") {
            let id = p.require("client_id")?;
            presented.push(Presented::Post(id, secret));
        }
        if let Some(assertion) = p.get("client_assertion") {
            if p.get("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
                return Err(OAuthError::invalid_client(
                    "unsupported client_assertion_type",
                ));
            }
            presented.push(Presented::Assertion(assertion));
        }
        if presented.len() > 1 {
            // RFC 6749 section 2.3: a client MUST NOT use more than one method.
            return Err(OAuthError::invalid_request(
                "more than one client authentication method",
            ));
        }
        let presented = match presented.pop() {
            Some(p) => p,
            None => match p.get("client_id") {
                Some(id) => Presented::None(id),
                None => return Err(OAuthError::invalid_client("no client authentication")),
            },
        };
        match presented {
            Presented::Basic(id, secret) => {
                let client = self.known_client(&id)?;
                self.check_secret(
                    &client,
                    ClientAuthMethod::ClientSecretBasic,
                    secret.expose_secret(),
                )?;
                if p.get("client_id").is_some_and(|c| c != id) {
                    return Err(OAuthError::invalid_request(
                        "client_id differs from the Basic credentials",
                    ));
                }
                Ok(AuthenticatedClient {
                    record: client,
                    method: ClientAuthMethod::ClientSecretBasic,
                })
            }
            Presented::Post(id, secret) => {
                let client = self.known_client(id)?;
                self.check_secret(&client, ClientAuthMethod::ClientSecretPost, secret)?;
                Ok(AuthenticatedClient {
                    record: client,
                    method: ClientAuthMethod::ClientSecretPost,
                })
            }
            Presented::Assertion(assertion) => {
                let client = self.check_assertion(assertion, p.get("client_id"))?;
                Ok(AuthenticatedClient {
                    record: client,
                    method: ClientAuthMethod::PrivateKeyJwt,
                })
            }
            Presented::None(id) => {
                let client = self.known_client(id)?;
                if !client.is_public() {
                    return Err(OAuthError::invalid_client("client authentication required"));
                }
                Ok(AuthenticatedClient {
                    record: client,
                    method: ClientAuthMethod::None,
                })
            }
        }
    }

    fn known_client(&self, id: &str) -> Result<ClientRecord, OAuthError> {
        let (client, disabled) = self.client_and_status(id)?;
        let client = client.ok_or_else(|| OAuthError::invalid_client("unknown client"))?;
        if disabled {
            return Err(OAuthError::invalid_client("the client is disabled"));
        }
        Ok(client)
    }

    fn check_secret(
        &self,
        client: &ClientRecord,
        method: ClientAuthMethod,
        secret: &str,
    ) -> Result<(), OAuthError> {
        if client.auth_method != method {
            return Err(OAuthError::invalid_client(format!(
                "the client is registered for {}",
                client.auth_method.as_str()
            )));
        }
        let expected = client
            .secret_digest
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_client("the client has no secret"))?;
        if !constant_time_eq(secret_digest(secret).as_bytes(), expected.as_bytes()) {
            return Err(OAuthError::invalid_client("wrong client secret"));
        }
        // RFC 7591 section 3.2.1: a secret is usable until `client_secret_expires_at`.
        if client.secret_expired(self.now()) {
            return Err(OAuthError::invalid_client("the client secret expired"));
        }
        Ok(())
    }

    fn client_key_source(&self, client: &ClientRecord) -> Result<Arc<StaticKeys>, OAuthError> {
        if let Some(keys) = self
            .inner
            .client_keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&client.client_id)
        {
            return Ok(Arc::clone(keys));
        }
        let jwks = client
            .jwks
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_client("the client has no registered keys"))?;
        let keys = Arc::new(
            StaticKeys::from_jwks(jwks.as_bytes())
                .map_err(|_| OAuthError::invalid_client("the client's keys are unusable"))?,
        );
        self.inner
            .client_keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(client.client_id.clone(), Arc::clone(&keys));
        Ok(keys)
    }

    /// RFC 7523 section 3: `iss` and `sub` are the client id, `aud` names this
    /// authority, `exp` is present and near, the signature verifies with the
    /// client's registered key, and the `jti` was not seen before.
    fn check_assertion(
        &self,
        assertion: &str,
        client_id_param: Option<&str>,
    ) -> Result<ClientRecord, OAuthError> {
        let unverified = unverified_claims(assertion)
            .ok_or_else(|| OAuthError::invalid_client("malformed client assertion"))?;
        let iss = unverified
            .get("iss")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| OAuthError::invalid_client("client assertion without `iss`"))?;
        if client_id_param.is_some_and(|c| c != iss) {
            return Err(OAuthError::invalid_client(
                "client_id differs from the assertion issuer",
            ));
        }
        let client = self.known_client(iss)?;
        if client.auth_method != ClientAuthMethod::PrivateKeyJwt {
            return Err(OAuthError::invalid_client(
                "the client is not registered for private_key_jwt",
            ));
        }
        let keys = self.client_key_source(&client)?;
        let validator = Validator::<Generic>::builder_shared(keys)
            .issuer(client.client_id.clone())
            .audiences([
                self.issuer().to_owned(),
                self.endpoint(paths::TOKEN),
                self.endpoint(paths::REVOKE),
                self.endpoint(paths::INTROSPECT),
            ])
            .clock(Arc::clone(self.clock()))
            .leeway(ASSERTION_LEEWAY)
            .require_claim("sub")
            .require_claim("exp")
            .require_claim("jti")
            .build();
        let claims = validator
            .validate_cached(assertion)
            .map_err(|e| OAuthError::invalid_client(format!("client assertion refused: {e}")))?;
        if claims.sub.as_deref() != Some(client.client_id.as_str()) {
            return Err(OAuthError::invalid_client(
                "assertion `sub` is not the client",
            ));
        }
        let now = self.now();
        let exp = claims.exp.unwrap_or(now);
        if exp - now > self.inner.config.max_assertion_lifetime {
            return Err(OAuthError::invalid_client(
                "client assertion lives too long",
            ));
        }
        // RFC 7523 section 3, item 7: the `jti` is used once, for as long
        // as the validator above would accept the assertion.
        let jti = claims.jti.as_deref().unwrap_or_default();
        if !replay::spend_jti(
            self,
            Table::AssertionJti,
            &client.client_id,
            jti,
            exp,
            ASSERTION_LEEWAY,
        )? {
            return Err(OAuthError::invalid_client("client assertion replayed"));
        }
        Ok(client)
    }
}

fn parse_basic(b64: &str) -> Option<(String, SecretString)> {
    let decoded = base64_simd::STANDARD.decode_to_vec(b64).ok()?;
    let text = zeroize::Zeroizing::new(String::from_utf8(decoded).ok()?);
    let (id, secret) = text.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let id = dec(id).unwrap_or_default();
    let secret = dec(secret).unwrap_or_default();
    (!id.is_empty()).then(|| (id, SecretString::new(secret)))
}

/// The claims of a compact JWS, without verifying anything: only to find out
/// who claims to have signed it, before looking up that party's keys.
pub(crate) fn unverified_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url::decode(payload)?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}
