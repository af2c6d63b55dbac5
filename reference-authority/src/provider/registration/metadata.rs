//! Client metadata of a registration request (RFC 7591 section 2), checked
//! against the policy. Unknown members are ignored (section 2: the server
//! "MUST ignore any client metadata sent by the client that it does not
//! understand").

use super::redirect::check_registered;
use super::{RegistrationError, RegistrationPolicy};
use crate::provider::grant_types;
use crate::provider::model::ClientAuthMethod;
use serde_json::{Map, Value};

/// Longest accepted text value (names, versions, identifiers).
const MAX_TEXT: usize = 256;
/// Longest accepted URI.
const MAX_URI: usize = 2048;
/// Longest accepted `scope` value.
const MAX_SCOPE: usize = 4096;
/// Most redirect URIs (or contacts) in one registration.
const MAX_LIST: usize = 32;

/// Informational URIs of section 2, kept and returned as registered.
const INFO_URIS: &[&str] = &["client_uri", "logo_uri", "tos_uri", "policy_uri"];
/// Informational strings of section 2, kept and returned as registered.
const INFO_TEXT: &[&str] = &["software_id", "software_version"];

/// What a valid registration asks for, before identifiers and secrets are issued.
#[derive(Debug)]
pub(super) struct Draft {
    pub(super) name: Option<String>,
    pub(super) auth_method: ClientAuthMethod,
    pub(super) jwks: Option<String>,
    pub(super) redirect_uris: Vec<String>,
    pub(super) post_logout_redirect_uris: Vec<String>,
    pub(super) grant_types: Vec<String>,
    pub(super) extra: Map<String, Value>,
}

/// Checks a registration request body.
pub(super) fn check(body: &[u8], policy: &RegistrationPolicy) -> Result<Draft, RegistrationError> {
    let Ok(Value::Object(meta)) = serde_json::from_slice::<Value>(body) else {
        return Err(RegistrationError::metadata(
            "the body must be a JSON object of client metadata",
        ));
    };
    if meta.contains_key("software_statement") {
        // Section 3.1.1: no software statement is trusted here.
        return Err(RegistrationError::UnapprovedSoftwareStatement);
    }
    let auth_method = auth_method(&meta, policy)?;
    let grant_types = grants(&meta, policy, auth_method)?;
    check_response_types(&meta, &grant_types)?;
    let redirect_uris = uri_list(&meta, "redirect_uris")?.unwrap_or_default();
    for uri in &redirect_uris {
        check_registered(uri).map_err(RegistrationError::redirect)?;
    }
    // Section 2: clients using redirect-based flows must register redirect URIs.
    if grant_types
        .iter()
        .any(|g| g == grant_types::AUTHORIZATION_CODE)
        && redirect_uris.is_empty()
    {
        return Err(RegistrationError::redirect(
            "the authorization_code grant needs at least one redirect URI",
        ));
    }
    let post_logout_redirect_uris =
        uri_list(&meta, "post_logout_redirect_uris")?.unwrap_or_default();
    for uri in &post_logout_redirect_uris {
        check_registered(uri).map_err(|problem| {
            RegistrationError::metadata(format!("post_logout_redirect_uris: {problem}"))
        })?;
    }
    let jwks = keys(&meta, auth_method)?;
    if let Some(scope) = text(&meta, "scope", MAX_SCOPE)? {
        // Section 2: the scopes the client may use; each must be one the policy offers.
        if let Some(bad) = scope
            .split(' ')
            .find(|s| !policy.scopes.iter().any(|p| p == s))
        {
            return Err(RegistrationError::metadata(format!(
                "scope `{}` is not offered to registered clients",
                bad.chars().take(40).collect::<String>()
            )));
        }
    }
    let name = text(&meta, "client_name", MAX_TEXT)?;
    let mut extra = Map::new();
    for field in INFO_TEXT {
        if let Some(v) = text(&meta, field, MAX_TEXT)? {
            extra.insert((*field).into(), Value::String(v));
        }
    }
    for field in INFO_URIS {
        if let Some(v) = text(&meta, field, MAX_URI)? {
            let ok = url::Url::parse(&v).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !ok {
                return Err(RegistrationError::metadata(format!(
                    "{field} must be an http(s) URL"
                )));
            }
            extra.insert((*field).into(), Value::String(v));
        }
    }
    if let Some(contacts) = list(&meta, "contacts", MAX_TEXT)? {
        extra.insert("contacts".into(), contacts.into());
    }
    Ok(Draft {
        name,
        auth_method,
        jwks,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        extra,
    })
}

/// `token_endpoint_auth_method`: default `client_secret_basic` (section 2).
fn auth_method(
    meta: &Map<String, Value>,
    policy: &RegistrationPolicy,
) -> Result<ClientAuthMethod, RegistrationError> {
    let method = match text(meta, "token_endpoint_auth_method", MAX_TEXT)?.as_deref() {
        None | Some("client_secret_basic") => ClientAuthMethod::ClientSecretBasic,
        Some("client_secret_post") => ClientAuthMethod::ClientSecretPost,
        Some("private_key_jwt") => ClientAuthMethod::PrivateKeyJwt,
        Some("none") => ClientAuthMethod::None,
        Some(_) => {
            return Err(RegistrationError::metadata(
                "unsupported token_endpoint_auth_method",
            ));
        }
    };
    if !policy.auth_methods.contains(&method) {
        return Err(RegistrationError::metadata(format!(
            "token_endpoint_auth_method {} is not allowed here",
            method.as_str()
        )));
    }
    Ok(method)
}

/// `grant_types`: default `authorization_code` (section 2); each must be one
/// the policy allows.
fn grants(
    meta: &Map<String, Value>,
    policy: &RegistrationPolicy,
    method: ClientAuthMethod,
) -> Result<Vec<String>, RegistrationError> {
    let requested = list(meta, "grant_types", MAX_TEXT)?
        .unwrap_or_else(|| vec![grant_types::AUTHORIZATION_CODE.into()]);
    let mut grants: Vec<String> = Vec::new();
    for g in requested {
        if !policy.grant_types.contains(&g) {
            return Err(RegistrationError::metadata(format!(
                "grant type `{}` is not allowed here",
                g.chars().take(60).collect::<String>()
            )));
        }
        if !grants.contains(&g) {
            grants.push(g);
        }
    }
    let has = |name: &str| grants.iter().any(|g| g == name);
    if !has(grant_types::AUTHORIZATION_CODE) && !has(grant_types::CLIENT_CREDENTIALS) {
        return Err(RegistrationError::metadata(
            "grant_types must name authorization_code or client_credentials",
        ));
    }
    if has(grant_types::CLIENT_CREDENTIALS) && method == ClientAuthMethod::None {
        // RFC 6749 section 4.4: only confidential clients use client_credentials.
        return Err(RegistrationError::metadata(
            "a public client cannot use client_credentials",
        ));
    }
    Ok(grants)
}

/// `response_types` (section 2.1): `code` exactly when the client registers the
/// `authorization_code` grant; no other response type is supported.
fn check_response_types(
    meta: &Map<String, Value>,
    grants: &[String],
) -> Result<(), RegistrationError> {
    let code_grant = grants.iter().any(|g| g == grant_types::AUTHORIZATION_CODE);
    let Some(types) = list(meta, "response_types", MAX_TEXT)? else {
        return Ok(());
    };
    if types.iter().any(|t| t != "code") {
        return Err(RegistrationError::metadata(
            "only the `code` response type is supported",
        ));
    }
    if code_grant == types.is_empty() {
        return Err(RegistrationError::metadata(
            "response_types `code` goes with the authorization_code grant and only with it",
        ));
    }
    Ok(())
}

/// `jwks` (section 2): the public keys of a `private_key_jwt` client, by value.
fn keys(
    meta: &Map<String, Value>,
    method: ClientAuthMethod,
) -> Result<Option<String>, RegistrationError> {
    if present(meta, "jwks_uri") {
        if present(meta, "jwks") {
            // Section 2: "MUST NOT both be present".
            return Err(RegistrationError::metadata(
                "jwks and jwks_uri must not both be present",
            ));
        }
        return Err(RegistrationError::metadata(
            "jwks_uri is not supported: register the keys by value in jwks",
        ));
    }
    let jwks = match meta.get("jwks") {
        None | Some(Value::Null) => None,
        Some(Value::Object(set)) => Some(set),
        Some(_) => return Err(RegistrationError::metadata("jwks must be a JWK Set object")),
    };
    match (method, jwks) {
        (ClientAuthMethod::PrivateKeyJwt, None) => Err(RegistrationError::metadata(
            "private_key_jwt needs the client's public keys in jwks",
        )),
        (ClientAuthMethod::PrivateKeyJwt, Some(set)) => {
            let Some(keys) = set
                .get("keys")
                .and_then(Value::as_array)
                .filter(|k| !k.is_empty())
            else {
                return Err(RegistrationError::metadata(
                    "jwks must hold at least one key",
                ));
            };
            let private = keys
                .iter()
                .any(|jwk| ["d", "p", "q", "k"].iter().any(|m| jwk.get(*m).is_some()));
            if private {
                // RFC 7517 section 9.2: private or symmetric key material must not be published.
                return Err(RegistrationError::metadata(
                    "jwks must hold public keys only",
                ));
            }
            let text = Value::Object(set.clone()).to_string();
            agent_auth::validate::StaticKeys::from_jwks(text.as_bytes())
                .map_err(|_| RegistrationError::metadata("jwks holds no usable signature key"))?;
            Ok(Some(text))
        }
        (_, Some(_)) => Err(RegistrationError::metadata(
            "jwks is only registered with private_key_jwt",
        )),
        (_, None) => Ok(None),
    }
}

fn present(meta: &Map<String, Value>, name: &str) -> bool {
    meta.get(name).is_some_and(|v| !v.is_null())
}

/// A string member, absent when missing or `null`.
fn text(
    meta: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<String>, RegistrationError> {
    match meta.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(RegistrationError::metadata(format!(
            "{name} must not be empty"
        ))),
        Some(Value::String(s)) if s.len() > max || s.chars().any(char::is_control) => Err(
            RegistrationError::metadata(format!("{name} is too long or holds control characters")),
        ),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(RegistrationError::metadata(format!(
            "{name} must be a string"
        ))),
    }
}

/// An array of strings, absent when missing or `null`.
fn list(
    meta: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<Vec<String>>, RegistrationError> {
    let items = match meta.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) if items.len() <= MAX_LIST => items,
        Some(Value::Array(_)) => {
            return Err(RegistrationError::metadata(format!(
                "{name} has too many members"
            )));
        }
        Some(_) => {
            return Err(RegistrationError::metadata(format!(
                "{name} must be an array of strings"
            )));
        }
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s)
                if !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control) =>
            {
                Ok(s.clone())
            }
            _ => Err(RegistrationError::metadata(format!(
                "{name} must be an array of non-empty strings"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// An array of URIs; a malformed member is `invalid_redirect_uri` for
/// `redirect_uris` and `invalid_client_metadata` otherwise.
fn uri_list(
    meta: &Map<String, Value>,
    name: &str,
) -> Result<Option<Vec<String>>, RegistrationError> {
    list(meta, name, MAX_URI).map_err(|e| match name {
        "redirect_uris" => RegistrationError::redirect(e.description()),
        _ => e,
    })
}
