//! What the client learns from the OP's metadata (OpenID Connect Discovery 1.0
//! section 4, CIBA Core 1.0 section 4).

use super::{CibaClient, CibaError, Endpoints};
use serde_json::Value;

/// The CIBA-relevant part of an OP's metadata.
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
}

impl CibaClient {
    /// Reads the OP's metadata; its `issuer` must equal `issuer` exactly
    /// (OpenID Connect Discovery 1.0 section 4.3).
    pub async fn discover_metadata(issuer: &str) -> Result<ProviderMetadata, CibaError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc: Value = reqwest::get(&url)
            .await
            .map_err(|_| CibaError::Transport("discovery endpoint"))?
            .json()
            .await
            .map_err(|_| CibaError::MalformedResponse("metadata is not JSON"))?;
        let field = |name: &'static str| {
            doc.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(CibaError::MalformedResponse(name))
        };
        if field("issuer")? != issuer {
            return Err(CibaError::MalformedResponse("issuer differs"));
        }
        let request_signing_algs =
            match doc.get("backchannel_authentication_request_signing_alg_values_supported") {
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
        Ok(ProviderMetadata {
            endpoints: Endpoints {
                issuer: issuer.to_owned(),
                backchannel: field("backchannel_authentication_endpoint")?,
                token: field("token_endpoint")?,
            },
            jwks_uri: field("jwks_uri")?,
            request_signing_algs,
            user_code_supported: doc
                .get("backchannel_user_code_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// Reads the OP's metadata and returns its endpoints and `jwks_uri`.
    pub async fn discover(issuer: &str) -> Result<(Endpoints, String), CibaError> {
        let meta = Self::discover_metadata(issuer).await?;
        Ok((meta.endpoints, meta.jwks_uri))
    }
}
