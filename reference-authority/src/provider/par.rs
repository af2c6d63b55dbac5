//! Pushed authorization requests (RFC 9126): the client posts the
//! authorization request to the authority first and sends the browser with a
//! `request_uri` only.

use super::client_auth::TokenRequest;
use super::crypto::{handle_key, random_handle};
use super::params::Params;
use super::store::Table;
use super::{Authority, OAuthError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The `request_uri` prefix of RFC 9126 section 2.2.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Lifetime of a pushed request, in seconds.
const PUSHED_TTL: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
struct Pushed {
    client_id: String,
    request: String,
    expires: i64,
}

const CREDENTIAL_PARAMS: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

impl Authority {
    /// The pushed authorization request endpoint (RFC 9126 section 2). The client
    /// authenticates as at the token endpoint; the request is validated now and
    /// errors are answered as JSON (section 2.3). Returns the `201` body.
    pub fn push_authorization_request(&self, request: &TokenRequest) -> Result<Value, OAuthError> {
        let client = self.authenticate_client(request)?;
        // Section 2.1: a pushed request must not itself use request_uri.
        if request.params.get("request_uri").is_some() {
            return Err(OAuthError::invalid_request(
                "request_uri is not allowed here",
            ));
        }
        let mut params = Params::from_pairs(
            request
                .params
                .iter()
                .filter(|(k, _)| !CREDENTIAL_PARAMS.contains(k))
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        if params.get("client_id").is_some_and(|c| c != client.id()) {
            return Err(OAuthError::invalid_request(
                "client_id is not the authenticated client",
            ));
        }
        params = params.with("client_id", client.id());
        let (record, redirect_uri, sent) = self.client_and_redirect(&params)?;
        self.validate_request(&params, record, redirect_uri, sent)
            .map_err(|(_, e)| e)?;
        let handle = random_handle()?;
        self.tables().put(
            Table::PushedRequests,
            &handle_key(&handle),
            &Pushed {
                client_id: client.id().to_owned(),
                request: params.to_form(),
                expires: self.now() + PUSHED_TTL,
            },
        )?;
        Ok(json!({
            "request_uri": format!("{REQUEST_URI_PREFIX}{handle}"),
            "expires_in": PUSHED_TTL,
        }))
    }

    /// The parameters of a pushed request named by `request_uri`, for the client
    /// named by `client_id` (RFC 9126 section 4). Errors are never redirected.
    pub(crate) fn resolve_pushed(&self, params: &Params) -> Result<Params, OAuthError> {
        let uri = params.require("request_uri")?;
        let handle = uri
            .strip_prefix(REQUEST_URI_PREFIX)
            .ok_or_else(|| OAuthError::invalid_request("unknown request_uri"))?;
        let pushed = self
            .tables()
            .get::<Pushed>(Table::PushedRequests, &handle_key(handle))?
            .filter(|p| p.expires > self.now())
            .ok_or_else(|| OAuthError::invalid_request("unknown or expired request_uri"))?;
        if params.get("client_id") != Some(pushed.client_id.as_str()) {
            return Err(OAuthError::invalid_request(
                "request_uri belongs to another client",
            ));
        }
        Params::parse(&pushed.request)
    }
}
