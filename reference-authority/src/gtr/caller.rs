//! Who may call the Global Token Revocation endpoint
//! (draft-parecki-oauth-global-token-revocation-06 sections 3.2, 3.5, 7.1):
//! a client of this authority with an access token carrying only-for-this
//! scope, or an identity provider with a short-lived JWT signed by its key.

use crate::Authority;
use crate::Table;
use crate::store::update_json;
use agent_auth::validate::{Generic, KeySource, Validator};
use axum::http::HeaderMap;
use std::sync::Arc;

/// The scope an access token needs to call the endpoint (section 7.1: a scope
/// that allows the revocation request and nothing else).
pub const GTR_SCOPE: &str = "global_token_revocation";
/// The `typ` of an identity provider's assertion (explicit typing, RFC 8725
/// section 3.11).
pub const ASSERTION_TYP: &str = "global-token-revocation+jwt";
/// Longest lifetime of an assertion, `exp - iat` (section 3.5: five minutes).
const MAX_ASSERTION_LIFETIME: i64 = 300;
/// Clock skew tolerated on `iat`.
const LEEWAY: i64 = 30;
/// Assertion `jti`s seen, until their `exp` (section 3.5: no replay).
const SEEN: Table = Table::Extension("gtr_assertion_jti");

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A client of the authority: may revoke any of its users.
    Client(String),
    /// An identity provider: may revoke the users who log in through its
    /// connection only.
    Idp { issuer: String, connection: String },
}

impl Caller {
    pub(crate) fn name(&self) -> String {
        match self {
            Caller::Client(c) => format!("client:{c}"),
            Caller::Idp { issuer, .. } => format!("idp:{issuer}"),
        }
    }
}

/// A trusted identity provider.
#[derive(Debug, Clone)]
pub(crate) struct TrustedIdp {
    pub(crate) issuer: String,
    pub(crate) connection: String,
    pub(crate) validator: Arc<Validator<Generic>>,
}

impl TrustedIdp {
    pub(crate) fn new(
        endpoint: &str,
        authority: &Authority,
        issuer: &str,
        keys: Arc<dyn KeySource>,
        connection: &str,
    ) -> Self {
        let validator = Validator::<Generic>::builder_shared(keys)
            .issuer(issuer.to_owned())
            .audience(endpoint.to_owned())
            .typ(ASSERTION_TYP)
            .require_claim("sub")
            .require_claim("exp")
            .require_claim("iat")
            .require_claim("jti")
            .clock(Arc::clone(authority.clock()))
            .leeway(0)
            .build();
        Self {
            issuer: issuer.to_owned(),
            connection: connection.to_owned(),
            validator: Arc::new(validator),
        }
    }
}

/// Authenticates the request, or `None` (401).
pub(crate) async fn authenticate(
    authority: &Authority,
    idps: &[TrustedIdp],
    headers: &HeaderMap,
) -> Result<Caller, Refusal> {
    let token = crate::signals::bearer_token(headers).ok_or(Refusal::Unauthenticated)?;
    if let Ok(claims) = authority.verify_access_token(token) {
        if !claims.aud.iter().any(|a| a == authority.issuer()) {
            return Err(Refusal::Unauthenticated);
        }
        let scoped = claims
            .str("scope")
            .is_some_and(|s| s.split(' ').any(|x| x == GTR_SCOPE));
        let client = claims.str("client_id").map(str::to_owned);
        return match (scoped, client) {
            (true, Some(c)) => Ok(Caller::Client(c)),
            _ => Err(Refusal::Forbidden),
        };
    }
    for idp in idps {
        let Ok(jwt) = idp.validator.validate(token).await else {
            continue;
        };
        let c = jwt.claims();
        let now = authority.now();
        let (Some(iat), Some(exp), Some(jti)) = (c.iat, c.exp, c.jti.as_deref()) else {
            return Err(Refusal::Unauthenticated);
        };
        // Section 3.5: short-lived, not from the future.
        if iat > now + LEEWAY || exp - iat > MAX_ASSERTION_LIFETIME || exp <= now {
            return Err(Refusal::Unauthenticated);
        }
        // Section 3.5: a `jti` is used once.
        let key = format!("{}\u{1f}{jti}", idp.issuer);
        let fresh =
            update_json::<i64, bool>(authority.store().as_ref(), SEEN, &key, |cur| match cur {
                Some(_) => (None, false),
                None => (Some(exp + LEEWAY), true),
            })
            .map_err(|_| Refusal::Unavailable)?;
        if !fresh {
            return Err(Refusal::Unauthenticated);
        }
        return Ok(Caller::Idp {
            issuer: idp.issuer.clone(),
            connection: idp.connection.clone(),
        });
    }
    Err(Refusal::Unauthenticated)
}

/// Forgets assertion ids past their expiry (registered as a purge).
pub(crate) fn purge(authority: &Authority) -> Result<usize, crate::StoreError> {
    let now = authority.now();
    crate::store::purge_json::<i64>(authority.store().as_ref(), SEEN, |until| *until <= now)
}

/// Why a request was refused, with the status of section 3.4.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 401.
    Unauthenticated,
    /// 403.
    Forbidden,
    /// 400.
    BadRequest(&'static str),
    /// 404.
    UnknownSubject,
    /// 422.
    Unavailable,
}
