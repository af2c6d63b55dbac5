//! Access-token profiles per trusted issuer: strict RFC 9068 by default, and
//! presets for the default token shapes of the identity providers people run.
//!
//! A preset changes only two things: which JWT shape is read (header `typ`
//! `JWT` or absent instead of `at+jwt`; `client_id`/`jti` not required) and
//! how subject, client, scopes and roles map onto the [`Principal`]. The
//! signature, issuer, audience and time checks are the same for every profile,
//! and every preset refuses the provider's ID tokens by a positive marker of
//! its access tokens (see each variant).

mod auth0;
mod entra;
mod keycloak;
mod mapping;
mod okta;

use super::VerifyError;
use crate::principal::{Principal, TokenSource};
use agent_auth::clock::SharedClock;
use agent_auth::validate::{
    AccessToken, Claims, KeySource, ProviderAccessToken, ValidationError, Validator,
};
pub(crate) use mapping::Mapping;
use std::sync::Arc;

/// How the JWT access tokens of one issuer are shaped and mapped.
///
/// ```
/// use mcp_guard::{TokenProfile, TrustedIssuer};
/// use agent_auth::jose::{Algorithm, SigningKey};
///
/// let key = SigningKey::generate(Algorithm::Es256)?;
/// let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// let entra = TokenProfile::entra_v2(tenant);
/// let issuer = TrustedIssuer::with_key(entra.entra_issuer().unwrap_or_default(), key.verifying_key().clone())
///     .profile(entra)
///     .audiences(["api://crm-mcp", "6e74172b-be56-4843-9ff4-e66a39bb12e3"]);
/// assert_eq!(issuer.issuer(), "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenProfile {
    /// RFC 9068: `typ` `at+jwt`; `iss`, `exp`, `aud`, `sub`, `client_id`,
    /// `iat`, `jti` required. Subject `sub`, client `client_id`, scopes
    /// `scope`, roles `roles` (section 2.2.3.1). An ID token never has `typ`
    /// `at+jwt` (section 4).
    #[default]
    Rfc9068,
    /// Auth0's default token profile (dialects `access_token` and
    /// `access_token_authz`): `typ` `JWT`, client in `azp`, scopes in `scope`,
    /// RBAC permissions (`permissions`, `_authz` dialect) as roles. Access
    /// tokens are for an API: `aud` holds the API identifier, which an Auth0 ID
    /// token never carries (its `aud` is the application's client ID); the
    /// preset also requires `azp` and refuses `nonce`, which only Auth0's ID
    /// tokens carry.
    Auth0,
    /// Auth0's RFC 9068 token profile (dialects `rfc9068_profile` and
    /// `rfc9068_profile_authz`): the strict profile, with `permissions` as roles.
    Auth0Rfc9068,
    /// Okta, org or custom authorization server: client in `cid`, scopes in
    /// the `scp` array, the user's Okta id in `uid`. Okta's ID tokens never
    /// carry `cid` or `scp` (their client is `aud`): both are required, and
    /// `nonce` is refused.
    Okta,
    /// Keycloak: client in `azp`, scopes in `scope`, roles from
    /// `realm_access.roles` and, when named, `resource_access.<client>.roles`.
    /// Keycloak writes the token type into the `typ` claim: `Bearer` for
    /// access tokens, `ID` for ID tokens; only `Bearer` is accepted.
    Keycloak {
        /// The Keycloak client whose client roles become roles too.
        client_roles: Option<String>,
    },
    /// Microsoft Entra ID v1.0 access tokens (`ver` `1.0`, issuer
    /// `https://sts.windows.net/{tenant}/`): client in `appid`, scopes in the
    /// space-separated `scp`, app roles in `roles`, `tid` the tenant. Entra's
    /// ID tokens carry no `appid`: it is required, `nonce` is refused, and
    /// `ver` and `tid` must match.
    EntraV1 {
        /// The tenant id (`tid`).
        tenant_id: String,
    },
    /// Microsoft Entra ID v2.0 access tokens (`ver` `2.0`, issuer
    /// `https://login.microsoftonline.com/{tenant}/v2.0`): client in `azp`,
    /// scopes in `scp`, app roles in `roles`. Entra's ID tokens carry no
    /// `azp`: it is required, `nonce` is refused, `ver` and `tid` must match.
    EntraV2 {
        /// The tenant id (`tid`).
        tenant_id: String,
    },
}

impl TokenProfile {
    /// The Keycloak preset without client roles.
    pub fn keycloak() -> Self {
        Self::Keycloak { client_roles: None }
    }

    /// The Keycloak preset, with the roles of `client` (`resource_access`).
    pub fn keycloak_with_client_roles(client: impl Into<String>) -> Self {
        Self::Keycloak {
            client_roles: Some(client.into()),
        }
    }

    /// The Entra ID v1.0 preset for `tenant_id`.
    pub fn entra_v1(tenant_id: impl Into<String>) -> Self {
        Self::EntraV1 {
            tenant_id: tenant_id.into(),
        }
    }

    /// The Entra ID v2.0 preset for `tenant_id`.
    pub fn entra_v2(tenant_id: impl Into<String>) -> Self {
        Self::EntraV2 {
            tenant_id: tenant_id.into(),
        }
    }

    /// The tenant-specific issuer of an Entra ID preset.
    pub fn entra_issuer(&self) -> Option<String> {
        match self {
            Self::EntraV1 { tenant_id } => Some(entra::v1_issuer(tenant_id)),
            Self::EntraV2 { tenant_id } => Some(entra::v2_issuer(tenant_id)),
            _ => None,
        }
    }

    /// The name used in error messages and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Rfc9068 => "RFC 9068",
            Self::Auth0 => "Auth0",
            Self::Auth0Rfc9068 => "Auth0 RFC 9068",
            Self::Okta => "Okta",
            Self::Keycloak { .. } => "Keycloak",
            Self::EntraV1 { .. } => "Entra ID v1.0",
            Self::EntraV2 { .. } => "Entra ID v2.0",
        }
    }

    /// Whether tokens of this profile are RFC 9068 `at+jwt` tokens.
    fn is_strict(&self) -> bool {
        matches!(self, Self::Rfc9068 | Self::Auth0Rfc9068)
    }

    /// The preset's marker of an access token, on claims that passed every
    /// signature, issuer, audience and time check.
    fn access_token_rule(&self, claims: &Claims) -> Result<(), &'static str> {
        match self {
            Self::Rfc9068 | Self::Auth0Rfc9068 => Ok(()),
            Self::Auth0 => auth0::access_token_rule(claims),
            Self::Okta => okta::access_token_rule(claims),
            Self::Keycloak { .. } => keycloak::access_token_rule(claims),
            Self::EntraV1 { tenant_id } => entra::access_token_rule(claims, "1.0", tenant_id),
            Self::EntraV2 { tenant_id } => entra::access_token_rule(claims, "2.0", tenant_id),
        }
    }

    /// Subject, client, scopes and roles of verified claims.
    fn map(&self, claims: &Claims) -> Mapping {
        match self {
            Self::Rfc9068 => Mapping::rfc9068(claims),
            Self::Auth0Rfc9068 => auth0::map_rfc9068(claims),
            Self::Auth0 => auth0::map(claims),
            Self::Okta => okta::map(claims),
            Self::Keycloak { client_roles } => keycloak::map(claims, client_roles.as_deref()),
            Self::EntraV1 { .. } => entra::map(claims, "appid"),
            Self::EntraV2 { .. } => entra::map(claims, "azp"),
        }
    }
}

/// The validator of one trusted issuer, of the kind its profile reads.
#[derive(Debug, Clone)]
pub(crate) struct IssuerValidator {
    profile: TokenProfile,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Strict(Validator<AccessToken>),
    Provider(Validator<ProviderAccessToken>),
}

impl IssuerValidator {
    /// A validator for `issuer` with `keys`, accepting `audiences`.
    pub(crate) fn new(
        issuer: String,
        keys: Arc<dyn KeySource>,
        profile: TokenProfile,
        audiences: Vec<String>,
        clock: SharedClock,
        leeway: i64,
    ) -> Self {
        let kind = if profile.is_strict() {
            Kind::Strict(
                Validator::<AccessToken>::builder_shared(keys)
                    .issuer(issuer)
                    .audiences(audiences)
                    .clock(clock)
                    .leeway(leeway)
                    .build(),
            )
        } else {
            Kind::Provider(
                Validator::<ProviderAccessToken>::builder_shared(keys)
                    .issuer(issuer)
                    .audiences(audiences)
                    .clock(clock)
                    .leeway(leeway)
                    .build(),
            )
        };
        Self { profile, kind }
    }

    /// The issuer.
    pub(crate) fn issuer(&self) -> &str {
        match &self.kind {
            Kind::Strict(v) => v.issuer(),
            Kind::Provider(v) => v.issuer(),
        }
    }

    /// Validates `token` and maps its claims onto a principal.
    pub(crate) async fn verify(&self, token: &str) -> Result<Principal, VerifyError> {
        let claims = match &self.kind {
            Kind::Strict(v) => v
                .validate(token)
                .await
                .map_err(VerifyError::Jwt)?
                .into_claims(),
            Kind::Provider(v) => v
                .validate(token)
                .await
                .map_err(VerifyError::Jwt)?
                .into_claims(),
        };
        self.profile.access_token_rule(&claims).map_err(|rule| {
            VerifyError::Jwt(ValidationError::Profile {
                kind: self.profile.name(),
                rule,
            })
        })?;
        let mapping = self.profile.map(&claims);
        Ok(Principal::from_mapping(
            self.issuer(),
            claims,
            TokenSource::Jwt,
            mapping,
        ))
    }
}
