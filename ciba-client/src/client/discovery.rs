//! What the client learns from the OP's metadata (OpenID Connect Discovery 1.0
//! section 4, RFC 8414, CIBA Core 1.0 section 4), read by the OAuth core's
//! [`AuthorizationServerMetadata`] with its exact `issuer` check.

use super::{CibaClient, CibaError, Endpoints};
use agent_auth::oauth::{AuthorizationServerMetadata, HttpClient};
use serde_json::Value;

/// The CIBA-relevant part of an OP's metadata, with the whole document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The endpoints.
    pub endpoints: Endpoints,
    /// `jwks_uri`: where the OP's ID-token keys are.
    pub jwks_uri: String,
    /// `backchannel_authentication_request_signing_alg_values_supported`:
    /// `None` when the OP accepts no signed authentication requests.
    pub request_signing_algs: Option<Vec<String>>,
    /// `backchannel_user_code_parameter_supported`.
    pub user_code_supported: bool,
    /// The whole metadata document.
    pub server: AuthorizationServerMetadata,
}

impl ProviderMetadata {
    /// The CIBA view of `server`: it must name a backchannel authentication
    /// endpoint, a token endpoint and a `jwks_uri` (CIBA Core 1.0 section 4).
    pub fn from_server_metadata(server: AuthorizationServerMetadata) -> Result<Self, CibaError> {
        let required = |value: &Option<String>, name: &'static str| {
            value.clone().ok_or(CibaError::MalformedResponse(name))
        };
        let extra = &server.extra;
        let request_signing_algs =
            match extra.get("backchannel_authentication_request_signing_alg_values_supported") {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or(CibaError::MalformedResponse(
                            "request signing algorithms are not strings",
                        ))?,
                ),
                Some(_) => {
                    return Err(CibaError::MalformedResponse(
                        "request signing algorithms are not a list",
                    ));
                }
            };
        Ok(Self {
            endpoints: Endpoints {
                issuer: server.issuer.clone(),
                backchannel: required(
                    &server.backchannel_authentication_endpoint,
                    "backchannel_authentication_endpoint",
                )?,
                token: required(&server.token_endpoint, "token_endpoint")?,
            },
            jwks_uri: required(&server.jwks_uri, "jwks_uri")?,
            request_signing_algs,
            user_code_supported: extra
                .get("backchannel_user_code_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            server,
        })
    }
}

impl CibaClient {
    /// Reads the OP's metadata over the default [`HttpClient`]; its `issuer`
    /// must equal `issuer` exactly (OpenID Connect Discovery 1.0 section 4.3,
    /// RFC 8414 section 3.3).
    pub async fn discover_metadata(issuer: &str) -> Result<ProviderMetadata, CibaError> {
        let http = HttpClient::new().map_err(|source| CibaError::Transport {
            endpoint: "discovery endpoint",
            source,
        })?;
        Self::discover_metadata_with_http(&http, issuer).await
    }

    /// As [`discover_metadata`](Self::discover_metadata), sending through
    /// `http` (your own transport or `reqwest::Client`).
    pub async fn discover_metadata_with_http(
        http: &HttpClient,
        issuer: &str,
    ) -> Result<ProviderMetadata, CibaError> {
        let server = AuthorizationServerMetadata::discover(http, issuer)
            .await
            .map_err(CibaError::Discovery)?;
        ProviderMetadata::from_server_metadata(server)
    }

    /// Reads the OP's metadata and returns its endpoints and `jwks_uri`.
    pub async fn discover(issuer: &str) -> Result<(Endpoints, String), CibaError> {
        let meta = Self::discover_metadata(issuer).await?;
        Ok((meta.endpoints, meta.jwks_uri))
    }
}
